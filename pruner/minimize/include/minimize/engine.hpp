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
//   - "group" (default): adaptive binary splitting (Hwang's generalised
//     binary splitting with the group size learnt as it goes). Contiguous
//     slices of the domain's grouping order, reversed so that dependents come
//     before what they depend on, are removed together; a passing slice doubles
//     the next slice's size; a failing one is halved until one needed item is
//     found, the untested halves going back to the queue. Only what actually
//     fell counts.
//   - "trace": group, started from a SearchHint made from a coverage boot
//     (trace.hpp); it needs EngineOptions::hint.
// Both end with a confirmation sweep that makes the result 1-minimal: every
// remaining candidate, removed alone from the FINAL state, either cannot be
// removed or fails the test.
//
// Verdicts are inferred where the test's monotonicity decides them: a state
// whose candidates are a subset of a state that failed also fails (removing
// more cannot repair what removing less broke). Only failures are inferred,
// never passes, so the final state is always one that really passed. A test
// that is not monotone can use EngineOptions::strict_minimal: the sweep then
// really runs every removal it judges.
//
// Every state is judged at most once (memo by state hash, and by the journal
// across --resume). Nothing here is random: the same inputs give the same
// trials in the same order.
//
// Parallel trials (EngineOptions::jobs > 1, engine_parallel.cpp): the search
// itself stays sequential, and its decisions are exactly those of jobs = 1. While
// a trial runs, idle slots evaluate the trials the search will ask for next if
// the running ones end as the strategy expects (a hint group passes, a needed
// item fails): a dry replay of the search from the start, with known verdicts and
// those guesses, finds them. A guess that proves wrong costs a slot's time, never
// a decision; a trial that finished ahead is taken, in order, when the search
// reaches it. This needs an evaluator whose verdict depends only on the state.
#pragma once

#include "core/fs.hpp"
#include "minimize/evaluator.hpp"
#include "minimize/item_domain.hpp"
#include "minimize/journal.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::minimize {

struct TrialRecord {
    int id = 0;
    std::vector<Item> disabled; // what the strategy asked to remove
    std::vector<Item> removed;  // candidates that actually fell (resolved effect)
    std::string state_hash;
    Verdict verdict = Verdict::fail;
    bool cached = false;   // judged by an earlier trial of the same state (same_as)
    bool inferred = false; // failure implied by trial same_as, whose candidates are a superset
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
    int cache_hits = 0;        // verdicts taken from an identical earlier state
    int inferred = 0;          // failures implied by an earlier failing superset state
    int replayed = 0;
    std::map<std::string, int> counts; // the evaluations' counts, added up (TrialOutcome::counts)
    int resolves = 0;          // domain remove() calls
    int skipped_no_effect = 0; // removals the domain refused, decided without a trial
    double seconds = 0;
    // --jobs: trials evaluated ahead of the search in idle slots, how many of them the
    // search then used, and the most evaluations that ran at once.
    struct Parallel {
        int jobs = 1;
        int started_ahead = 0;
        int used_ahead = 0;
        int most_at_once = 1;
    } parallel;
};

struct EngineOptions {
    std::string strategy = "group";
    fs::path trials_dir;         // per-trial scratch directories (evaluator files)
    Journal* journal = nullptr;  // optional: record and replay trials
    SearchHint* hint = nullptr;  // optional: initial groups for "group"
    bool strict_minimal = false; // the confirmation sweep runs every trial (no inferred failures)
    // Called after every trial with a one-line status (the CLI shows it as progress).
    std::function<void(const std::string&)> on_progress;
    // Trials evaluated at once. Slot 0 is the Engine's evaluator; slot k > 0 is
    // slot_evaluators[k-1] when given (one per extra slot: its own build directory,
    // say), else the Engine's evaluator again, which must then be safe to call from
    // several threads at once (files only in TrialInput::work_dir).
    int jobs = 1;
    std::vector<TrialEvaluator*> slot_evaluators;
};

class Engine {
  public:
    Engine(ItemDomain& domain, TrialEvaluator& evaluator, EngineOptions options);
    Result<EngineResult> run(const State& start, const ItemSet& candidates);

    static bool known_strategy(const std::string& name) { return name == "sequential" || name == "group" || name == "trace"; }

    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

  private:
    struct Decision {
        bool removable = true;
        std::string context; // state hash it was decided in
        bool alone = true;   // decided by removing this item alone (not as part of a group)
        int trial_id = 0;
        Verdict verdict = Verdict::fail;
        std::vector<std::string> evidence;
    };

    struct Lookahead; // a dry replay's verdicts (engine_parallel.cpp)
    struct Parallel;  // slots, trials running and finished ahead (engine_parallel.cpp)
    struct Evaluated {
        Result<TrialOutcome> outcome;
        double seconds = 0; // the evaluation's own wall time
    };
    // Runs the evaluator for a state nobody judged yet: here, or (jobs > 1) in a slot
    // while the other slots run what comes next.
    Evaluated evaluate(const State& state, const TrialInput& input);
    Evaluated evaluate_in_slots(const State& state, const TrialInput& input);
    void start_slots();
    void launch(std::size_t slot, const State& state, TrialInput input, bool expect_pass, bool ahead);
    // Starts trials ahead in idle slots; waits until one running trial ends.
    void start_ahead();
    void wait_for_one();
    // The first state the search would ask about that is neither known, running nor
    // finished ahead (replaying from the start with the guesses), with its guess.
    std::optional<std::pair<State, bool>> next_unknown();
    Result<void> search(const State& start);
    Result<const TrialRecord*> judge(const State& state, const std::vector<Item>& disabled, const std::vector<Item>& removed);
    Result<void> run_sequential();
    Result<void> run_group();
    // Test `group` removed; on failure find one needed member by halving. Members
    // the domain would not remove go to `refused`; halves left untested go back
    // to the front of `queue`. Returns whether the group itself passed.
    Result<bool> test_group(std::vector<Item> group, std::deque<Item>& queue, std::vector<Item>& refused);
    std::size_t next_group_size() const;
    std::size_t needed_so_far() const; // candidates still present and known to be needed
    bool live(const Item& item) const { return m_current.present.count(item) && !m_decided.count(item); }
    Result<void> confirmation_sweep();
    // Try removing `items` from the current state. Returns what fell.
    Result<std::vector<Item>> attempt(const std::vector<Item>& items, bool& passed, const TrialRecord*& record);
    void report_progress(std::size_t group_size);

    ItemDomain* m_domain;
    TrialEvaluator& m_evaluator;
    EngineOptions m_options;
    ItemSet m_candidates;
    State m_current;
    std::map<std::string, int> m_memo; // state hash -> index into m_result.trials of the original judgement
    std::vector<std::pair<ItemSet, int>> m_failing; // candidates of each really failing state, its trial index
    bool m_infer = true;
    std::map<Item, Decision> m_decided;
    EngineResult m_result;
    double m_trial_seconds = 0; // measured cost of evaluator runs in this process
    int m_trials_here = 0;
    std::size_t m_estimated_left = 0;
    // The adaptive phase's group size comes from its own verdicts: the counts when it
    // began, and the prior inverse share of needed items (SearchHint or 32).
    std::size_t m_phase_removed_base = 0, m_phase_needed_base = 0;
    double m_phase_prior = 32;
    std::chrono::steady_clock::time_point m_start;
    // The strategy's guess for the trial it asks for next (true: it will pass), which the
    // parallel slots follow when they run ahead.
    bool m_expect_pass = false;
    State m_start_state;
    std::map<std::string, Verdict> m_known; // verdicts of states really judged, by hash
    Lookahead* m_lookahead = nullptr;       // a dry replay: verdicts come from here, nothing runs
    std::unique_ptr<Parallel> m_parallel;   // jobs > 1
};

} // namespace tinyx::minimize
