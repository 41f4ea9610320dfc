// The Kconfig engine's entry: loading a tree. Evaluation is in evaluator.cpp, .config I/O in
// config_io.cpp, incremental re-resolution in incremental.cpp, queries in queries.cpp.
#include "kconfig/kconfig.hpp"

#include "evaluator.hpp"
#include "incremental.hpp"
#include "parser.hpp"

namespace tinyx::kconfig {

using namespace detail;

Kconfig::~Kconfig() = default;

Result<std::unique_ptr<Kconfig>> Kconfig::load(const SourceTree& tree, const LoadOptions& options) {
    ParseOptions parse_options;
    parse_options.use_shell_cache = options.use_shell_cache;
    parse_options.environment = options.environment;
    TRY_ASSIGN(auto model, parse_tree(tree, parse_options));
    std::unique_ptr<Kconfig> kc(new Kconfig());
    kc->m_model = std::move(model);
    kc->m_tree = tree;
    return kc;
}

} // namespace tinyx::kconfig
