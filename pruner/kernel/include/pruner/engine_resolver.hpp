// ConfigResolver on top of the in-process kconfig engine (kconfig/kconfig.hpp): a resolve costs
// milliseconds instead of the ~2-25 s of `make olddefconfig`, which is what makes group testing
// over ~1,000 candidates practical. allnoconfig, which the engine does not offer, runs the
// kernel's tool. The engine is borrowed: whoever loaded the tree (once per run) owns it.
#pragma once

#include "pruner/kconfig_domain.hpp"

#include "kconfig/kconfig.hpp"

#include <memory>

namespace tinyx::pruner {

class EngineConfigResolver final : public ConfigResolver {
  public:
    EngineConfigResolver(kconfig::Kconfig& kconfig, const kconfig::SourceTree& tree);
    Result<std::string> resolve(std::string_view config_text) override;
    Result<std::string> savedefconfig(std::string_view resolved_text) override;
    Result<std::string> allnoconfig() override;
    std::string identity() const override { return m_identity; }

  private:
    kconfig::Kconfig& m_kconfig;
    kconfig::SourceTree m_tree;
    std::string m_identity;
};

} // namespace tinyx::pruner
