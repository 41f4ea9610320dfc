#include "pruner/kconfig_domain.hpp"
#include "pruner/prune.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

using namespace tinyx;
using namespace tinyx::pruner;

namespace {

fs::path kernel_tree() {
    if (const char* env = std::getenv("TINYX_KERNEL_SRC")) return env;
    return cache_dir().value_or("/nonexistent") / "kernel-src" / "linux-source-6.1";
}
} // namespace

TEST_CASE("kconfig: candidates beyond allnoconfig and candidate files", "[pruner][kconfig]") {
    CHECK(candidates_beyond("CONFIG_A=y\nCONFIG_B=m\nCONFIG_X=y\nCONFIG_N=5\n", "CONFIG_X=y\nCONFIG_B=y\n") == ItemSet{"A", "B"});
    auto dir = TempDir::create("tinyx-cand-");
    REQUIRE(dir);
    REQUIRE(write_file_atomic(dir->path() / "c", "# pool\nCONFIG_NET\n  INET \n\n"));
    auto list = read_candidates(dir->path() / "c");
    REQUIRE(list);
    CHECK(*list == std::vector<std::string>{"NET", "INET"});
    REQUIRE(write_file_atomic(dir->path() / "bad", "NET=y\n"));
    auto bad = read_candidates(dir->path() / "bad");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit == Exit::bad_input);
    CHECK(bad.error().message.find("bad:1") != std::string::npos);
}

TEST_CASE("kconfig: ktest order puts parents and the most depended-upon first", "[pruner][kconfig]") {
    KconfigDependencies deps;
    deps.parents["E1000"] = {"NET_VENDOR_INTEL", "PCI"};
    deps.parents["NET_VENDOR_INTEL"] = {"NETDEVICES"};
    deps.parents["VIRTIO_NET"] = {"NETDEVICES", "VIRTIO"};
    deps.parents["IGB"] = {"NET_VENDOR_INTEL", "PCI"};
    auto order = ktest_order({"E1000", "IGB", "NET_VENDOR_INTEL", "NETDEVICES", "VIRTIO_NET", "PCI"}, deps);
    auto pos = [&](const std::string& s) { return std::find(order.begin(), order.end(), s) - order.begin(); };
    REQUIRE(order.size() == 6);
    CHECK(pos("NETDEVICES") < pos("NET_VENDOR_INTEL"));
    CHECK(pos("NET_VENDOR_INTEL") < pos("E1000"));
    CHECK(pos("PCI") < pos("IGB"));
    CHECK(order.front() == "NETDEVICES"); // two dependents, like NET_VENDOR_INTEL and PCI, but visited first by name
}

TEST_CASE("kconfig: make olddefconfig as the resolver", "[pruner][kconfig][kernel]") {
    if (!fs::exists(kernel_tree() / "Kconfig")) {
        // A missing prerequisite fails the test with its name (scripts/test extracts the tree first).
        FAIL("no kernel tree at " << kernel_tree().string() << " (extract /usr/src/linux-source-6.1.tar.xz with scripts/test, or set TINYX_KERNEL_SRC)");
    }
    auto tree = kconfig::locate_source_tree(kernel_tree(), "x86_64");
    REQUIRE(tree);
    auto made = MakeConfigResolver::create(*tree);
    REQUIRE(made);
    CachingResolver resolver(std::move(*made), std::nullopt);
    // A small start: allnoconfig plus the virtio network driver.
    auto allno = resolver.allnoconfig();
    REQUIRE(allno);
    auto start = resolver.resolve(*allno + "CONFIG_NET=y\nCONFIG_NETDEVICES=y\nCONFIG_PCI=y\nCONFIG_VIRTIO_MENU=y\n"
                                           "CONFIG_VIRTIO_PCI=y\nCONFIG_NET_CORE=y\nCONFIG_VIRTIO_NET=y\n");
    REQUIRE(start);
    const ItemSet candidates{"VIRTIO_NET", "NETDEVICES", "NET_FAILOVER", "VIRTIO_PCI", "VIRTIO"};
    auto state = KconfigDomain::make_state(*start, candidates);
    REQUIRE(state.present == candidates);

    KconfigDomain domain(resolver, {}, *start);
    domain.set_candidates(candidates);
    // Turning NETDEVICES off takes VIRTIO_NET and what it selected with it.
    auto no_netdev = domain.remove(state, {"NETDEVICES"});
    REQUIRE(no_netdev);
    CHECK(no_netdev->present == ItemSet{"VIRTIO_PCI", "VIRTIO"});
    // NET_FAILOVER is selected by VIRTIO_NET and cannot be turned off alone.
    auto no_failover = domain.remove(state, {"NET_FAILOVER"});
    REQUIRE(no_failover);
    CHECK(no_failover->present == candidates);
    CHECK(no_failover->hash == state.hash);
    // The same input again is answered from the cache.
    auto calls = resolver.calls();
    REQUIRE(domain.remove(state, {"NET_FAILOVER"}));
    CHECK(resolver.calls() == calls);
    auto saved = resolver.savedefconfig(*start);
    REQUIRE(saved);
    CHECK(saved->find("CONFIG_VIRTIO_NET=y") != std::string::npos);
}

namespace {
// A resolver with one rule: B defaults to y while A is y (unless B is set explicitly).
struct DefaultPullingResolver final : ConfigResolver {
    Result<std::string> resolve(std::string_view text) override {
        auto values = kconfig::parse_config_values(text);
        std::string out(text);
        if (values.count("A") && values["A"] == "y" && text.find("CONFIG_B") == std::string_view::npos) out += "CONFIG_B=y\n";
        return out;
    }
    Result<std::string> savedefconfig(std::string_view text) override { return std::string(text); }
    Result<std::string> allnoconfig() override { return std::string(); }
    std::string identity() const override { return "default-pulling"; }
};
} // namespace

TEST_CASE("kconfig domain: trials re-resolve the start as given, so defaults fall with their candidate", "[pruner][kconfig]") {
    DefaultPullingResolver resolver;
    const std::string inputs = "CONFIG_A=y\nCONFIG_C=y\n";
    auto resolved = resolver.resolve(inputs);
    REQUIRE(resolved);
    REQUIRE(kconfig::enabled_symbols(*resolved) == ItemSet{"A", "B", "C"});
    const ItemSet candidates{"A", "C"};
    auto start = KconfigDomain::make_state(*resolved, candidates);

    // From the resolved text every value is explicit: B outlives A.
    KconfigDomain sticky(resolver, {}, *resolved);
    sticky.set_candidates(candidates);
    auto without_a = sticky.remove(start, {"A"});
    REQUIRE(without_a);
    CHECK(kconfig::enabled_symbols(without_a->text).count("B") == 1);

    // From the inputs, B goes with A, and A stays off when C goes next.
    KconfigDomain composed(resolver, {}, *resolved);
    composed.set_candidates(candidates);
    composed.set_inputs(inputs);
    auto no_a = composed.remove(start, {"A"});
    REQUIRE(no_a);
    CHECK(kconfig::enabled_symbols(no_a->text) == ItemSet{"C"});
    auto none = composed.remove(*no_a, {"C"});
    REQUIRE(none);
    CHECK(kconfig::enabled_symbols(none->text).empty());
    // A state depends only on which candidates are present, not on the path to it.
    auto no_c = composed.remove(start, {"C"});
    REQUIRE(no_c);
    auto none_other_way = composed.remove(*no_c, {"A"});
    REQUIRE(none_other_way);
    CHECK(none_other_way->hash == none->hash);
}
