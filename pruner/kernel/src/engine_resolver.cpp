#include "pruner/engine_resolver.hpp"

#include "core/strings.hpp"
#include "kconfig/make.hpp"

namespace tinyx::pruner {

EngineConfigResolver::EngineConfigResolver(kconfig::Kconfig& kconfig, const kconfig::SourceTree& tree)
    : m_kconfig(kconfig), m_tree(tree),
      m_identity(str("kconfig engine ", tree.root.string(), " ", tree.arch->name, " ", tree.version)) {}

Result<std::string> EngineConfigResolver::resolve(std::string_view config_text) { return m_kconfig.resolve(config_text); }

Result<std::string> EngineConfigResolver::savedefconfig(std::string_view resolved_text) {
    m_kconfig.read_config(resolved_text);
    return m_kconfig.write_minimal_config();
}

Result<std::string> EngineConfigResolver::allnoconfig() {
    TRY_ASSIGN(auto make, kconfig::ConfigMake::create(m_tree));
    return make.allnoconfig();
}

} // namespace tinyx::pruner
