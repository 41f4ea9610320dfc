#include "minimize/evaluator.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::minimize;

TEST_CASE("check-config: the config path is the last argument and TINYX_CONFIG", "[pruner][evaluator]") {
    auto dir = TempDir::create("tinyx-eval-");
    REQUIRE(dir);
    TrialInput trial{7, "CONFIG_NET=y\n", "hash", dir->path() / "trial-7"};

    CheckConfigEvaluator same_path("sh -c 'test \"$1\" = \"$TINYX_CONFIG\" && grep -q CONFIG_NET=y \"$1\"' check");
    auto pass = same_path.evaluate(trial);
    REQUIRE(pass);
    CHECK(pass->verdict == Verdict::pass);

    CheckConfigEvaluator needs_inet("echo looking; grep -q CONFIG_INET=y");
    auto fail = needs_inet.evaluate(trial);
    REQUIRE(fail);
    CHECK(fail->verdict == Verdict::fail);
    REQUIRE(fail->evidence.size() >= 2);
    CHECK(fail->evidence.front() == "looking");
    CHECK(fail->evidence.back().find("status 1") != std::string::npos);

    CheckConfigEvaluator missing("/no/such/oracle");
    auto error = missing.evaluate(trial);
    REQUIRE_FALSE(error);
    CHECK(error.error().exit == Exit::bad_input);

    CheckConfigEvaluator slow("sleep 5;", std::chrono::seconds(1));
    auto timed_out = slow.evaluate(trial);
    REQUIRE(timed_out);
    CHECK(timed_out->verdict == Verdict::timeout);
}

TEST_CASE("verdict names round-trip", "[pruner][evaluator]") {
    for (auto v : {Verdict::pass, Verdict::fail, Verdict::build_failed, Verdict::boot_failed, Verdict::timeout})
        CHECK(parse_verdict(verdict_name(v)) == v);
    CHECK_FALSE(parse_verdict("maybe"));
}
