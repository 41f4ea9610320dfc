// The architectures tinyx builds images for: the one table of every architecture-specific
// name (the kernel's make, QEMU, ELF, Debian's multiarch). No other file spells an
// architecture; code asks the table.
//
//   TRY_ASSIGN(const Arch& arch, find_arch(request.arch));   // "x86_64", from --arch
//   argv.push_back(str("ARCH=", arch.name));
//   fs::path image = build_dir / arch.kernel_image_path();     // arch/x86/boot/bzImage
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx {

struct Arch {
    std::string_view name;          // --arch, profiles and Kbuild's ARCH: "x86_64"
    std::string_view srcarch;       // the kernel's arch/<dir>: "x86"
    std::string_view kernel_image;  // make target and file name of the bootable image: "bzImage"
    std::string_view cross_compile; // CROSS_COMPILE for building on another architecture: "x86_64-linux-gnu-"
    std::string_view qemu_system;   // the QEMU binary: "qemu-system-x86_64"
    std::string_view qemu_machine;  // QEMU's machine for a tinyx guest: "pc"
    int elf_machine = 0;            // e_machine of its ELF files (EM_X86_64 = 62)
    std::string_view elf_name;      // how people name that machine: "x86-64"
    std::string_view multiarch;     // Debian's multiarch triplet, library directories: "x86_64-linux-gnu"
    std::string_view package_arch;  // Debian's architecture and the OCI image config's "architecture": "amd64"
    std::string_view qemu_tcg_cpu;  // QEMU's -cpu under TCG ("" = the machine's default; KVM takes "host")
    std::string_view console_tty;   // the kernel's name for the machine's first UART: "ttyS0"
    // The harness's marker channel (harness/protocol.h): a second UART where the machine has one
    // ("ttyS1"), else a virtio console ("hvc0", QEMU's virt machine has a single PL011).
    std::string_view channel_tty;
    bool channel_is_virtio_console = false;
    // QEMU -dfilter range of the kernel's code (the trace's block log keeps only these addresses).
    std::string_view kernel_text_range;

    // arch/<srcarch>/boot/<kernel_image>, relative to a kernel build directory.
    std::string kernel_image_path() const;
};

// The architecture tinyx builds for when none is named.
inline constexpr std::string_view kDefaultArch = "x86_64";

// The architecture this tinyx binary runs on (KVM and native compilers only serve it).
const Arch& host_arch();
// CROSS_COMPILE for building `arch`'s kernel and programs on this host: "" when it is the host's.
std::string_view toolchain_prefix(const Arch& arch);

// The table's entry for a name, or bad input naming the known ones.
Result<const Arch*> find_arch(std::string_view name);
// Every known name, in the table's order (for --help and flag checks).
std::vector<std::string> arch_names();

} // namespace tinyx
