// tinyx prune as a library call: PruneRequest -> Result<PruneResult>.
//
//   PruneRequest request;
//   request.tree = &tree;                          // kconfig::locate_source_tree, once per run
//   request.kconfig = engine.get();                // kconfig::Kconfig::load(tree), once per run
//   request.start_config = "start.config";        // must pass the test
//   request.check_config = "./oracle.sh";          // or request.evaluator = <a TrialEvaluator>
//   request.out_dir = "out/";
//   auto result = prune(request);                  // out/config, defconfig, report.json, summary.md
//
// The run journals every trial to out/journal.jsonl; with `resume` a run that
// was interrupted (Ctrl-C, kill -9, crash) continues where it stopped and ends
// with the same result. report.json is written last, only when the run is
// complete: an interrupted run leaves none (a stale one is deleted first).
#pragma once

#include "pruner/terms.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "minimize/engine.hpp"
#include "minimize/evaluator.hpp"
#include "pruner/kconfig_domain.hpp"
#include "pruner/trace.hpp"

#include "kconfig/kconfig.hpp"
#include "kconfig/source_tree.hpp"

#include <memory>
#include <optional>
#include <string>

namespace tinyx::pruner {

struct PruneRequest {
    const kconfig::SourceTree* tree = nullptr; // never written to
    // The tree's loaded Kconfig engine (borrowed), for resolving in-process and ordering the
    // sequential strategy. Null: the engine could not load this tree; "auto" resolves with make.
    kconfig::Kconfig* kconfig = nullptr;
    fs::path start_config;
    std::optional<fs::path> candidates_file; // default: what the start enables beyond allnoconfig
    std::string strategy = "group";
    // Really run every removal the confirmation sweep judges instead of inferring
    // failures from failing superset states (for tests that are not monotone).
    bool strict_minimal = false;
    // Exactly one way to judge trials: a check-config command, or an evaluator
    // (tinyx build passes the kernel build+boot evaluator).
    std::optional<std::string> check_config;
    std::shared_ptr<TrialEvaluator> evaluator;
    std::string evaluator_identity; // what the evaluator tests; a changed test invalidates the journal
    // --jobs: trials at once (minimize/engine.hpp), with the evaluators of the extra slots
    // (each its own build dir); empty: the one evaluator serves every slot (check-config does).
    int jobs = 1;
    std::vector<std::shared_ptr<TrialEvaluator>> slot_evaluators;
    fs::path out_dir;
    bool resume = false;
    SearchHint* hint = nullptr;
    // Strategy "trace": the coverage boot behind `hint` (its figures go into report.json).
    const Coverage* coverage = nullptr;
    // The profile behind a PriorRemovalHint (prior_hint.hpp), named in report.json.
    std::string hint_profile;
    // "engine": the in-process kconfig engine; "make": `make olddefconfig`
    // (with a resolution cache in out_dir/.resolve-cache); "auto": the engine,
    // or make when the engine could not load the tree (kconfig null).
    std::string resolver_kind = "auto";
    // Override the resolver entirely (tests).
    std::shared_ptr<ConfigResolver> resolver;
    // Called with a status line after every trial (progress display).
    std::function<void(const std::string&)> on_progress;
};

struct PruneResult {
    bool passed = false; // the start config passed, so the final one does too
    EngineResult engine;
    std::size_t candidates = 0;
    fs::path config, defconfig, report, summary, journal;
    Json report_json;
};

Result<PruneResult> prune(const PruneRequest& request);

// The default candidates: symbols enabled (y/m) in `start` whose value differs in `allno`.
ItemSet candidates_beyond(std::string_view start_resolved, std::string_view allno);
// {"trials": N, "reasons": [{"trial": id, "why": "..."}]}: the trials whose boot or build was
// run again for machine trouble (a timeout, a killed compiler) before their verdict.
Json retried_report(const EngineResult& result);
// {"jobs": N, "started_ahead": .., "used_ahead": .., "most_at_once": ..}: how many trials ran in parallel.
Json parallel_report(const EngineResult& result);
// {"calls", "cacheable", "local_hits", "remote_hits", "misses", "remote_errors"} of ccache's stats.
Json compile_stats_json(const CompileStats& stats);

// Read a candidates file: one symbol a line, with or without CONFIG_; # comments.
Result<std::vector<std::string>> read_candidates(const fs::path& file);

} // namespace tinyx::pruner
