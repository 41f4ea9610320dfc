#include "set_pruning.hpp"

#include "minimize/journal.hpp"

namespace tinyx::pipeline {

Result<minimize::EngineResult> run_set_pruning(minimize::SetDomain& domain, minimize::TrialEvaluator& evaluator,
                                             const SetPruning& how) {
    TRY(make_directories(how.out_dir));
    TRY_ASSIGN(auto journal, minimize::Journal::open(how.out_dir / "journal.jsonl", how.journal_header, how.resume));
    TRY_ASSIGN(auto trials_dir, TempDir::create("tinyx-" + domain.kind() + "-trials-"));
    minimize::EngineOptions options;
    options.strategy = how.strategy;
    options.trials_dir = trials_dir.path();
    options.journal = &journal;
    options.on_progress = how.on_progress;
    options.jobs = how.jobs;
    options.hint = how.hint; // the evaluators keep their files in each trial's work dir: one serves all slots
    minimize::Engine engine(domain, evaluator, options);
    const auto& items = domain.items();
    TRY_ASSIGN(auto result, engine.run(domain.make_state(items), minimize::ItemSet(items.begin(), items.end())));
    if (!result.start_passed) {
        Error error = Error::test_failed(how.start_failure);
        if (!result.trials.empty()) error.details = result.trials.front().outcome.evidence;
        return error;
    }
    return result;
}

double mean_trial_seconds(const minimize::EngineResult& result) {
    double total = 0;
    int runs = 0;
    for (const auto& trial : result.trials) {
        if (trial.cached || trial.inferred || trial.replayed) continue;
        if (auto it = trial.outcome.seconds.find("total"); it != trial.outcome.seconds.end()) total += it->second;
        ++runs;
    }
    return runs ? total / runs : 0.0;
}

} // namespace tinyx::pipeline
