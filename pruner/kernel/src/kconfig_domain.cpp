#include "pruner/kconfig_domain.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>

namespace tinyx::pruner {

// --- MakeConfigResolver ---------------------------------------------------------

Result<std::unique_ptr<MakeConfigResolver>> MakeConfigResolver::create(const kconfig::SourceTree& tree) {
    TRY_ASSIGN(auto make, kconfig::ConfigMake::create(tree));
    return std::unique_ptr<MakeConfigResolver>(new MakeConfigResolver(std::move(make)));
}

// --- CachingResolver --------------------------------------------------------------

Result<std::string> CachingResolver::resolve(std::string_view config_text) {
    const std::string key = sha256_hex(str(identity(), "\n", config_text));
    if (auto hit = m_memory.find(key); hit != m_memory.end()) {
        ++m_hits;
        return hit->second;
    }
    if (m_cache_dir) {
        const fs::path file = *m_cache_dir / key;
        std::error_code ec;
        if (fs::exists(file, ec)) {
            if (auto text = read_file(file)) {
                ++m_hits;
                m_memory[key] = *text;
                return std::move(*text);
            }
        }
    }
    ++m_calls;
    const auto start = std::chrono::steady_clock::now();
    TRY_ASSIGN(auto resolved, m_inner->resolve(config_text));
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (m_cache_dir) {
        TRY(make_directories(*m_cache_dir));
        TRY(write_file_atomic(*m_cache_dir / key, resolved));
    }
    m_memory[key] = resolved;
    return resolved;
}

std::vector<std::string> ktest_order(const ItemSet& candidates, const KconfigDependencies& deps) {
    std::map<std::string, int> depended_upon;
    for (const auto& [symbol, parents] : deps.parents)
        for (const auto& parent : parents) ++depended_upon[parent];
    std::vector<std::string> by_count(candidates.begin(), candidates.end());
    std::stable_sort(by_count.begin(), by_count.end(), [&](const std::string& a, const std::string& b) {
        return depended_upon[a] > depended_upon[b];
    });
    std::vector<std::string> order;
    ItemSet visited;
    std::function<void(const std::string&)> visit = [&](const std::string& symbol) {
        if (!visited.insert(symbol).second) return;
        if (auto it = deps.parents.find(symbol); it != deps.parents.end())
            for (const auto& parent : it->second)
                if (candidates.count(parent)) visit(parent);
        order.push_back(symbol);
    };
    for (const auto& symbol : by_count) visit(symbol);
    return order;
}

// --- KconfigDomain ---------------------------------------------------------------------

KconfigDomain::KconfigDomain(ConfigResolver& resolver, KconfigDependencies deps, std::string menu_order_config)
    : m_resolver(resolver), m_deps(std::move(deps)) {
    for (const auto& symbol : kconfig::symbols_in_order(menu_order_config)) m_position.emplace(symbol, m_position.size());
}

State KconfigDomain::make_state(std::string text, const ItemSet& candidates) {
    State state;
    state.hash = sha256_hex(text);
    for (const auto& symbol : kconfig::enabled_symbols(text))
        if (candidates.count(symbol)) state.present.insert(symbol);
    state.text = std::move(text);
    return state;
}

Result<State> KconfigDomain::remove(const State& base, const std::vector<Item>& items) {
    if (m_inputs.empty()) {
        TRY_ASSIGN(auto resolved, m_resolver.resolve(kconfig::force_off(base.text, items)));
        return make_state(std::move(resolved), m_candidates);
    }
    std::set<std::string> off(items.begin(), items.end());
    for (const auto& candidate : m_candidates)
        if (!base.present.count(candidate)) off.insert(candidate);
    TRY_ASSIGN(auto resolved, m_resolver.resolve(kconfig::force_off(m_inputs, {off.begin(), off.end()})));
    return make_state(std::move(resolved), m_candidates);
}

std::vector<Item> KconfigDomain::sequential_order(const ItemSet& candidates) { return ktest_order(candidates, m_deps); }

std::vector<Item> KconfigDomain::grouping_order(const ItemSet& candidates) {
    std::vector<Item> order(candidates.begin(), candidates.end());
    const auto last = m_position.size();
    std::stable_sort(order.begin(), order.end(), [&](const Item& a, const Item& b) {
        auto pa = m_position.count(a) ? m_position.at(a) : last;
        auto pb = m_position.count(b) ? m_position.at(b) : last;
        return pa > pb; // reverse menu order: a menu's options follow it in .config
    });
    return order;
}

} // namespace tinyx::pruner
