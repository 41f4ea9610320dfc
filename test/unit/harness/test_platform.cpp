// The platform table: one row a machine, and what it implies for QEMU, the kernel and the baselet.
#include "harness/platform.hpp"

#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::harness;

TEST_CASE("platforms: pc with PCI, the microVMs without, Firecracker's kernel an ELF vmlinux") {
    const Arch& x86 = *find_arch("x86_64").value();
    auto pc = find_platform("qemu-pc");
    REQUIRE(pc);
    CHECK((*pc)->pci);
    CHECK((*pc)->qemu_machine.empty()); // the architecture's machine (pc)
    CHECK((*pc)->baselet(x86) == "qemu-x86_64");
    CHECK(kernel_file_name(x86, (*pc)->kernel_format) == "bzImage");

    auto microvm = find_platform("qemu-microvm");
    REQUIRE(microvm);
    CHECK_FALSE((*microvm)->pci);
    CHECK((*microvm)->qemu_machine.substr(0, 7) == "microvm");
    CHECK((*microvm)->baselet(x86) == "microvm-x86_64");
    CHECK(kernel_file_name(x86, (*microvm)->kernel_format) == "bzImage");

    auto firecracker = find_platform("firecracker");
    REQUIRE(firecracker);
    CHECK_FALSE((*firecracker)->pci);
    CHECK(kernel_file_name(x86, (*firecracker)->kernel_format) == "vmlinux");
    CHECK((*firecracker)->baselet(x86) == "microvm-x86_64"); // the same kernel options: one build serves both
    CHECK((*firecracker)->monitor_config == MonitorConfig::firecracker);
    CHECK((*find_platform("qemu-microvm"))->monitor_config == MonitorConfig::none);

    CHECK(platform_names() == std::vector<std::string>{"qemu-pc", "qemu-microvm", "firecracker"});
    // Profiles written before platforms had names recorded their baselet.
    REQUIRE(find_platform("qemu-x86_64"));
    CHECK(*find_platform("qemu-x86_64") == *pc);
    auto unknown = find_platform("cloud-hypervisor");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().exit == Exit::bad_input);
    CHECK(unknown.error().message == "--platform cloud-hypervisor: not a known platform (known: qemu-pc, qemu-microvm, firecracker)");
}

TEST_CASE("platforms: qemu-pc exists for every architecture (virt on arm64), the microVMs for x86_64 only") {
    const Arch& x86 = **find_arch("x86_64");
    const Arch& arm64 = **find_arch("arm64");
    const Platform& pc = **find_platform("qemu-pc");
    CHECK(check_platform_arch(pc, x86));
    CHECK(check_platform_arch(pc, arm64));
    CHECK(pc.baselet(arm64) == "qemu-arm64");
    CHECK(kernel_file_name(arm64, pc.kernel_format) == "Image.gz");
    for (const char* name : {"qemu-microvm", "firecracker"}) {
        const Platform& micro = **find_platform(name);
        CHECK(check_platform_arch(micro, x86));
        auto refused = check_platform_arch(micro, arm64);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().exit == Exit::bad_input);
        CHECK(refused.error().message == str("--platform ", name, " exists for x86_64 only, not for --arch arm64"));
    }
}
