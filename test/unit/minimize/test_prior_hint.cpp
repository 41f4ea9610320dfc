#include "minimize/prior_hint.hpp"

#include <catch2/catch.hpp>

using namespace tinyx::minimize;

namespace {
struct TwoGroups final : SearchHint {
    std::vector<std::vector<Item>> initial_groups(const std::vector<Item>&) override { return {{"A", "B", "X"}, {"C", "Y"}}; }
};
} // namespace

TEST_CASE("prior hint: what the profile did not keep comes first as one group, then each kept item alone", "[pruner][hint]") {
    PriorRemovalHint hint({"B", "D", "NOT_A_CANDIDATE"});
    auto groups = hint.initial_groups({"A", "B", "C", "D", "E"});
    REQUIRE(groups.size() == 3);
    CHECK(groups[0] == std::vector<Item>{"A", "C", "E"});
    CHECK(groups[1] == std::vector<Item>{"B"});
    CHECK(groups[2] == std::vector<Item>{"D"});
}

TEST_CASE("prior hint: kept items follow an inner hint's grouping", "[pruner][hint]") {
    TwoGroups trace;
    PriorRemovalHint hint({"A", "B", "C"}, &trace);
    auto groups = hint.initial_groups({"A", "B", "C", "X", "Y"});
    REQUIRE(groups.size() == 3);
    CHECK(groups[0] == std::vector<Item>{"X", "Y"});
    CHECK(groups[1] == std::vector<Item>{"A", "B"});
    CHECK(groups[2] == std::vector<Item>{"C"});
}

TEST_CASE("prior hint: kept items an inner hint leaves ungrouped are tried alone", "[pruner][hint]") {
    TwoGroups trace; // groups A B X and C Y; says nothing about D
    PriorRemovalHint hint({"A", "C", "D"}, &trace);
    auto groups = hint.initial_groups({"A", "B", "C", "D", "X", "Y"});
    CHECK(groups == std::vector<std::vector<Item>>{{"B", "X", "Y"}, {"A"}, {"C"}, {"D"}});
}

TEST_CASE("prior hint: a profile that keeps everything, or nothing", "[pruner][hint]") {
    PriorRemovalHint all({"A", "B"});
    CHECK(all.initial_groups({"A", "B"}) == std::vector<std::vector<Item>>{{"A"}, {"B"}});
    PriorRemovalHint none({});
    CHECK(none.initial_groups({"A", "B"}) == std::vector<std::vector<Item>>{{"A", "B"}});
}
