// The kernel's own tools: the one place tinyx runs `make` on a kernel tree. Always out of tree
// (O=DIR), so nothing is ever written into the source tree.
//
//   TRY_ASSIGN(auto make, kconfig::ConfigMake::create(tree));   // a scratch build directory
//   TRY_ASSIGN(std::string tiny, make.tinyconfig());
//   TRY_ASSIGN(std::string resolved, make.olddefconfig(text)); // the authority the engine matches
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"
#include "kconfig/source_tree.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx::kconfig {

// `make -C TREE O=OUT_DIR ARCH=<arch> [CROSS_COMPILE=<prefix>] TARGET`, program first (kernel builds
// append -j and CC=). CROSS_COMPILE when the arch is not the host's (core/arch.hpp: toolchain_prefix).
std::vector<std::string> make_argv(const SourceTree& tree, const fs::path& out_dir, const std::string& target);

// The config targets, run in a private scratch build directory (removed with the object).
class ConfigMake {
  public:
    static Result<ConfigMake> create(const SourceTree& tree);
    // What `make olddefconfig` makes of a .config text.
    Result<std::string> olddefconfig(std::string_view config_text);
    // `make savedefconfig` of a resolved config: the minimal fragment.
    Result<std::string> savedefconfig(std::string_view resolved_text);
    Result<std::string> allnoconfig();
    Result<std::string> tinyconfig();
    // "make olddefconfig <tree> <arch>": names this resolver in caches and journals.
    std::string identity() const;

  private:
    ConfigMake(SourceTree tree, TempDir dir) : m_tree(std::move(tree)), m_dir(std::move(dir)) {}
    // Runs TARGET and returns the named output file of the build directory.
    Result<std::string> run(const std::string& target, const std::string& output);
    SourceTree m_tree;
    TempDir m_dir;
};

} // namespace tinyx::kconfig
