#include "minimize/set_domain.hpp"

#include "core/hash.hpp"
#include "core/strings.hpp"

namespace tinyx::minimize {

SetDomain::SetDomain(std::string kind, std::vector<Item> items) : m_kind(std::move(kind)), m_items(std::move(items)) {}

State SetDomain::make_state(const std::vector<Item>& present) const {
    State state;
    state.present = ItemSet(present.begin(), present.end());
    state.text = m_kind + "\n";
    for (const auto& item : m_items)
        if (state.present.count(item)) state.text += item + "\n";
    state.hash = sha256_hex(state.text);
    return state;
}

std::vector<Item> SetDomain::items_of(const std::string& text) {
    auto lines = split_lines(text);
    std::vector<Item> items;
    for (std::size_t i = 1; i < lines.size(); ++i)
        if (!lines[i].empty()) items.emplace_back(lines[i]);
    return items;
}

Result<State> SetDomain::remove(const State& base, const std::vector<Item>& items) {
    ItemSet gone(items.begin(), items.end());
    std::vector<Item> present;
    for (const auto& item : m_items)
        if (base.present.count(item) && !gone.count(item)) present.push_back(item);
    return make_state(present);
}

std::vector<Item> SetDomain::in_order(const ItemSet& subset) const {
    std::vector<Item> out;
    for (const auto& item : m_items)
        if (subset.count(item)) out.push_back(item);
    return out;
}

} // namespace tinyx::minimize
