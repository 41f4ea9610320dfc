// The kconfig engine on small fixture trees. Expected outputs were produced by the kernel's own
// scripts/kconfig/conf (6.1) on the same Kconfig files and inputs.
#include "core/fs.hpp"
#include "kconfig/kconfig.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

using namespace tinyx;

namespace {

const char* fixture_kconfig = R"KC(mainmenu "Test $(ARCH) config"

greeting := hello
twice = $(1)$(1)
GREETING_SHELL := $(shell,echo from shell)

config MODULES
	bool "Enable modules"
	modules

config A
	bool "A"
	default y

config B
	tristate "B"
	depends on A
	default m

config C
	bool
	default y if B = m

menu "Drivers"
	visible if A

config D
	tristate "D (needs B)"
	depends on B
	select E
	imply F

config E
	tristate

config F
	tristate "F"

comment "only with A"
	depends on A

endmenu

choice
	prompt "Mode"
	default MODE_FAST

config MODE_SLOW
	bool "slow"

config MODE_FAST
	bool "fast"

endchoice

config NUM
	int "number"
	range 1 10
	default 5

config ADDR
	hex "address"
	default 0x1000

config NAME
	string "name $(twice,ab)"
	default "$(greeting) $(GREETING_SHELL)"

if A
config G
	bool "G"
	help
	  Some help text
	  over two lines.

	  And a paragraph.
config H
	def_bool y
endif
)KC";

struct Fixture {
    TempDir dir;
    std::unique_ptr<kconfig::Kconfig> kc;
};

Fixture load_fixture(const std::string& kconfig_text, std::map<std::string, std::string> extra_files = {}) {
    auto dir = TempDir::create("tinyx-kconfig-test-");
    REQUIRE(dir);
    REQUIRE(write_file_atomic(dir->path() / "Kconfig", kconfig_text));
    for (const auto& [name, text] : extra_files) {
        REQUIRE(make_directories((dir->path() / name).parent_path()));
        REQUIRE(write_file_atomic(dir->path() / name, text));
    }
    kconfig::SourceTree tree{dir->path(), dir->path(), "1.0", *find_arch("x86_64")};
    kconfig::LoadOptions options;
    options.use_shell_cache = false;
    auto kc = kconfig::Kconfig::load(tree, options);
    if (!kc) FAIL(kc.error().message);
    return Fixture{std::move(*dir), std::move(*kc)};
}

Error load_error(const std::string& kconfig_text, std::map<std::string, std::string> extra_files = {}) {
    auto dir = TempDir::create("tinyx-kconfig-test-");
    REQUIRE(dir);
    REQUIRE(write_file_atomic(dir->path() / "Kconfig", kconfig_text));
    for (const auto& [name, text] : extra_files) REQUIRE(write_file_atomic(dir->path() / name, text));
    kconfig::SourceTree tree{dir->path(), dir->path(), "1.0", *find_arch("x86_64")};
    kconfig::LoadOptions options;
    options.use_shell_cache = false;
    auto kc = kconfig::Kconfig::load(tree, options);
    REQUIRE_FALSE(kc);
    return kc.error();
}

const char* fixture_input = "CONFIG_MODULES=y\nCONFIG_D=m\nCONFIG_NUM=42\nCONFIG_NAME=\"a \\\"q\\\" b\"\n"
                            "CONFIG_UNKNOWN=y\nCONFIG_MODE_SLOW=y\n";

} // namespace

TEST_CASE("kconfig: olddefconfig output matches the kernel's conf byte for byte") {
    auto f = load_fixture(fixture_kconfig);
    std::vector<std::string> warnings;
    std::string out = f.kc->resolve(fixture_input, &warnings);
    CHECK(out == "#\n# Automatically generated file; DO NOT EDIT.\n# Test x86_64 config\n#\n"
                 "CONFIG_MODULES=y\nCONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\n\n#\n# Drivers\n#\n"
                 "CONFIG_D=m\nCONFIG_E=m\nCONFIG_F=m\n\n#\n# only with A\n#\n# end of Drivers\n\n"
                 "CONFIG_MODE_SLOW=y\n# CONFIG_MODE_FAST is not set\nCONFIG_NUM=5\nCONFIG_ADDR=0x1000\n"
                 "CONFIG_NAME=\"a \\\"q\\\" b\"\n# CONFIG_G is not set\nCONFIG_H=y\n");
    // The unknown symbol is reported and dropped.
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("unknown symbol: UNKNOWN") != std::string::npos);
}

TEST_CASE("kconfig: savedefconfig output matches the kernel's conf") {
    auto f = load_fixture(fixture_kconfig);
    f.kc->read_config(fixture_input);
    CHECK(f.kc->write_minimal_config() == "CONFIG_MODULES=y\nCONFIG_D=m\nCONFIG_MODE_SLOW=y\nCONFIG_NAME=\"a \\\"q\\\" b\"\n");
}

TEST_CASE("kconfig: macro language expands variables, user functions and $(shell)") {
    auto f = load_fixture(fixture_kconfig);
    f.kc->resolve("");
    CHECK(f.kc->values().at("NAME") == "hello from shell");
    auto x = f.kc->explain("NAME");
    REQUIRE(x);
    CHECK(x->prompt == "name abab");
}

TEST_CASE("kconfig: without MODULES tristates become bool and choices default") {
    auto f = load_fixture(fixture_kconfig);
    std::string out = f.kc->resolve("CONFIG_D=m\n");
    const auto& v = f.kc->values();
    CHECK(v.at("MODULES") == "n");
    CHECK(v.at("B") == "y"); // default m, promoted to y without modules
    CHECK(v.at("D") == "y");
    CHECK(v.at("MODE_FAST") == "y"); // the choice's default
    CHECK(v.at("MODE_SLOW") == "n");
}

TEST_CASE("kconfig: queries for the pruner") {
    auto f = load_fixture(fixture_kconfig);
    f.kc->resolve(fixture_input);
    CHECK(f.kc->selected_by("E") == std::vector<std::string>{"D"});
    CHECK(f.kc->implied_by("F") == std::vector<std::string>{"D"});
    CHECK(f.kc->menu_path("D") == std::vector<std::string>{"Drivers"});
    CHECK(f.kc->menu_path("MODE_FAST") == std::vector<std::string>{"Mode"});
    CHECK(f.kc->is_user_assignable("D"));
    CHECK_FALSE(f.kc->is_user_assignable("E")); // no prompt
    CHECK_FALSE(f.kc->is_user_assignable("C"));
    auto deps = f.kc->dependents("A");
    for (const char* sym : {"B", "C", "D", "E", "F", "G", "H"})
        CHECK(std::find(deps.begin(), deps.end(), sym) != deps.end());
    CHECK(std::find(deps.begin(), deps.end(), "NUM") == deps.end());

    // Turning A off takes B, C, D, E, G and H with it; F stays (imply does not force it).
    auto trial = f.kc->resolve_with({{"A", "n"}});
    std::map<std::string, std::pair<std::string, std::string>> changes;
    for (const auto& c : trial.changes) changes[c.symbol] = {c.before, c.after};
    CHECK(changes["A"] == std::make_pair(std::string("y"), std::string("n")));
    CHECK(changes["B"] == std::make_pair(std::string("m"), std::string("")));
    CHECK(changes["D"] == std::make_pair(std::string("m"), std::string("")));
    CHECK(changes["E"] == std::make_pair(std::string("m"), std::string("")));
    CHECK(changes.count("F") == 1);
    CHECK(trial.hash == kconfig::config_hash(trial.text));
    // The loaded config is unchanged by a trial.
    CHECK(f.kc->write_config().find("CONFIG_A=y\n") != std::string::npos);
}

namespace {
// What resolve_with({{sym, value}}) stands for: the resolved text with sym's line moved to the end.
std::string with_line(const std::string& resolved, const std::string& sym, const std::string& value) {
    std::string out;
    std::size_t pos = 0;
    while (pos < resolved.size()) {
        std::size_t eol = resolved.find('\n', pos);
        std::string line = resolved.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.rfind("CONFIG_" + sym + "=", 0) == 0 || line == "# CONFIG_" + sym + " is not set") continue;
        out += line + "\n";
    }
    return out + (value == "n" ? "# CONFIG_" + sym + " is not set\n" : "CONFIG_" + sym + "=" + value + "\n");
}
} // namespace

TEST_CASE("kconfig: incremental re-resolution agrees with a full one") {
    // Changes that stop early (SEL stays selected, STABLE stays forced), go through choices, ranges
    // and symbol defaults, and MODULES (which changes every tristate).
    const char* kconfig_text = R"KC(
config MODULES
	bool "modules"
	default y
	modules
config BASE
	bool "base"
	default y
config MID
	bool "mid"
	default y
	select SEL
config OTHER
	bool "other"
	default y
	select SEL
config SEL
	bool
config LEAF
	tristate "leaf"
	depends on BASE && SEL
	default m
config FORCED
	bool "forced"
	default y
	select STABLE
config STABLE
	bool "stable"
	depends on BASE
	default y
config AFTER_STABLE
	tristate "after stable"
	depends on STABLE
	default y
config LIMIT
	int "limit"
	default 16 if BASE
	default 4
config VALUE
	int "value"
	range 1 LIMIT
	default 10
config COPY
	int
	default VALUE
choice
	prompt "mode"
	depends on BASE
	default MODE_B
config MODE_A
	bool "a"
config MODE_B
	bool "b"
config MODE_C
	bool "c"
	depends on MID
endchoice
config AFTER_MODE
	bool "after mode"
	default y if MODE_C
choice
	tristate "tristate choice"
	default TC_B
config TC_A
	tristate "a"
config TC_B
	tristate "b"
	depends on OTHER
endchoice
)KC";
    auto f = load_fixture(kconfig_text);
    kconfig::SourceTree tree{f.dir.path(), f.dir.path(), "1.0", *find_arch("x86_64")};
    kconfig::LoadOptions options;
    options.use_shell_cache = false;
    auto reference = kconfig::Kconfig::load(tree, options);
    REQUIRE(reference);
    for (const char* input : {"CONFIG_MODE_C=y\nCONFIG_VALUE=12\nCONFIG_TC_A=m\nCONFIG_TC_B=m\n", "CONFIG_LEAF=y\nCONFIG_TC_A=y\n",
                              "# CONFIG_MODULES is not set\n"}) {
        std::string base = f.kc->resolve(input);
        std::vector<std::pair<std::string, std::string>> trials;
        for (const auto& [name, value] : f.kc->values()) {
            for (const char* v : {"n", "m", "y"}) trials.emplace_back(name, v);
            trials.emplace_back(name, "3");
            trials.emplace_back(name, "20");
        }
        for (const auto& [name, value] : trials) {
            INFO("input " << input << "override " << name << "=" << value);
            auto trial = f.kc->resolve_with({{name, value}});
            CHECK(trial.text == (*reference)->resolve(with_line(base, name, value)));
        }
    }
}

TEST_CASE("kconfig: menu paths include automatic submenus") {
    // Expected paths: the kernel's own menu tree (scripts/kconfig/menu.c, 6.1) for this file.
    auto f = load_fixture(R"KC(mainmenu "Nesting"
menu "Top"
menuconfig NETDEV
	bool "Network device support"
if NETDEV
config CORE
	bool "Core"
config LEAF
	bool "Leaf"
	depends on CORE
config LEAF2
	bool "Leaf 2"
	depends on LEAF && CORE
config SIBLING
	bool "Sibling"
	depends on CORE
config OTHER
	bool "Other"
endif
config AFTER
	bool "After"
config BASE
	bool "Base"
	depends on AFTER
config SUPERSET
	bool "Superset"
	depends on AFTER && (BASE || OTHER)
config NOT_SUPERSET
	bool "Not a superset"
	depends on BASE || OTHER
endmenu
)KC");
    using Path = std::vector<std::string>;
    CHECK(f.kc->menu_path("NETDEV") == Path{"Top"});
    CHECK(f.kc->menu_path("CORE") == Path{"Top", "Network device support"});
    CHECK(f.kc->menu_path("LEAF") == Path{"Top", "Network device support", "Core"});
    CHECK(f.kc->menu_path("LEAF2") == Path{"Top", "Network device support", "Core", "Leaf"});
    CHECK(f.kc->menu_path("SIBLING") == Path{"Top", "Network device support", "Core"});
    CHECK(f.kc->menu_path("OTHER") == Path{"Top", "Network device support"});
    CHECK(f.kc->menu_path("AFTER") == Path{"Top"});
    CHECK(f.kc->menu_path("BASE") == Path{"Top", "After"});
    CHECK(f.kc->menu_path("SUPERSET") == Path{"Top", "After", "Base"});
    CHECK(f.kc->menu_path("NOT_SUPERSET") == Path{"Top"});
}

TEST_CASE("kconfig: dependency parents in the Linux 6.1 tree, from the engine", "[kernel]") {
    fs::path root = cache_dir().value_or("/nonexistent") / "kernel-src" / "linux-source-6.1";
    if (const char* env = std::getenv("TINYX_KERNEL_SRC")) root = env;
    if (!fs::exists(root / "Kconfig"))
        FAIL("no kernel tree at " << root.string() << " (extract /usr/src/linux-source-6.1.tar.xz with scripts/test, or set TINYX_KERNEL_SRC)");
    auto tree = kconfig::locate_source_tree(root, "x86_64");
    REQUIRE(tree);
    auto kc = kconfig::Kconfig::load(*tree);
    if (!kc) FAIL(kc.error().message);
    auto parents = (*kc)->dependency_parents();
    // drivers/net/Kconfig: VIRTIO_NET depends on VIRTIO; it sits inside `if NETDEVICES`.
    CHECK(parents["VIRTIO_NET"].count("VIRTIO"));
    CHECK(parents["VIRTIO_NET"].count("NETDEVICES"));
    // `select NET_FAILOVER` in VIRTIO_NET: the selected option depends on its selector.
    CHECK(parents["NET_FAILOVER"].count("VIRTIO_NET"));
    // Other architectures' symbols are not in an x86_64 tree's model at all.
    CHECK_FALSE(parents.count("ARM64"));
}

TEST_CASE("kconfig: menu paths in the Linux 6.1 tree", "[kernel]") {
    fs::path root = cache_dir().value_or("/nonexistent") / "kernel-src" / "linux-source-6.1";
    if (const char* env = std::getenv("TINYX_KERNEL_SRC")) root = env;
    if (!fs::exists(root / "Kconfig")) {
        // A missing prerequisite fails the test with its name (scripts/test extracts the tree first).
        FAIL("no kernel tree at " << root.string() << " (extract /usr/src/linux-source-6.1.tar.xz with scripts/test, or set TINYX_KERNEL_SRC)");
    }
    auto tree = kconfig::locate_source_tree(root, "x86_64");
    REQUIRE(tree);
    auto kc = kconfig::Kconfig::load(*tree);
    if (!kc) FAIL(kc.error().message);
    using Path = std::vector<std::string>;
    // drivers/net/Kconfig: `menuconfig NETDEVICES` then `if NETDEVICES`; inside it `config NET_CORE`
    // then `if NET_CORE`, which holds VIRTIO_NET (menuconfig: "-> Device Drivers -> Network device
    // support (NETDEVICES) -> Network core driver support (NET_CORE)").
    CHECK((*kc)->menu_path("NET_CORE") == Path{"Device Drivers", "Network device support"});
    CHECK((*kc)->menu_path("VIRTIO_NET") == Path{"Device Drivers", "Network device support", "Network core driver support"});
    // net/Kconfig `config INET` + `if INET`; net/ipv4/Kconfig `config IP_PNP`, then IP_PNP_DHCP and
    // IP_PNP_BOOTP each `depends on IP_PNP` (BOOTP is not nested under DHCP: it does not depend on it).
    Path pnp{"Networking support", "Networking options", "TCP/IP networking"};
    CHECK((*kc)->menu_path("IP_PNP") == pnp);
    pnp.push_back("IP: kernel level autoconfiguration");
    CHECK((*kc)->menu_path("IP_PNP_DHCP") == pnp);
    CHECK((*kc)->menu_path("IP_PNP_BOOTP") == pnp);
}

TEST_CASE("kconfig: why explains selects, defaults and dependencies") {
    auto f = load_fixture(fixture_kconfig);
    f.kc->resolve(fixture_input);
    auto x = f.kc->explain("E");
    REQUIRE(x);
    CHECK(x->value == "m");
    CHECK(x->type == "tristate");
    REQUIRE(x->selected_by.size() == 1);
    CHECK(x->selected_by[0].rfind("D (m)", 0) == 0);
    auto b = f.kc->explain("B");
    REQUIRE(b);
    CHECK(b->direct_deps == "A");
    CHECK(b->direct_deps_value == "y");
    REQUIRE(b->defaults.size() == 1);
    CHECK(b->defaults[0] == "m if A (active)");
    CHECK_FALSE(f.kc->explain("NO_SUCH_SYMBOL"));
}

TEST_CASE("kconfig: source, menuconfig, optional choice and tristate choice") {
    auto f = load_fixture(R"KC(
config MODULES
	def_bool y
	modules
source "sub/Kconfig"
)KC",
                          {{"sub/Kconfig", R"KC(
menuconfig NETDEVICES
	bool "Network devices"
	default y
if NETDEVICES
config NIC
	tristate "a nic"
	default m
endif
choice
	prompt "optional choice"
	optional
config OPT_A
	bool "a"
endchoice
choice
	tristate "tristate choice"
	default TC_B
config TC_A
	tristate "a"
config TC_B
	tristate "b"
endchoice
)KC"}});
    std::string out = f.kc->resolve("");
    CHECK(out == "#\n# Automatically generated file; DO NOT EDIT.\n# Main menu\n#\n"
                 "CONFIG_MODULES=y\nCONFIG_NETDEVICES=y\nCONFIG_NIC=m\n"
                 "# CONFIG_TC_A is not set\n# CONFIG_TC_B is not set\n");
    out = f.kc->resolve("CONFIG_TC_A=m\nCONFIG_TC_B=m\n");
    CHECK(out.find("CONFIG_TC_A=m\nCONFIG_TC_B=m\n") != std::string::npos);
}

TEST_CASE("kconfig: syntax errors name the file and line") {
    auto e = load_error("config A\n\tbool \"a\"\n\tdepends on (B\n");
    CHECK(e.exit == Exit::bad_input);
    CHECK(e.message.rfind("Kconfig:3: ", 0) == 0);

    e = load_error("config A\n\tbool \"a\"\nfrobnicate B\n");
    CHECK(e.message.rfind("Kconfig:3: unknown statement \"frobnicate\"", 0) == 0);

    e = load_error("menu \"x\"\nconfig A\n\tbool \"a\"\n");
    CHECK(e.message.find("endmenu") != std::string::npos);

    e = load_error("source \"missing/Kconfig\"\n");
    CHECK(e.message.rfind("Kconfig:1: can't open file \"missing/Kconfig\"", 0) == 0);

    e = load_error("x := $(error-if,y,stop here)\n");
    CHECK(e.message == "Kconfig:1: stop here");

    e = load_error("x = $(x)\ny := $(x)\n");
    CHECK(e.message.find("Recursive variable 'x'") != std::string::npos);
}

TEST_CASE("kconfig: config text helpers") {
    auto values = kconfig::parse_config_values("# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"x \\\"y\\\"\"\nCONFIG_A=m\n");
    CHECK(values.at("A") == "m");
    CHECK(values.at("B") == "n");
    CHECK(values.at("S") == "x \"y\"");
    auto diff = kconfig::diff_values({{"A", "y"}, {"B", "n"}}, {{"A", "m"}, {"C", "y"}});
    REQUIRE(diff.size() == 3);
    CHECK(diff[0].symbol == "A");
    CHECK(diff[1].symbol == "B");
    CHECK(diff[1].after.empty());
    CHECK(diff[2].before.empty());
    CHECK(kconfig::config_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("kconfig: locating the tree") {
    auto missing = kconfig::locate_source_tree(fs::path("/nonexistent/linux"), "x86_64");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit == Exit::bad_input);

    auto dir = TempDir::create("tinyx-kconfig-tree-");
    REQUIRE(dir);
    REQUIRE(write_file_atomic(dir->path() / "Makefile", "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION = -rc1\n"));
    REQUIRE(write_file_atomic(dir->path() / "Kconfig", ""));
    REQUIRE(make_directories(dir->path() / "scripts" / "kconfig"));
    REQUIRE(make_directories(dir->path() / "arch" / "x86"));
    REQUIRE(write_file_atomic(dir->path() / "arch" / "x86" / "Kconfig", ""));
    auto tree = kconfig::locate_source_tree(dir->path(), "x86_64");
    REQUIRE(tree);
    CHECK(tree->version == "6.1.192-rc1");
    CHECK(tree->arch->srcarch == "x86");
    CHECK(tree->describe() == dir->path().string());
    auto bad_arch = kconfig::locate_source_tree(dir->path(), "vax");
    REQUIRE_FALSE(bad_arch);
    CHECK(bad_arch.error().exit == Exit::bad_input);
    CHECK(bad_arch.error().message.find("--arch vax") != std::string::npos);
}
