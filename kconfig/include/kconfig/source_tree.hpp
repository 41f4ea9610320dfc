// Finding the kernel tree tinyx works on. `--kernel-src` may name an extracted tree or a
// linux-source-*.tar.xz; a tarball is extracted once into cache_dir()/kernel-src/<name>/ (into a
// temporary sibling first, then renamed, so concurrent runs never see half a tree).
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>

namespace tinyx::kconfig {

struct SourceTree {
    fs::path root;       // contains Makefile and Kconfig
    std::string version; // "6.1.192" (KERNELVERSION from the top Makefile)
    std::string arch;    // as the user gave it: "x86_64"
    std::string srcarch; // the arch/ directory: "x86"
};

inline constexpr const char* default_kernel_tarball = "/usr/src/linux-source-6.1.tar.xz";

// kernel_src empty: default_kernel_tarball. Missing tree or unknown arch: Error::bad_input.
Result<SourceTree> locate_source_tree(const std::optional<fs::path>& kernel_src, const std::string& arch = "x86_64");

// The arch/ directory for an ARCH value (x86_64 -> x86), or "" if the tree has no such arch.
std::string source_arch(const fs::path& root, const std::string& arch);

// KERNELVERSION as the top Makefile computes it.
Result<std::string> read_kernel_version(const fs::path& root);

} // namespace tinyx::kconfig
