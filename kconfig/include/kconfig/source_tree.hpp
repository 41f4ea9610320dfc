// Finding the kernel tree tinyx works on. `--kernel-src` may name an extracted tree or a
// linux-source-*.tar.xz; a tarball is extracted once into cache_dir()/kernel-src/<name>/ (into a
// temporary sibling first, then renamed, so concurrent runs never see half a tree).
#pragma once

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>

namespace tinyx::kconfig {

// A kernel tree checked once: located (extracted), its version read, its architecture looked up
// in the arch table (core/arch.hpp). It travels through requests from the CLI to the trials, so
// nothing downstream takes a path and an arch string or checks the tree again.
struct SourceTree {
    fs::path root;             // contains Makefile and Kconfig (a tarball's extracted copy in the cache)
    fs::path given;            // what the user named (--kernel-src): the tree itself or a tarball
    std::string version;       // "6.1.192" (KERNELVERSION from the top Makefile)
    const Arch* arch = nullptr; // the table's entry: name "x86_64", srcarch "x86", ...

    // For messages: "/usr/src/linux-source-6.1.tar.xz (extracted to ~/.cache/...)" or the tree.
    std::string describe() const;
};

inline constexpr const char* default_kernel_tarball = "/usr/src/linux-source-6.1.tar.xz";

// kernel_src empty: default_kernel_tarball. Missing tree or unknown arch: Error::bad_input.
Result<SourceTree> locate_source_tree(const std::optional<fs::path>& kernel_src, std::string_view arch = kDefaultArch);

// KERNELVERSION as the top Makefile computes it.
Result<std::string> read_kernel_version(const fs::path& root);

} // namespace tinyx::kconfig
