// ConfigResolver on top of the in-process kconfig engine (kconfig/kconfig.hpp):
// a resolve costs milliseconds instead of the ~2-25 s of `make olddefconfig`,
// which is what makes group testing over ~1,000 candidates practical.
// allnoconfig, which the engine does not offer, falls back to the kernel's tool.
#pragma once

#include "pruner/kconfig_domain.hpp"

#include <memory>

namespace tinyx::kconfig {
class Kconfig;
}

namespace tinyx::pruner {

class EngineConfigResolver final : public ConfigResolver {
  public:
    static Result<std::unique_ptr<EngineConfigResolver>> create(const fs::path& kernel_src, const std::string& arch);
    ~EngineConfigResolver() override;
    Result<std::string> resolve(std::string_view config_text) override;
    Result<std::string> savedefconfig(std::string_view resolved_text) override;
    Result<std::string> allnoconfig() override;
    std::string identity() const override { return m_identity; }

  private:
    EngineConfigResolver() = default;
    std::unique_ptr<kconfig::Kconfig> m_kconfig;
    fs::path m_src;
    std::string m_arch;
    std::string m_identity;
};

} // namespace tinyx::pruner
