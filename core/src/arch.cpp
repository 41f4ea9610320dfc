#include "core/arch.hpp"

#include "core/strings.hpp"

namespace tinyx {

namespace {

// One row an architecture.
const Arch k_arches[] = {
    {.name = "x86_64",
     .srcarch = "x86",
     .kernel_image = "bzImage",
     .cross_compile = "x86_64-linux-gnu-",
     .qemu_system = "qemu-system-x86_64",
     .qemu_machine = "pc",
     .elf_machine = 62, // EM_X86_64
     .elf_name = "x86-64",
     .multiarch = "x86_64-linux-gnu",
     .package_arch = "amd64",
     .qemu_tcg_cpu = "",
     .console_tty = "ttyS0",
     .channel_tty = "ttyS1",
     .channel_is_virtio_console = false,
     .kernel_text_range = "0xffffffff80000000..0xffffffffffffffff"},
    {.name = "arm64",
     .srcarch = "arm64",
     // Compressed: arm64 kernels have no self-decompressor, QEMU (like bootloaders) gunzips it.
     .kernel_image = "Image.gz",
     .cross_compile = "aarch64-linux-gnu-",
     .qemu_system = "qemu-system-aarch64",
     .qemu_machine = "virt",
     .elf_machine = 183, // EM_AARCH64
     .elf_name = "AArch64",
     .multiarch = "aarch64-linux-gnu",
     .package_arch = "arm64",
     // virt's default CPU is a 32-bit Cortex-A15; "max" emulates pointer authentication, which
     // costs TCG much more than it is worth to a test boot.
     .qemu_tcg_cpu = "cortex-a57",
     .console_tty = "ttyAMA0",
     .channel_tty = "hvc0",
     .channel_is_virtio_console = true,
     // The upper half: the kernel image and modules (0xffff8000...) and the linear map.
     .kernel_text_range = "0xffff000000000000..0xffffffffffffffff"},
};

#if defined(__x86_64__)
constexpr std::string_view k_host_arch = "x86_64";
#elif defined(__aarch64__)
constexpr std::string_view k_host_arch = "arm64";
#else
#error "tinyx runs on x86_64 or arm64 hosts"
#endif

} // namespace

std::string Arch::kernel_image_path() const { return str("arch/", srcarch, "/boot/", kernel_image); }

const Arch& host_arch() {
    static const Arch* host = *find_arch(k_host_arch);
    return *host;
}

std::string_view toolchain_prefix(const Arch& arch) { return &arch == &host_arch() ? std::string_view() : arch.cross_compile; }

Result<const Arch*> find_arch(std::string_view name) {
    for (const auto& arch : k_arches)
        if (arch.name == name) return &arch;
    return Error::bad_input(str("--arch ", name, ": not a known architecture (known: ", join(arch_names(), ", "), ")"));
}

std::vector<std::string> arch_names() {
    std::vector<std::string> names;
    for (const auto& arch : k_arches) names.emplace_back(arch.name);
    return names;
}

} // namespace tinyx
