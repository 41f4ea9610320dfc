#include "minimize/prior_hint.hpp"

namespace tinyx::minimize {

std::vector<std::vector<Item>> PriorRemovalHint::initial_groups(const std::vector<Item>& ordered) {
    std::vector<Item> guessed_removable, guessed_needed;
    for (const auto& item : ordered) (m_kept.count(item) ? guessed_needed : guessed_removable).push_back(item);

    std::vector<std::vector<Item>> groups;
    if (!guessed_removable.empty()) groups.push_back(guessed_removable);
    if (m_then) {
        std::set<Item> needed(guessed_needed.begin(), guessed_needed.end());
        for (auto& group : m_then->initial_groups(ordered)) {
            std::vector<Item> kept_part;
            for (auto& item : group)
                if (needed.erase(item)) kept_part.push_back(item);
            if (!kept_part.empty()) groups.push_back(std::move(kept_part));
        }
        // What the inner hint leaves to the engine's adaptive phase, the profile
        // still says is needed: alone, as without an inner hint.
        for (const auto& item : guessed_needed)
            if (needed.count(item)) groups.push_back({item});
    } else {
        for (const auto& item : guessed_needed) groups.push_back({item});
    }
    return groups;
}

} // namespace tinyx::minimize
