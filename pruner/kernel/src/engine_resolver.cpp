#include "pruner/engine_resolver.hpp"

#include "core/strings.hpp"
#include "kconfig/kconfig.hpp"

namespace tinyx::pruner {

Result<std::unique_ptr<EngineConfigResolver>> EngineConfigResolver::create(const fs::path& kernel_src, const std::string& arch) {
    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(kernel_src, arch));
    TRY_ASSIGN(auto loaded, kconfig::Kconfig::load(tree));
    std::unique_ptr<EngineConfigResolver> resolver(new EngineConfigResolver());
    resolver->m_identity = str("kconfig engine ", tree.root.string(), " ", arch, " ", tree.version);
    resolver->m_kconfig = std::move(loaded);
    resolver->m_src = tree.root;
    resolver->m_arch = arch;
    return resolver;
}

EngineConfigResolver::~EngineConfigResolver() = default;

Result<std::string> EngineConfigResolver::resolve(std::string_view config_text) { return m_kconfig->resolve(config_text); }

Result<std::string> EngineConfigResolver::savedefconfig(std::string_view resolved_text) {
    m_kconfig->read_config(resolved_text);
    return m_kconfig->write_minimal_config();
}

Result<std::string> EngineConfigResolver::allnoconfig() {
    TRY_ASSIGN(auto make, MakeConfigResolver::create(m_src, m_arch));
    return make->allnoconfig();
}

} // namespace tinyx::pruner
