// The architecture table: every architecture-specific name tinyx uses comes from one row.
#include "core/arch.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace tinyx;

TEST_CASE("arch table: x86_64 and arm64, with their kernel, QEMU, ELF and Debian names") {
    CHECK(arch_names() == std::vector<std::string>{"x86_64", "arm64"});
    const Arch& x86 = **find_arch("x86_64");
    CHECK(x86.kernel_image_path() == "arch/x86/boot/bzImage");
    CHECK(x86.elf_machine == 62);
    CHECK(x86.console_tty == "ttyS0");
    CHECK(x86.channel_tty == "ttyS1");
    CHECK_FALSE(x86.channel_is_virtio_console);

    const Arch& arm64 = **find_arch("arm64");
    CHECK(arm64.kernel_image_path() == "arch/arm64/boot/Image.gz");
    CHECK(arm64.cross_compile == "aarch64-linux-gnu-");
    CHECK(arm64.qemu_system == "qemu-system-aarch64");
    CHECK(arm64.qemu_machine == "virt");
    CHECK(arm64.elf_machine == 183);
    CHECK(arm64.multiarch == "aarch64-linux-gnu");
    CHECK(arm64.package_arch == "arm64");
    CHECK(arm64.console_tty == "ttyAMA0");
    CHECK(arm64.channel_tty == "hvc0");
    CHECK(arm64.channel_is_virtio_console); // virt has one PL011, the console's
    CHECK_FALSE(arm64.qemu_tcg_cpu.empty()); // virt's default CPU is 32-bit

    // No two rows share a name the outside world uses to tell them apart.
    std::set<std::string_view> elf, packages, qemus;
    for (const auto& name : arch_names()) {
        const Arch& arch = **find_arch(name);
        CHECK(elf.insert(std::string_view(arch.elf_name)).second);
        CHECK(packages.insert(arch.package_arch).second);
        CHECK(qemus.insert(arch.qemu_system).second);
    }

    auto unknown = find_arch("riscv64");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().exit == Exit::bad_input);
    CHECK(unknown.error().message == "--arch riscv64: not a known architecture (known: x86_64, arm64)");
}

TEST_CASE("arch table: the host's architecture builds natively, any other through its cross toolchain") {
    const Arch& host = host_arch();
#if defined(__x86_64__)
    CHECK(host.name == "x86_64");
#endif
    CHECK(toolchain_prefix(host).empty());
    for (const auto& name : arch_names()) {
        const Arch& arch = **find_arch(name);
        if (&arch != &host) CHECK(toolchain_prefix(arch) == arch.cross_compile);
    }
}
