// .config text: the one reader and the edits (kconfig/config_text.hpp).
#include "kconfig/config_text.hpp"

#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::kconfig;

namespace {
const char* k_config = "#\n# Linux/x86 6.1.0 Kernel Configuration\n#\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"text\"\nCONFIG_E=3\n";
} // namespace

TEST_CASE("kconfig text: values, enabled symbols, order", "[kconfig]") {
    auto values = parse_config_values(k_config);
    CHECK(values.at("A") == "y");
    CHECK(values.at("D") == "text"); // unquoted, as the kernel reads it
    CHECK(values.at("C") == "n");
    CHECK(enabled_symbols(k_config) == std::set<std::string>{"A", "B"});
    CHECK(symbols_in_order(k_config) == std::vector<std::string>{"A", "B", "C", "D", "E"});
}

TEST_CASE("kconfig text: force_off replaces lines and appends missing ones", "[kconfig]") {
    auto out = force_off(k_config, {"B", "Z"});
    CHECK(out.find("CONFIG_B=m") == std::string::npos);
    CHECK(out.find("# CONFIG_B is not set\n# CONFIG_C is not set") != std::string::npos);
    CHECK(ends_with(out, "# CONFIG_Z is not set\n"));
    CHECK(enabled_symbols(out) == std::set<std::string>{"A"});

    // A composed config sets a symbol twice (base "not set", then the fragment's "=y", which
    // wins when read); forcing it off must leave no later assignment behind.
    auto composed = force_off("# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_A=y\n", {"A"});
    CHECK(composed == "# CONFIG_A is not set\nCONFIG_B=y\n");
    CHECK(parse_config_values(composed).at("A") == "n");
}

TEST_CASE("kconfig text: symbol names with or without CONFIG_", "[kconfig]") {
    CHECK(normalise_symbol("CONFIG_EPOLL") == "EPOLL");
    CHECK(normalise_symbol("  VIRTIO_NET ") == "VIRTIO_NET");
    CHECK(normalise_symbol("# a comment").empty());
    CHECK(normalise_symbol("not a symbol!").empty());
}

TEST_CASE("kconfig text: option-level differences", "[kconfig]") {
    auto changes = diff_values({{"A", "y"}, {"B", "m"}}, {{"B", "y"}, {"C", "y"}});
    REQUIRE(changes.size() == 3);
    CHECK((changes[0].symbol == "A" && changes[0].before == "y" && changes[0].after.empty()));
    CHECK((changes[1].symbol == "B" && changes[1].before == "m" && changes[1].after == "y"));
    CHECK((changes[2].symbol == "C" && changes[2].before.empty() && changes[2].after == "y"));
}

TEST_CASE("set_values: the first line of a symbol takes the value, later ones go, new ones are appended") {
    const std::string text = "CONFIG_KERNEL_XZ=y\n# CONFIG_KERNEL_ZSTD is not set\nCONFIG_RD_GZIP=y\nCONFIG_RD_GZIP=y\nCONFIG_EPOLL=y\n";
    const auto out = kconfig::set_values(text, {{"KERNEL_XZ", "n"}, {"KERNEL_ZSTD", "y"}, {"RD_GZIP", "n"}, {"RD_ZSTD", "y"}});
    CHECK(out == "# CONFIG_KERNEL_XZ is not set\nCONFIG_KERNEL_ZSTD=y\n# CONFIG_RD_GZIP is not set\nCONFIG_EPOLL=y\nCONFIG_RD_ZSTD=y\n");
    const auto values = kconfig::parse_config_values(out);
    CHECK(values.at("KERNEL_ZSTD") == "y");
    CHECK(values.at("RD_GZIP") == "n");
    CHECK(kconfig::force_off(text, {"EPOLL"}) == kconfig::set_values(text, {{"EPOLL", "n"}}));
}
