// The machines a tinyx image is made for: the one table of what each needs from QEMU (machine,
// where devices sit), from the kernel (its image format, its baselet) and from the outputs. A
// boot, a pruning and a build all run on the platform the image is for.
//
//   TRY_ASSIGN(const Platform* platform, find_platform("qemu-microvm"));
//   argv.insert(argv.end(), {"-M", std::string(platform->qemu_machine)});
//   profiles_dir / "baselets" / platform->baselet(arch)       // microvm-x86_64.json
#pragma once

#include "core/arch.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx::harness {

// What the monitor loads as the kernel.
enum class KernelFormat {
    boot_image, // the architecture's bootable image (bzImage on x86)
    elf,        // the uncompressed ELF vmlinux (Firecracker on x86_64; QEMU boots it through its PVH note)
};

// A configuration file the monitor takes, written beside the kernel and the image.
enum class MonitorConfig {
    none,
    firecracker, // vm-config.json, Firecracker's --config-file
};

struct Platform {
    std::string_view name;         // --platform and profiles: "qemu-pc"
    std::string_view qemu_machine; // QEMU's -M: "pc"; empty = the architecture's (core/arch.hpp)
    bool pci = true;               // devices on PCI (virtio-*-pci) or on MMIO (virtio-*-device, no PCI at all)
    KernelFormat kernel_format = KernelFormat::boot_image;
    MonitorConfig monitor_config = MonitorConfig::none;
    // profiles/baselets/<stem>-<arch>.json (qemu-pc's is "qemu": qemu-x86_64.json). Platforms with
    // the same baselet take the same kernel options (qemu-microvm and firecracker).
    std::string_view baselet_stem;
    std::string_view description;
    // The architectures it exists for (names of core/arch.hpp, space-separated); empty: all.
    std::string_view arches;

    // The baselet profile's name for an architecture: "microvm-x86_64".
    std::string baselet(const Arch& arch) const;
};

inline constexpr std::string_view kDefaultPlatform = "qemu-pc";

// The kernel file a platform boots: "vmlinux" (elf), else the architecture's image ("bzImage").
std::string kernel_file_name(const Arch& arch, KernelFormat format);

// Bad input when the platform does not exist for `arch` (QEMU's microvm is x86 only).
Result<void> check_platform_arch(const Platform& platform, const Arch& arch);

// The table's entry, or bad input naming the known ones. Profiles written before platforms had
// names record their baselet ("qemu-x86_64"): that is qemu-pc.
Result<const Platform*> find_platform(std::string_view name);
std::vector<std::string> platform_names();

} // namespace tinyx::harness
