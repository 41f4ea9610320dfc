#include "harness/platform.hpp"

#include "core/strings.hpp"

namespace tinyx::harness {

namespace {

// ACPI off on microvm: Firecracker has none, and a kernel without ACPI finds the virtio-mmio
// devices on its command line (QEMU adds them: auto-kernel-cmdline). No option ROMs: the same bare
// machine Firecracker gives a guest. The RTC stays: without it the guest clock starts at 1970
// (nginx crashed so), while a Firecracker guest has the wall clock from kvm-clock.
const Platform k_platforms[] = {
    {.name = "qemu-pc",
     .qemu_machine = "",
     .pci = true,
     .kernel_format = KernelFormat::boot_image,
     .baselet_stem = "qemu",
     .description = "QEMU's standard machine for the architecture (pc on x86_64, virt on arm64): PCI, virtio-net-pci",
     .arches = ""},
    {.name = "qemu-microvm",
     .qemu_machine = "microvm,x-option-roms=off,rtc=on,acpi=off",
     .pci = false,
     .kernel_format = KernelFormat::boot_image,
     .baselet_stem = "microvm",
     .description = "QEMU's microvm machine: no PCI, no ACPI, virtio devices over MMIO",
     .arches = "x86_64"},
    {.name = "firecracker",
     .qemu_machine = "microvm,x-option-roms=off,rtc=on,acpi=off",
     .pci = false,
     .kernel_format = KernelFormat::elf,
     .monitor_config = MonitorConfig::firecracker,
     .baselet_stem = "microvm", // the same kernel options as qemu-microvm: one build serves both
     .description = "Firecracker: an uncompressed vmlinux and vm-config.json; tested under QEMU microvm with the "
                    "same devices (virtio-mmio, serial console), as Firecracker needs KVM",
     .arches = "x86_64"}, // Firecracker's arm64 guests boot an Image through FDT: not tested here
};

} // namespace

std::string Platform::baselet(const Arch& arch) const { return str(baselet_stem, "-", arch.name); }

std::string kernel_file_name(const Arch& arch, KernelFormat format) {
    return format == KernelFormat::elf ? "vmlinux" : std::string(arch.kernel_image);
}

Result<void> check_platform_arch(const Platform& platform, const Arch& arch) {
    if (platform.arches.empty()) return success();
    for (const auto& name : split(std::string(platform.arches), ' '))
        if (name == arch.name) return success();
    return Error::bad_input(str("--platform ", platform.name, " exists for ", platform.arches, " only, not for --arch ", arch.name));
}

Result<const Platform*> find_platform(std::string_view name) {
    if (name == "qemu-x86_64") name = "qemu-pc"; // profiles written before platforms had names
    for (const auto& platform : k_platforms)
        if (platform.name == name) return &platform;
    return Error::bad_input(str("--platform ", name, ": not a known platform (known: ", join(platform_names(), ", "), ")"));
}

std::vector<std::string> platform_names() {
    std::vector<std::string> names;
    for (const auto& platform : k_platforms) names.emplace_back(platform.name);
    return names;
}

} // namespace tinyx::harness
