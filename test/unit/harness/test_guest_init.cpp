#include "harness/guest_init.hpp"

#include "core/arch.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::harness;

TEST_CASE("render_init_config writes one key and value a line") {
    InitConfig config;
    config.run = {"/usr/sbin/nginx", "-g", "daemon off;"};
    config.environment = {"LANG=C.UTF-8", "GREETING=hello world"};
    config.directories = {{"/var/lib/nginx body", 0750, 33, 34}, {"/run/app", 01777, 0, 0}};
    config.hostname = "web";
    std::string text = render_init_config(config);
    CHECK(text ==
          "# tinyx-init configuration: one \"key value\" a line (run, env, dir, hostname, workdir, user)\n"
          "hostname web\n"
          "dir /var/lib/nginx body 0750 33 34\n"
          "dir /run/app 01777 0 0\n"
          "env LANG=C.UTF-8\n"
          "env GREETING=hello world\n"
          "run /usr/sbin/nginx\n"
          "run -g\n"
          "run daemon off;\n");
}

TEST_CASE("render_init_config: the app's working directory and user come before its command") {
    InitConfig config;
    config.run = {"/srv/app/server"};
    config.workdir = "/srv/app";
    config.run_as_user = true;
    config.uid = 33;
    config.gid = 34;
    std::string text = render_init_config(config);
    CHECK(text.find("workdir /srv/app\nuser 33 34\nrun /srv/app/server\n") != std::string::npos);
    config.run_as_user = false;
    config.workdir.clear();
    text = render_init_config(config);
    CHECK(text.find("\nuser ") == std::string::npos);
    CHECK(text.find("\nworkdir ") == std::string::npos);
}

TEST_CASE("the embedded guest inits are the static executables the build produced, one per architecture") {
    for (const auto& arch_name : arch_names()) {
        INFO(arch_name);
        const Arch& arch = **find_arch(arch_name);
        auto init = guest_init_binary(arch_name);
        REQUIRE(init); // scripts/setup installs every architecture's compiler
        REQUIRE(init->size() > 1000);
        CHECK(init->substr(0, 4) == "\x7f" "ELF");
        // For its machine (e_machine at 18, little-endian).
        CHECK((static_cast<unsigned char>((*init)[18]) | static_cast<unsigned char>((*init)[19]) << 8) == arch.elf_machine);
        auto built = read_file(fs::path(TINYX_BINARY_DIR) / "harness" / ("tinyx-init-" + arch_name));
        REQUIRE(built.ok());
        CHECK(*built == *init);
        // Static: no program interpreter, so it runs in images without a libc; musl keeps it small.
        CHECK(init->find("ld-linux") == std::string_view::npos);
        CHECK(init->find("ld-musl") == std::string_view::npos);
        CHECK(init->size() < 100 * 1024);
    }
}
