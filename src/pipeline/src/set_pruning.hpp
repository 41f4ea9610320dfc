// What the cheap pruning passes (files, boot options) share: running the engine
// over a minimize::SetDomain with a journal in their own directory, keeping the
// harness's routine output out of their progress, and their mean trial cost.
#pragma once

#include <mutex>

#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "minimize/engine.hpp"
#include "minimize/set_domain.hpp"

#include <functional>
#include <string>

namespace tinyx::pipeline {

// Trials build and boot images many times: their routine progress lines would
// bury the pruning progress. Warnings and errors still show.
// Counted: trials of --jobs run side by side, and the level comes back when the last one ends.
class QuietScope {
  public:
    QuietScope() {
        std::lock_guard lock(mutex());
        if (depth()++ == 0) {
            saved() = log::level();
            if (saved() == log::Level::normal) log::set_level(log::Level::quiet);
        }
    }
    ~QuietScope() {
        std::lock_guard lock(mutex());
        if (--depth() == 0) log::set_level(saved());
    }
    QuietScope(const QuietScope&) = delete;
    QuietScope& operator=(const QuietScope&) = delete;

  private:
    static std::mutex& mutex() { static std::mutex m; return m; }
    static int& depth() { static int d = 0; return d; }
    static log::Level& saved() { static log::Level l = log::Level::normal; return l; }
};

struct SetPruning {
    fs::path out_dir; // journal.jsonl goes here
    Json journal_header;
    std::string strategy = "group";
    bool resume = false;
    std::function<void(const std::string&)> on_progress;
    int jobs = 1;
    minimize::SearchHint* hint = nullptr; // initial groups (the file trace's prediction)
    std::string start_failure; // the error when the start state (every item present) fails the test
};

// Every item of `domain` is a candidate; the start state holds them all. A start
// that fails the test is an Exit::test_failed error carrying the trial's evidence.
Result<minimize::EngineResult> run_set_pruning(minimize::SetDomain& domain, minimize::TrialEvaluator& evaluator,
                                             const SetPruning& how);

// Mean seconds of the trials that really ran in this process.
double mean_trial_seconds(const minimize::EngineResult& result);

} // namespace tinyx::pipeline
