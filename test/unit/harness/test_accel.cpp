#include "harness/accel.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace tinyx;
using namespace tinyx::harness;

namespace {
fs::path fake_qemu() { return fs::path(TINYX_SOURCE_DIR) / "test/fixtures/fake-qemu.py"; }
} // namespace

TEST_CASE("probe_kvm: the firmware must boot; an abort or a hang means no KVM") {
    std::string detail;
    ::setenv("FAKE_QEMU_MODE", "probe-ok", 1);
    CHECK(probe_kvm(fake_qemu(), 10, detail));
    ::setenv("FAKE_QEMU_MODE", "probe-abort", 1);
    CHECK_FALSE(probe_kvm(fake_qemu(), 10, detail));
    CHECK(detail.find("Could not access KVM kernel module") != std::string::npos);
    ::setenv("FAKE_QEMU_MODE", "probe-hang", 1);
    CHECK_FALSE(probe_kvm(fake_qemu(), 1, detail));
    CHECK(detail.find("hung") != std::string::npos);
}

TEST_CASE("choose_accelerator: a guest of another architecture is emulated, and --accel kvm for it is bad input") {
    const Arch& other = **find_arch(host_arch().name == "x86_64" ? "arm64" : "x86_64");
    auto dir = TempDir::create("tinyx-test-accel-");
    REQUIRE(dir);
    fs::path device = dir->path() / "kvm"; // present and writable: KVM would be probed for the host's arch
    REQUIRE(write_file_atomic(device, ""));
    auto automatic = choose_accelerator(AccelChoice::automatic, other, fake_qemu(), device);
    REQUIRE(automatic);
    CHECK(automatic->accel == Accelerator::tcg);
    CHECK(automatic->why.find(std::string(other.name)) != std::string::npos);
    auto forced = choose_accelerator(AccelChoice::kvm, other, fake_qemu(), device);
    REQUIRE_FALSE(forced);
    CHECK(forced.error().exit == Exit::bad_input);
}

TEST_CASE("choose_accelerator: explicit choices, no device, and a cached probe") {
    CHECK(choose_accelerator(AccelChoice::tcg, host_arch(), fake_qemu())->accel == Accelerator::tcg);
    CHECK(choose_accelerator(AccelChoice::kvm, host_arch(), fake_qemu())->accel == Accelerator::kvm);
    CHECK(choose_accelerator(AccelChoice::automatic, host_arch(), fake_qemu(), "/nonexistent/kvm")->accel == Accelerator::tcg);

    auto dir = TempDir::create("tinyx-test-accel-");
    REQUIRE(dir);
    const char* old_cache = std::getenv("TINYX_CACHE_DIR");
    std::string saved = old_cache ? old_cache : "";
    ::setenv("TINYX_CACHE_DIR", (dir->path() / "cache").c_str(), 1);
    fs::path device = dir->path() / "kvm"; // stands in for /dev/kvm: present and writable
    REQUIRE(write_file_atomic(device, ""));

    ::setenv("FAKE_QEMU_MODE", "probe-ok", 1);
    auto first = choose_accelerator(AccelChoice::automatic, host_arch(), fake_qemu(), device);
    REQUIRE(first);
    CHECK(first->accel == Accelerator::kvm);
    CHECK(first->why.find("cached") == std::string::npos);
    // Now the fake would abort, but the verdict comes from the cache.
    ::setenv("FAKE_QEMU_MODE", "probe-abort", 1);
    auto second = choose_accelerator(AccelChoice::automatic, host_arch(), fake_qemu(), device);
    REQUIRE(second);
    CHECK(second->accel == Accelerator::kvm);
    CHECK(second->why.find("cached") != std::string::npos);

    if (old_cache)
        ::setenv("TINYX_CACHE_DIR", saved.c_str(), 1);
    else
        ::unsetenv("TINYX_CACHE_DIR");
}
