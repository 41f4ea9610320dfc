// The minimisation engine's view of "things that can be removed".
//
// The engine (pruner/engine.hpp) knows nothing about Kconfig: it works on a
// State (an opaque text such as a .config or a kernel command line, plus the
// set of candidate items that are present in it) and asks an ItemDomain to
// remove items from a state. A domain decides what removal *really* does: for
// Kconfig, forcing symbols off and re-resolving may take more symbols with them
// (depends on) or may not work at all (select). The engine only ever trusts the
// resolved result, never the request.
//
// Implementations: KconfigDomain (pruner/kconfig_domain.hpp). Boot options and
// image files (issue 10) are further implementations of the same interface.
#pragma once

#include "core/result.hpp"

#include <set>
#include <string>
#include <vector>

namespace tinyx::minimize {

using Item = std::string;
using ItemSet = std::set<Item>;

// One point of the search: what a trial would test.
struct State {
    std::string text; // what the evaluator judges (a resolved .config, a command line, ...)
    std::string hash; // sha256 of text: identical states are never tested twice
    ItemSet present;  // the candidate items present (enabled) in text
};

class ItemDomain {
  public:
    virtual ~ItemDomain() = default;

    // "kconfig", "boot-options", "files": recorded in journals and reports.
    virtual std::string kind() const = 0;

    // The state `base` with `items` removed, after the domain's own resolution.
    // The result may still contain some of `items` (they cannot be removed) and
    // may lack others that were not asked for (they fell with them).
    virtual Result<State> remove(const State& base, const std::vector<Item>& items) = 0;

    // Candidates in the order the domain considers natural for trying them one at
    // a time (Kconfig: most-depended-upon first, parents before children).
    virtual std::vector<Item> sequential_order(const ItemSet& candidates) = 0;

    // Candidates in an order where neighbours belong together and dependents come
    // before what they depend on (Kconfig: reverse menu order, so a contiguous
    // slice is a menu subtree, children first). Group testing takes contiguous
    // slices of it.
    virtual std::vector<Item> grouping_order(const ItemSet& candidates) = 0;
};

// An optional outside opinion on how to search (issue 8: a coverage trace says
// which items never ran). The group strategy tests `likely_removable` groups
// first, as large groups, and everything else afterwards in smaller groups.
// The test loop still decides everything: a wrong hint costs trials, never
// correctness.
class SearchHint {
  public:
    virtual ~SearchHint() = default;
    // Initial groups, in the order to try them. Each is tested whole first and
    // split on failure. Items of `ordered` (the domain's grouping order) left
    // undecided afterwards go to the engine's adaptive phase.
    virtual std::vector<std::vector<Item>> initial_groups(const std::vector<Item>& ordered) = 0;
    // The share of needed items expected among what the groups leave to the adaptive
    // phase. That phase starts with groups of about its inverse and then learns from its
    // own verdicts only: what the hinted groups showed says little about the rest.
    virtual double expected_needed_share_left() const { return 1.0 / 32; }
};

} // namespace tinyx::minimize
