// A search hint from an earlier pruning: the options a profile does not keep (pruned
// for a similar app, or for the same app on another kernel) are tried first, as one
// group. When the guess holds, pruning costs one trial for that group plus one per
// option the profile kept, instead of a search over the whole pool; when it does not,
// the group is split like any other, so the result is the same 1-minimal config.
//
//   PriorRemovalHint hint(profile_enabled_symbols);          // symbols the profile keeps
//   PriorRemovalHint hint(profile_enabled_symbols, &trace);  // the rest ordered by a trace
#pragma once

#include "minimize/item_domain.hpp"

#include <set>
#include <string>
#include <vector>

namespace tinyx::minimize {

class PriorRemovalHint final : public SearchHint {
  public:
    // `kept`: what the earlier pruning kept. `then` (optional) groups the kept
    // candidates; those it leaves ungrouped (and all of them without it) are tried
    // alone, since a similar app most likely needs them too, and a group of needed
    // items only costs extra splits.
    explicit PriorRemovalHint(std::set<std::string> kept, SearchHint* then = nullptr)
        : m_kept(std::move(kept)), m_then(then) {}
    std::vector<std::vector<Item>> initial_groups(const std::vector<Item>& ordered) override;

  private:
    std::set<std::string> m_kept;
    SearchHint* m_then;
};

} // namespace tinyx::minimize
