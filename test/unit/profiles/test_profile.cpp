#include "profiles/profile.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::profiles;

namespace {

Result<Profile> parse(const std::string& text) {
    auto document = parse_json(text, "p.json");
    REQUIRE(document.ok());
    return parse_profile(*document, "p.json");
}

Profile make(std::string kind, std::string name, std::vector<OptionSetting> options) {
    Profile profile;
    profile.kind = std::move(kind);
    profile.name = std::move(name);
    profile.options = std::move(options);
    return profile;
}

} // namespace

TEST_CASE("profiles: every shipped profile validates") {
    int count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(TINYX_SOURCE_DIR) / "profiles")) {
        if (entry.path().extension() != ".json") continue;
        auto profile = load_profile(entry.path());
        INFO(entry.path().string());
        CHECK(profile.ok());
        if (!profile.ok()) WARN(profile.error().message);
        ++count;
    }
    CHECK(count >= 1);
}

TEST_CASE("profiles: the baselet gives a reason for every option") {
    auto baselet = load_profile(fs::path(TINYX_SOURCE_DIR) / "profiles/baselets/qemu-x86_64.json");
    REQUIRE(baselet.ok());
    CHECK(baselet->kind == "baselet");
    CHECK(baselet->options.size() >= 10);
    for (const auto& option : baselet->options) {
        INFO(option.symbol);
        CHECK_FALSE(option.why.empty());
    }
}

TEST_CASE("profiles: validation names the exact field") {
    auto bad_port = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"x","app":{"app":"nginx-light"},
                              "test":{"host_test":"curl x","forward":[80, 70000]}})");
    REQUIRE_FALSE(bad_port.ok());
    CHECK(bad_port.error().message == "p.json: test.forward[1] 70000: expected 1 to 65535 (a TCP port)");
    // The same range as the --memory flag (harness::kMemoryRangeMb), not a second definition.
    auto bad_memory = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"x","app":{"app":"a"},"test":{"memory":8}})");
    REQUIRE_FALSE(bad_memory.ok());
    CHECK(bad_memory.error().message == "p.json: test.memory 8: expected 16 to 1048576 MB");

    auto bad_symbol = parse(R"({"schema":"tinyx-profile/1","kind":"pool","name":"x","options":[{"symbol":"epoll"}]})");
    REQUIRE_FALSE(bad_symbol.ok());
    CHECK(bad_symbol.error().message == "p.json: options[0].symbol: 'epoll' is not a Kconfig symbol name");

    auto bad_kind = parse(R"({"schema":"tinyx-profile/1","kind":"appp","name":"x"})");
    REQUIRE_FALSE(bad_kind.ok());
    CHECK(bad_kind.error().message == "p.json: kind: 'appp' (expected baselet, pool or app)");

    auto bad_platform = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"x","platform":"qemu-mircovm","app":{"app":"a"}})");
    REQUIRE_FALSE(bad_platform.ok());
    CHECK(bad_platform.error().message ==
          "p.json: platform: 'qemu-mircovm' is not a known platform (qemu-pc, qemu-microvm, firecracker)");

    auto missing_app = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"x"})");
    REQUIRE_FALSE(missing_app.ok());
    CHECK(missing_app.error().message == "p.json: an app profile needs an 'app' object");

    auto host_test_without_port = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"x","app":{"app":"a"},
                                           "test":{"host_test":"curl"}})");
    REQUIRE_FALSE(host_test_without_port.ok());
    CHECK(host_test_without_port.error().message == "p.json: test.forward: a host_test needs at least one forwarded port");
}

TEST_CASE("profiles: JSON round trip keeps everything") {
    auto profile = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"web","kernel":{"version":"6.1.1"},
        "platform":"qemu-x86_64","options":[{"symbol":"CONFIG_EPOLL","value":"y","why":"trial 3 failed"}],
        "app":{"app":"nginx-light","run":"nginx","includes":["a:/b"],"busybox":false},
        "test":{"host_test":"curl","forward":[80],"timeout":60}})");
    REQUIRE(profile.ok());
    CHECK(profile->options.at(0).symbol == "EPOLL");
    auto again = parse_profile(profile_to_json(*profile), "again");
    REQUIRE(again.ok());
    CHECK(again->options == profile->options);
    CHECK(again->app->busybox == false);
    CHECK(again->test->forward == std::vector<int>{80});
    CHECK(again->kernel_version == "6.1.1");
    CHECK(diff_profiles(*profile, *again).empty());
}

TEST_CASE("profiles: merge is a union and reports conflicts with both sources") {
    auto a = make("baselet", "base", {{"SERIAL_8250", "y", ""}, {"NR_CPUS", "1", ""}});
    auto b = make("app", "redis", {{"EPOLL", "y", ""}, {"SERIAL_8250", "y", ""}});
    auto merged = merge_profiles({a, b});
    REQUIRE(merged.ok());
    CHECK(merged->options.size() == 3);

    auto c = make("app", "smp", {{"NR_CPUS", "4", ""}});
    auto conflict = merge_profiles({a, c});
    REQUIRE_FALSE(conflict.ok());
    REQUIRE(conflict.error().details.size() == 1);
    CHECK(conflict.error().details[0] == "NR_CPUS: base sets 1, smp sets 4");
}

TEST_CASE("profiles: diff and config fragment") {
    auto a = make("app", "a", {{"EPOLL", "y", ""}, {"AIO", "y", ""}});
    auto b = make("app", "b", {{"EPOLL", "y", ""}, {"FUTEX", "y", ""}});
    CHECK(diff_profiles(a, b) == std::vector<std::string>{"- AIO=y", "+ FUTEX=y"});
    CHECK(config_fragment({{"EPOLL", "y", ""}, {"AIO", "n", ""}, {"NR_CPUS", "2", ""}, {"CMDLINE", "a \"b\"", ""}}) ==
          "CONFIG_EPOLL=y\n# CONFIG_AIO is not set\nCONFIG_NR_CPUS=2\nCONFIG_CMDLINE=\"a \\\"b\\\"\"\n");
}

TEST_CASE("profile: relative host paths resolve against the profile's directory", "[profiles]") {
    profiles::AppSpec app;
    app.app = "nginx-light";
    app.includes = {"../examples/www:/www", "/etc/mime.types", "conf/site.conf:/etc/site.conf"};
    auto rebased = profiles::rebase_host_paths(app, "/srv/tinyx/profiles/apps");
    CHECK(rebased.app == "nginx-light"); // a package name is not a path
    CHECK(rebased.includes == std::vector<std::string>{"/srv/tinyx/profiles/examples/www:/www", "/etc/mime.types",
                                                       "/srv/tinyx/profiles/apps/conf/site.conf:/etc/site.conf"});
    app.app = "./bin/server";
    CHECK(profiles::rebase_host_paths(app, "/home/u").app == "/home/u/bin/server");
}

TEST_CASE("profiles: an app from a container image, its digest, environment and user") {
    auto profile = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"web",
        "app":{"image":"oci:images/web:1","image_digest":"sha256:abc","env":["A=1","B=x y"],"user":"www-data:www-data",
               "workdir":"/srv"}})");
    REQUIRE(profile.ok());
    CHECK(profile->app->app.empty());
    CHECK(app_label(*profile->app) == "oci:images/web:1");
    auto again = parse_profile(profile_to_json(*profile), "again");
    REQUIRE(again.ok());
    CHECK(again->app->image_digest == "sha256:abc");
    CHECK(again->app->env == std::vector<std::string>{"A=1", "B=x y"});
    CHECK(again->app->user == "www-data:www-data");
    CHECK(again->app->workdir == "/srv");
    CHECK(diff_profiles(*profile, *again).empty());
    // The image's path is relative to the profile, the tag stays.
    CHECK(rebase_host_paths(*profile->app, "/p").image == "oci:/p/images/web:1");

    auto both = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"w","app":{"app":"nginx-light","image":"oci:x"}})");
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().message.find("give one") != std::string::npos);
    auto bad_env = parse(R"({"schema":"tinyx-profile/1","kind":"app","name":"w","app":{"image":"oci:x","env":["NOVALUE"]}})");
    REQUIRE_FALSE(bad_env.ok());
    CHECK(bad_env.error().message.find("app.env") != std::string::npos);
}
