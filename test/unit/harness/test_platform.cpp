// The platform table: one row a machine, and what it implies for QEMU, the kernel and the baselet.
#include "harness/platform.hpp"

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
