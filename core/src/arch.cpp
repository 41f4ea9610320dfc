#include "core/arch.hpp"

#include "core/strings.hpp"

namespace tinyx {

namespace {

// One row an architecture. Issue 23 (arm64) adds the second.
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
     .package_arch = "amd64"},
};

} // namespace

std::string Arch::kernel_image_path() const { return str("arch/", srcarch, "/boot/", kernel_image); }

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
