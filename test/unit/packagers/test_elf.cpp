#include "core/fs.hpp"
#include "elf.hpp"
#include "harness/guest_init.hpp"
#include "library_search.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tinyx;
using namespace tinyx::packagers;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::set<std::string> closure_names(const ElfClosure& closure) {
    std::set<std::string> names;
    for (const auto& m : closure.members()) names.insert(m.host_path.filename().string());
    return names;
}

} // namespace

TEST_CASE("read_elf: a dynamic executable (nginx)") {
    REQUIRE(fs::exists("/usr/sbin/nginx")); // scripts/setup installs nginx-light
    auto elf = read_elf("/usr/sbin/nginx");
    REQUIRE(elf);
    CHECK(elf->is_executable_type);
    CHECK(elf->is_dynamic);
    CHECK(elf->interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(contains(elf->needed, "libc.so.6"));
    CHECK(contains(elf->needed, "libpcre2-8.so.0"));
    CHECK(elf->imports("getpwnam"));
}

TEST_CASE("read_elf: a static executable (busybox) needs nothing") {
    REQUIRE(fs::exists("/bin/busybox")); // busybox-static
    auto elf = read_elf("/bin/busybox");
    REQUIRE(elf);
    CHECK(elf->interpreter.empty());
    CHECK(elf->needed.empty());
    auto resolver = LibraryResolver::load();
    REQUIRE(resolver);
    ElfClosure closure(*resolver);
    REQUIRE(closure.add_root("/bin/busybox", "test"));
    CHECK(closure.members().size() == 1);
}

TEST_CASE("read_elf: a shared library has a soname and no interpreter") {
    auto elf = read_elf("/lib/x86_64-linux-gnu/libc.so.6");
    REQUIRE(elf);
    CHECK(elf->soname == "libc.so.6");
    auto pcre = read_elf("/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0");
    REQUIRE(pcre);
    CHECK(pcre->soname == "libpcre2-8.so.0");
    CHECK(pcre->interpreter.empty());
    CHECK_FALSE(pcre->is_executable_type);
}

TEST_CASE("read_elf: refuses a non-ELF file, naming it") {
    auto temp = TempDir::create("tinyx-elf-");
    REQUIRE(temp);
    auto script = temp->path() / "script.sh";
    REQUIRE(write_file_atomic(script, "#!/bin/sh\necho hi\n"));
    auto elf = read_elf(script);
    REQUIRE_FALSE(elf);
    CHECK(elf.error().exit == Exit::bad_input);
    CHECK(elf.error().message.find(script.string()) != std::string::npos);
    CHECK(elf.error().message.find("not an ELF file") != std::string::npos);
    CHECK_FALSE(has_elf_magic(script));
}

TEST_CASE("read_elf: refuses a foreign-architecture ELF, naming its machine") {
    auto temp = TempDir::create("tinyx-elf-");
    REQUIRE(temp);
    auto original = read_file("/bin/busybox");
    if (!original) original = read_file("/bin/true");
    REQUIRE(original);
    std::string bytes = *original;
    bytes[18] = char(183); // EM_AARCH64, little-endian e_machine
    bytes[19] = 0;
    auto foreign = temp->path() / "arm-binary";
    REQUIRE(write_file_atomic(foreign, bytes));
    CHECK(has_elf_magic(foreign));
    auto elf = read_elf(foreign);
    REQUIRE_FALSE(elf);
    CHECK(elf.error().exit == Exit::bad_input);
    CHECK(elf.error().message.find("AArch64") != std::string::npos);
    CHECK(elf.error().message.find(foreign.string()) != std::string::npos);
}

TEST_CASE("read_elf: with --arch arm64, AArch64 files are read and x86-64 ones refused") {
    auto temp = TempDir::create("tinyx-elf-");
    REQUIRE(temp);
    // A real AArch64 executable: tinyx's arm64 guest init (static, cross-built with musl).
    auto init = harness::guest_init_binary("arm64");
    REQUIRE(init);
    auto arm = temp->path() / "tinyx-init-arm64";
    REQUIRE(write_file_atomic(arm, std::string(*init)));
    auto elf = read_elf(arm, "arm64");
    REQUIRE(elf);
    CHECK(elf->interpreter.empty());
    CHECK(elf->needed.empty());
    auto refused = read_elf(arm, "x86_64");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("ELF file for AArch64") != std::string::npos);

    auto host = read_elf("/bin/busybox", "arm64");
    REQUIRE_FALSE(host);
    CHECK(host.error().exit == Exit::bad_input);
    CHECK(host.error().message ==
          "/bin/busybox: ELF file for x86-64 (64-bit); tinyx builds arm64 images here and only takes 64-bit AArch64 ELF files");
}

TEST_CASE("expand_origin handles both spellings") {
    CHECK(expand_origin("$ORIGIN/../lib", "/opt/app/bin") == "/opt/app/bin/../lib");
    CHECK(expand_origin("${ORIGIN}/lib:x", "/a") == "/a/lib:x");
    CHECK(expand_origin("/usr/lib", "/a") == "/usr/lib");
}

TEST_CASE("ld.so.conf: includes are followed, comments ignored") {
    auto temp = TempDir::create("tinyx-ldconf-");
    REQUIRE(temp);
    auto root = temp->path();
    REQUIRE(make_directories(root / "etc/ld.so.conf.d"));
    REQUIRE(write_file_atomic(root / "etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/first\n"));
    REQUIRE(write_file_atomic(root / "etc/ld.so.conf.d/b.conf", "/opt/b # trailing\n"));
    REQUIRE(write_file_atomic(root / "etc/ld.so.conf.d/a.conf", "/opt/a\n"));
    std::vector<fs::path> dirs;
    REQUIRE(parse_ld_so_conf(SourceRoot(root), "/etc/ld.so.conf", dirs));
    REQUIRE(dirs.size() == 3);
    CHECK(dirs[0] == "/opt/a");
    CHECK(dirs[1] == "/opt/b");
    CHECK(dirs[2] == "/opt/first");
}

TEST_CASE("library search: RUNPATH wins over RPATH, $ORIGIN expands") {
    auto temp = TempDir::create("tinyx-search-");
    REQUIRE(temp);
    auto root = temp->path();
    REQUIRE(make_directories(root / "opt/app/bin"));
    REQUIRE(make_directories(root / "opt/app/lib"));
    REQUIRE(make_directories(root / "opt/rpath"));
    REQUIRE(write_file_atomic(root / "opt/app/lib/libx.so.1", "x"));
    REQUIRE(write_file_atomic(root / "opt/rpath/libx.so.1", "x"));
    auto resolver = LibraryResolver::load(SourceRoot(root));
    REQUIRE(resolver);
    ElfFile exe;
    exe.path = "/opt/app/bin/app";
    exe.rpath = {"/opt/rpath"};
    CHECK(resolver->find("libx.so.1", exe, &exe) == fs::path("/opt/rpath/libx.so.1"));
    exe.runpath = {"$ORIGIN/../lib"};
    CHECK(resolver->find("libx.so.1", exe, &exe) == fs::path("/opt/app/lib/libx.so.1"));
    CHECK_FALSE(resolver->find("libnothere.so.9", exe, &exe));
}

TEST_CASE("ELF closure of real binaries") {
    auto resolver = LibraryResolver::load();
    REQUIRE(resolver);
    if (fs::exists("/usr/sbin/nginx")) {
        ElfClosure closure(*resolver);
        REQUIRE(closure.add_root("/usr/sbin/nginx", "app"));
        auto names = closure_names(closure);
        CHECK(names.count("libc.so.6"));
        CHECK(names.count("libpcre2-8.so.0"));
        CHECK(names.count("libcrypto.so.3")); 
        CHECK(names.count("ld-linux-x86-64.so.2"));
        CHECK(closure.missing().empty());
        bool reason_found = false;
        for (const auto& m : closure.members())
            if (m.reason == "ELF closure of /usr/sbin/nginx (DT_NEEDED libpcre2-8.so.0)") reason_found = true;
        CHECK(reason_found);
    }
    if (fs::exists("/usr/bin/redis-server")) {
        ElfClosure closure(*resolver);
        REQUIRE(closure.add_root("/usr/bin/redis-server", "app"));
        auto names = closure_names(closure);
        CHECK(names.count("libjemalloc.so.2"));
        CHECK(names.count("libssl.so.3"));
        CHECK(closure.imports("pthread_create"));
    }
}
