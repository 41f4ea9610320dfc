// The minimisation engine: from a passing start state, remove as many candidate
// items as the test allows, ending 1-minimal.
//
//   Engine engine(domain, evaluator, options);
//   Result<EngineResult> r = engine.run(start_state, candidates);
//
// Strategies (EngineOptions::strategy):
//   - "sequential": ktest make_min_config. Items one at a time in the domain's
//     sequential order; an item the domain will not remove is skipped without a
//     trial; a pass removes everything that fell with the item.
//   - "group" (default): adaptive group testing. Contiguous slices of the
//     domain's grouping order (menu subtrees for Kconfig) are removed together;
//     a failing slice is halved. Only what actually fell counts.
// Both end with a confirmation sweep that makes the result 1-minimal: every
// remaining candidate, removed alone from the FINAL state, either cannot be
// removed or fails the test. An item proven needed in the final state already
// costs nothing there; only items decided in an earlier state are re-tried.
//
// Every state is judged at most once (memo by state hash, and by the journal
// across --resume). Nothing here is random: the same inputs give the same
// trials in the same order.
#pragma once

#include "core/fs.hpp"
#include "pruner/evaluator.hpp"
#include "pruner/item_domain.hpp"
#include "pruner/journal.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::pruner {

struct TrialRecord {
    int id = 0;
    std::vector<Item> disabled; // what the strategy asked to remove
    std::vector<Item> removed;  // candidates that actually fell (resolved effect)
    std::string config_hash;
    Verdict verdict = Verdict::fail;
    bool cached = false;   // judged by an earlier trial of the same state (same_as)
    int same_as = 0;
    bool replayed = false; // verdict taken from the journal (--resume)
    TrialOutcome outcome;  // evidence and timings (of the original trial when cached)
};

// Why a candidate is still there at the end.
struct KeptItem {
    Item item;
    bool removable = true; // false: the domain would not remove it (selected, forced by others)
    int trial_id = 0;      // the failing trial that showed it is needed (removable items)
    Verdict verdict = Verdict::fail;
    std::vector<std::string> evidence;
};

struct EngineResult {
    bool start_passed = false; // false: the start state failed; nothing was pruned
    State final_state;
    std::vector<TrialRecord> trials; // every judged state, cached ones included
    std::vector<KeptItem> kept;      // in grouping order
    std::vector<Item> removed;       // candidates absent from the final state
    int test_runs = 0;               // trials that ran the evaluator in this or an earlier (journaled) run
    int cache_hits = 0;
    int replayed = 0;
    int builds = 0;
    int resolves = 0;          // domain remove() calls
    int skipped_no_effect = 0; // removals the domain refused, decided without a trial
    double seconds = 0;
};

struct EngineOptions {
    std::string strategy = "group";
    fs::path trials_dir;         // per-trial scratch directories (evaluator files)
    Journal* journal = nullptr;  // optional: record and replay trials
    SearchHint* hint = nullptr;  // optional: initial groups for "group"
    // Called after every trial with a one-line status (the CLI shows it as progress).
    std::function<void(const std::string&)> on_progress;
};

class Engine {
  public:
    Engine(ItemDomain& domain, TrialEvaluator& evaluator, EngineOptions options);
    Result<EngineResult> run(const State& start, const ItemSet& candidates);

    static bool known_strategy(const std::string& name) { return name == "sequential" || name == "group"; }

  private:
    struct Decision {
        bool removable = true;
        std::string context; // state hash it was decided in
        bool alone = true;   // decided by removing this item alone (not as part of a group)
        int trial_id = 0;
        Verdict verdict = Verdict::fail;
        std::vector<std::string> evidence;
    };

    Result<const TrialRecord*> judge(const State& state, const std::vector<Item>& disabled, const std::vector<Item>& removed);
    Result<void> run_sequential();
    Result<void> run_group();
    Result<void> confirmation_sweep();
    // Try removing `items` from the current state. Returns what fell.
    Result<std::vector<Item>> attempt(const std::vector<Item>& items, bool& passed, const TrialRecord*& record);
    void report_progress(std::size_t group_size);

    ItemDomain& m_domain;
    TrialEvaluator& m_evaluator;
    EngineOptions m_options;
    ItemSet m_candidates;
    State m_current;
    std::map<std::string, int> m_memo; // state hash -> index into m_result.trials of the original judgement
    std::map<Item, Decision> m_decided;
    EngineResult m_result;
    double m_trial_seconds = 0; // measured cost of evaluator runs in this process
    int m_trials_here = 0;
    std::size_t m_estimated_left = 0;
    std::chrono::steady_clock::time_point m_start;
};

} // namespace tinyx::pruner
