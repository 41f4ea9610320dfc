// Parsing a kernel tree's Kconfig files into the model (internal to the kconfig module).
#pragma once

#include "core/result.hpp"
#include "model.hpp"
#include "kconfig/source_tree.hpp"

#include <map>
#include <memory>
#include <string>

namespace tinyx::kconfig::detail {

struct ParseOptions {
    bool use_shell_cache = true;
    // Extra/overriding environment for the macro language (tests use this for small trees).
    std::map<std::string, std::string> environment;
    std::string top_file = "Kconfig";
};

// The environment `make ARCH=<arch> olddefconfig` gives scripts/kconfig/conf.
std::map<std::string, std::string> kbuild_environment(const SourceTree& tree);

Result<std::unique_ptr<Model>> parse_tree(const SourceTree& tree, const ParseOptions& options);

// menu_finalize (finalize.cpp): propagate menus' and ifs' dependencies, build choices and the
// reverse dependencies of select and imply. parse_tree runs it last.
void finalize_menus(Model& model);

} // namespace tinyx::kconfig::detail
