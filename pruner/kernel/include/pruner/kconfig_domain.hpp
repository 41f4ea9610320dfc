// Kconfig as an ItemDomain: items are CONFIG_ symbols, a state is a resolved
// .config, and removing items means "force them off, then resolve".
//
// Resolution goes through ConfigResolver so the engine can use either the
// kernel's own tool (MakeConfigResolver: `make O=... olddefconfig`, ~2-4 s a
// call, the authority) or the in-process kconfig engine (EngineConfigResolver).
#pragma once

#include "core/fs.hpp"
#include "kconfig/config_text.hpp"
#include "kconfig/make.hpp"
#include "minimize/item_domain.hpp"
#include "pruner/terms.hpp"

#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <string_view>

namespace tinyx::pruner {

// --- resolution ------------------------------------------------------------

class ConfigResolver {
  public:
    virtual ~ConfigResolver() = default;
    // What `make olddefconfig` makes of `config_text`.
    virtual Result<std::string> resolve(std::string_view config_text) = 0;
    // `make savedefconfig` of a resolved config: the minimal fragment.
    virtual Result<std::string> savedefconfig(std::string_view resolved_text) = 0;
    // `make allnoconfig`.
    virtual Result<std::string> allnoconfig() = 0;
    // Identifies the resolver in caches ("make olddefconfig, <tree>, x86_64").
    virtual std::string identity() const = 0;
};

// The kernel's own tool (kconfig::ConfigMake): `make O=DIR olddefconfig` in a private
// scratch build directory (nothing is written into the tree).
class MakeConfigResolver final : public ConfigResolver {
  public:
    static Result<std::unique_ptr<MakeConfigResolver>> create(const kconfig::SourceTree& tree);
    Result<std::string> resolve(std::string_view config_text) override { return m_make.olddefconfig(config_text); }
    Result<std::string> savedefconfig(std::string_view resolved_text) override { return m_make.savedefconfig(resolved_text); }
    Result<std::string> allnoconfig() override { return m_make.allnoconfig(); }
    std::string identity() const override { return m_make.identity(); }

  private:
    explicit MakeConfigResolver(kconfig::ConfigMake make) : m_make(std::move(make)) {}
    kconfig::ConfigMake m_make;
};

// Remembers resolutions by input hash, in memory and (optionally) in a
// directory, so replaying a journal after --resume costs no resolver calls.
class CachingResolver final : public ConfigResolver {
  public:
    CachingResolver(std::unique_ptr<ConfigResolver> inner, std::optional<fs::path> cache_dir)
        : m_inner(std::move(inner)), m_cache_dir(std::move(cache_dir)) {}
    Result<std::string> resolve(std::string_view config_text) override;
    Result<std::string> savedefconfig(std::string_view resolved_text) override { return m_inner->savedefconfig(resolved_text); }
    Result<std::string> allnoconfig() override { return m_inner->allnoconfig(); }
    std::string identity() const override { return m_inner->identity(); }
    int calls() const { return m_calls; }
    int hits() const { return m_hits; }
    double seconds() const { return m_seconds; }

  private:
    std::unique_ptr<ConfigResolver> m_inner;
    std::optional<fs::path> m_cache_dir;
    std::map<std::string, std::string> m_memory;
    int m_calls = 0;
    int m_hits = 0;
    double m_seconds = 0;
};

// --- dependencies (for ordering only) ---------------------------------------

// symbol -> the symbols it depends on (its direct dependencies, and its selectors: `select Y`
// in X makes Y depend on X), from the Kconfig engine (Kconfig::dependency_parents). Used only to
// order trials, never to decide anything.
struct KconfigDependencies {
    std::map<std::string, std::set<std::string>> parents;
};

// ktest's order: most-depended-upon first, and every candidate's parents
// (among the candidates) before it.
std::vector<std::string> ktest_order(const ItemSet& candidates, const KconfigDependencies& deps);

// --- the domain ---------------------------------------------------------------

class KconfigDomain final : public ItemDomain {
  public:
    // `menu_order`: a .config whose line order defines the grouping order (the start config).
    KconfigDomain(ConfigResolver& resolver, KconfigDependencies deps, std::string menu_order_config);

    std::string kind() const override { return "kconfig"; }
    Result<State> remove(const State& base, const std::vector<Item>& items) override;
    std::vector<Item> sequential_order(const ItemSet& candidates) override;
    std::vector<Item> grouping_order(const ItemSet& candidates) override;

    // A State for a config text, restricted to `candidates`.
    static State make_state(std::string text, const ItemSet& candidates);
    void set_candidates(ItemSet candidates) { m_candidates = std::move(candidates); }
    // The start config as given (a fragment, or a full .config). A trial resolves it
    // with every absent candidate forced off, so its state depends only on which
    // candidates are present, and a non-candidate that only a removed candidate's
    // default turned on falls with it (in a full .config every value is explicit and stays).
    void set_inputs(std::string inputs) { m_inputs = std::move(inputs); }

  private:
    ConfigResolver& m_resolver;
    KconfigDependencies m_deps;
    std::map<std::string, std::size_t> m_position;
    ItemSet m_candidates;
    std::string m_inputs;
};

} // namespace tinyx::pruner
