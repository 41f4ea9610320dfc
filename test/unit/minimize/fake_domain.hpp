// A small in-memory model of Kconfig for engine tests: items with parents
// (depends on: an item falls when a parent is off) and selectors (an item stays
// on while a selector is on). Resolution is instant, so tests can count trials
// on hundreds of items.
#pragma once

#include "core/hash.hpp"
#include "core/strings.hpp"
#include "minimize/evaluator.hpp"
#include "minimize/item_domain.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace tinyx::minimize::testing {

struct FakeDomain final : ItemDomain {
    std::vector<Item> order;               // grouping order
    std::map<Item, ItemSet> parents;       // depends on
    std::map<Item, ItemSet> selected_by;   // select
    int removes = 0;

    std::string kind() const override { return "fake"; }

    State make_state(const ItemSet& present) const {
        State s;
        s.present = present;
        s.text = join({present.begin(), present.end()}, "\n");
        s.hash = sha256_hex(s.text);
        return s;
    }

    Result<State> remove(const State& base, const std::vector<Item>& items) override {
        ++removes;
        ItemSet present = base.present;
        ItemSet forced(items.begin(), items.end());
        // Fixpoint: forced items go off unless selected by something on; items whose parent is off fall.
        for (bool changed = true; changed;) {
            changed = false;
            for (auto it = present.begin(); it != present.end();) {
                const Item& item = *it;
                bool selected = false;
                if (auto s = selected_by.find(item); s != selected_by.end())
                    for (const auto& by : s->second) selected |= present.count(by) > 0;
                bool parent_off = false;
                if (auto p = parents.find(item); p != parents.end())
                    for (const auto& parent : p->second) parent_off |= present.count(parent) == 0;
                if (!selected && (forced.count(item) || parent_off)) {
                    it = present.erase(it);
                    changed = true;
                } else {
                    ++it;
                }
            }
        }
        return make_state(present);
    }

    // Parents first, as ktest orders them.
    std::vector<Item> sequential_order(const ItemSet& candidates) override {
        std::vector<Item> out;
        for (const auto& item : order)
            if (candidates.count(item)) out.push_back(item);
        return out;
    }
    // Children first, as KconfigDomain's reverse menu order.
    std::vector<Item> grouping_order(const ItemSet& candidates) override {
        auto out = sequential_order(candidates);
        std::reverse(out.begin(), out.end());
        return out;
    }
};

// Passes iff `judge(present items)`; counts calls and the states it saw.
struct FakeEvaluator final : TrialEvaluator {
    std::function<bool(const ItemSet&)> judge;
    const FakeDomain* domain = nullptr;
    int calls = 0;
    int interrupt_after = -1; // simulate Ctrl-C before call number interrupt_after+1
    std::vector<std::string> hashes;

    Result<TrialOutcome> evaluate(const TrialInput& trial) override {
        if (interrupt_after >= 0 && calls >= interrupt_after) return Error::interrupted();
        ++calls;
        hashes.push_back(trial.hash);
        ItemSet present;
        for (const auto& line : split_lines(trial.text))
            if (!line.empty()) present.insert(line);
        TrialOutcome outcome;
        outcome.verdict = judge(present) ? Verdict::pass : Verdict::fail;
        outcome.evidence = {str("judged ", present.size(), " items")};
        return outcome;
    }
};

} // namespace tinyx::minimize::testing
