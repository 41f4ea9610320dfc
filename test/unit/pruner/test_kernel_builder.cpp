#include "pruner/kernel_builder.hpp"

#include "core/fs.hpp"
#include "core/process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tinyx;
using namespace tinyx::pruner;

namespace {
// flock(1) -n: succeeds only if nobody holds the lock.
bool lock_is_free(const fs::path& path) {
    ProcessSpec spec;
    spec.argv = {"flock", "-n", path.string(), "true"};
    auto run = run_process(spec);
    return run && run->success();
}
} // namespace

TEST_CASE("kernel builder: out-of-tree make command lines with ccache", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-builder-");
    REQUIRE(dir);
    REQUIRE(make_directories(dir->path() / "src"));
    REQUIRE(write_file_atomic(dir->path() / "src" / "Makefile", "all:\n"));
    KernelBuildOptions options;
    options.kernel_src = dir->path() / "src";
    options.build_dir = dir->path() / "build";
    options.jobs = 2;
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);
    auto argv = builder->make_argv("bzImage");
    auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
    CHECK(has("O=" + (dir->path() / "build").string()));
    CHECK(has("ARCH=x86_64"));
    CHECK(has("-j2"));
    CHECK(argv.back() == "bzImage");
    if (find_program("ccache")) CHECK(has("CC=ccache gcc"));
    CHECK(fs::is_directory(dir->path() / "build"));

    options.kernel_src = dir->path() / "nowhere";
    auto bad = KernelBuilder::create(options);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit == Exit::bad_input);
}

TEST_CASE("kernel builder: the build lock excludes other holders", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-lock-");
    REQUIRE(dir);
    const auto lock_path = dir->path() / "lock";
    auto lock = BuildLock::acquire(lock_path);
    REQUIRE(lock);
        CHECK_FALSE(lock_is_free(lock_path));
}

TEST_CASE("kernel builder: the lock is free again once released", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-lock-");
    REQUIRE(dir);
    const auto lock_path = dir->path() / "lock";
    { auto lock = BuildLock::acquire(lock_path); REQUIRE(lock); }
    CHECK(lock_is_free(lock_path));
}
