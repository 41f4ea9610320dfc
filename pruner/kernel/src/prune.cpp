#include "pruner/prune.hpp"

#include "core/hash.hpp"
#include "pruner/engine_resolver.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <chrono>

namespace tinyx::pruner {

namespace {

template <class T>
Result<T> in_context(Result<T> result, const std::string& what) {
    if (!result) return std::move(result).error().context(what);
    return result;
}

} // namespace

ItemSet candidates_beyond(std::string_view start_resolved, std::string_view allno) {
    const auto start_values = kconfig::parse_config_values(start_resolved);
    const auto allno_values = kconfig::parse_config_values(allno);
    ItemSet candidates;
    for (const auto& [symbol, value] : start_values) {
        if (value != "y" && value != "m") continue;
        auto it = allno_values.find(symbol);
        if (it == allno_values.end() || it->second != value) candidates.insert(symbol);
    }
    return candidates;
}

// Machine trouble that was run again instead of deciding a trial: how many trials, and why.
Json compile_stats_json(const CompileStats& stats) {
    return Json{{"calls", stats.calls}, {"cacheable", stats.cacheable()}, {"local_hits", stats.local_hits}, {"remote_hits", stats.remote_hits},
                {"misses", stats.misses}, {"remote_errors", stats.remote_errors}};
}

Json parallel_report(const EngineResult& result) {
    return Json{{"jobs", result.parallel.jobs},
                {"started_ahead", result.parallel.started_ahead},
                {"used_ahead", result.parallel.used_ahead},
                {"most_at_once", result.parallel.most_at_once}};
}

Json retried_report(const EngineResult& result) {
    int trials = 0;
    Json why = Json::array();
    for (const auto& trial : result.trials) {
        if (trial.cached || trial.inferred || trial.outcome.retries.empty()) continue;
        ++trials;
        for (const auto& reason : trial.outcome.retries) why.push_back(Json{{"trial", trial.id}, {"why", reason}});
    }
    return Json{{"trials", trials}, {"reasons", why}};
}

Result<std::vector<std::string>> read_candidates(const fs::path& file) {
    TRY_ASSIGN(auto text, in_context(read_file(file), "--candidates"));
    std::vector<std::string> symbols;
    int number = 0;
    for (const auto& line : split_lines(text)) {
        ++number;
        auto t = trim(line);
        if (t.empty() || t.front() == '#') continue;
        auto symbol = kconfig::normalise_symbol(t);
        if (symbol.empty())
            return Error::bad_input(str("--candidates ", file.string(), ":", number, ": '", t, "' is not a Kconfig symbol"));
        symbols.push_back(symbol);
    }
    return symbols;
}

namespace {

std::string kernel_version(std::string_view config) {
    // "# Linux/x86 6.1.192 Kernel Configuration"
    for (const auto& line : split_lines(config.substr(0, 512))) {
        if (!starts_with(line, "# Linux/")) continue;
        auto words = split(line, ' ');
        if (words.size() >= 3) return words[2];
    }
    return "";
}

Json trial_json(const TrialRecord& trial) {
    Json seconds = Json::object();
    for (const auto& [k, v] : trial.outcome.seconds) seconds[k] = v;
    Json out{{"id", trial.id},
             {"disabled", trial.disabled},
             {"removed", trial.removed},
             {"config_hash", trial.state_hash},
             {"verdict", verdict_name(trial.verdict)},
             {"cached", trial.cached || trial.inferred}};
    if (trial.inferred) out["inferred"] = true; // a failing superset state (same_as) decides it
    if (trial.cached || trial.inferred) out["same_as"] = trial.same_as;
    if (trial.replayed) out["replayed"] = true;
    if (!trial.cached && !trial.inferred && !trial.outcome.retries.empty()) out["retries"] = trial.outcome.retries;
    out["seconds"] = trial.cached || trial.inferred ? Json::object() : seconds;
    return out;
}

// The trace strategy's coverage boot built the start config: a kernel build of this run.
bool coverage_built_start(const PruneRequest& request) { return request.coverage && request.coverage->start_build_seconds; }

// Kernel builds the trials made (an image from the store is none).
int builds(const EngineResult& result) {
    auto it = result.counts.find("builds");
    return it == result.counts.end() ? 0 : it->second;
}

std::string summary_markdown(const PruneRequest& request, const PruneResult& result, const Json& pruning) {
    const auto& engine = result.engine;
    std::string md;
    md += str("# tinyx prune: ", result.passed ? "pass" : "fail", "\n\n");
    md += str("- kernel: ", request.tree->describe(), " (", request.tree->arch->name, ")\n");
    md += str("- start config: ", request.start_config.string(), "\n");
    md += str("- strategy: ", request.strategy, "\n");
    md += str("- candidates: ", result.candidates, "; removed ", engine.removed.size(), "; kept ", engine.kept.size(), "\n");
    md += str("- trials: ", engine.test_runs, " test runs (", engine.replayed, " replayed from the journal), ", engine.cache_hits,
              " answered from the memo, ", engine.inferred, " failures implied by a failing superset state, ", engine.skipped_no_effect, " removals the resolver refused (no trial)\n");
    md += str("- builds: ", pruning.at("builds").get<int>(), coverage_built_start(request) ? " (one for the coverage boot)" : "",
              "; resolves: ", engine.resolves, "\n");
    md += str("- time: ", human_seconds(pruning["seconds"]["total"].get<double>()), "\n\n");
    if (!result.passed) {
        md += "The start config fails the test, so nothing was pruned. Evidence:\n\n```\n";
        if (!engine.trials.empty()) md += join(engine.trials.front().outcome.evidence, "\n");
        md += "\n```\n";
        return md;
    }
    md += "## Kept options\n\n| option | why |\n|---|---|\n";
    for (const auto& kept : engine.kept) {
        if (kept.removable)
            md += str("| ", kept.item, " | needed: trial ", kept.trial_id, " without it: ", verdict_name(kept.verdict), " |\n");
        else
            md += str("| ", kept.item, " | cannot be disabled (still enabled after resolving) |\n");
    }
    md += str("\n## Removed options (", engine.removed.size(), ")\n\n");
    md += join(engine.removed, " ") + "\n";
    return md;
}

} // namespace

Result<PruneResult> prune(const PruneRequest& request) {
    const auto start_time = std::chrono::steady_clock::now();
    if (!request.tree) return Error::internal("prune: no kernel tree in the request");
    if (!Engine::known_strategy(request.strategy))
        return Error::bad_input(str("--strategy: unknown strategy '", request.strategy, "' (known: sequential, group, trace)"));
    if (request.strategy == "trace" && !request.coverage)
        return Error::bad_input("--strategy trace needs a coverage boot: kernel trials with --initrd/--disk and a test, not --check-config");
    if (request.check_config && request.evaluator)
        return Error::bad_input("give either --check-config or a test to boot, not both");
    if (!request.check_config && !request.evaluator)
        return Error::bad_input("nothing judges the trials: give --check-config CMD or a kernel test");
    if (request.out_dir.empty()) return Error::bad_input("--out is required");
    if (!fs::is_regular_file(request.start_config))
        return Error::bad_input(str("--config ", request.start_config.string(), ": no such file"));

    TRY(make_directories(request.out_dir));
    PruneResult result;
    result.config = request.out_dir / "config";
    result.defconfig = request.out_dir / "defconfig";
    result.report = request.out_dir / "report.json";
    result.summary = request.out_dir / "summary.md";
    result.journal = request.out_dir / "journal.jsonl";
    // Whatever was there describes another run; until this one is complete there is no report.
    std::error_code ec;
    fs::remove(result.report, ec);
    fs::remove(result.summary, ec);

    std::shared_ptr<ConfigResolver> resolver = request.resolver;
    if (!resolver && request.resolver_kind != "make") {
        if (request.resolver_kind != "auto" && request.resolver_kind != "engine")
            return Error::bad_input(str("--resolver: unknown resolver '", request.resolver_kind, "' (known: auto, engine, make)"));
        if (request.kconfig)
            resolver = std::make_shared<CachingResolver>(std::make_unique<EngineConfigResolver>(*request.kconfig, *request.tree),
                                                         std::nullopt);
        else if (request.resolver_kind == "engine")
            return Error::bad_input(str("--resolver engine: the kconfig engine could not load ", request.tree->describe()));
    }
    if (!resolver) {
        TRY_ASSIGN(auto make, MakeConfigResolver::create(*request.tree));
        resolver = std::make_shared<CachingResolver>(std::move(make), request.out_dir / ".resolve-cache");
    }
    log::verbose(str("resolver: ", resolver->identity()));

    TRY_ASSIGN(auto start_text, in_context(read_file(request.start_config), "--config"));
    auto resolve_start = std::chrono::steady_clock::now();
    TRY_ASSIGN(auto start_resolved, in_context(resolver->resolve(start_text), str("resolving ", request.start_config.string())));

    ItemSet candidates;
    const ItemSet enabled = kconfig::enabled_symbols(start_resolved);
    if (request.candidates_file) {
        TRY_ASSIGN(auto listed, read_candidates(*request.candidates_file));
        std::vector<std::string> absent;
        for (const auto& symbol : listed) {
            if (enabled.count(symbol)) candidates.insert(symbol);
            else absent.push_back(symbol);
        }
        if (!absent.empty())
            log::warn(str(absent.size(), " candidate(s) of ", request.candidates_file->string(),
                          " are not enabled in the start config and are ignored: ", join(absent, " ")));
    } else {
        TRY_ASSIGN(auto allno, resolver->allnoconfig());
        candidates = candidates_beyond(start_resolved, allno);
    }
    if (candidates.empty()) return Error::bad_input("no candidate options to prune (the start config enables none of them)");
    result.candidates = candidates.size();

    KconfigDependencies deps;
    if (request.strategy == "sequential" && request.kconfig) deps.parents = request.kconfig->dependency_parents();
    KconfigDomain domain(*resolver, std::move(deps), start_resolved);
    domain.set_candidates(candidates);
    domain.set_inputs(start_text);
    State start = KconfigDomain::make_state(start_resolved, candidates);
    const double startup_resolve_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - resolve_start).count();

    std::vector<std::string> candidate_list(candidates.begin(), candidates.end());
    Json header{{"tinyx_prune_journal", 2}, // 2: trials re-resolve the start as given
                {"domain", domain.kind()},
                {"strategy", request.strategy},
                {"strict_minimal", request.strict_minimal},
                {"arch", std::string(request.tree->arch->name)},
                {"resolver", resolver->identity()},
                {"start_hash", start.hash},
                {"candidates_hash", sha256_hex(join(candidate_list, "\n"))},
                {"evaluator", request.check_config ? str("check-config ", *request.check_config) : request.evaluator_identity}};
    TRY_ASSIGN(auto journal, minimize::Journal::open(result.journal, header, request.resume));

    std::shared_ptr<TrialEvaluator> evaluator = request.evaluator;
    if (request.check_config) evaluator = std::make_shared<minimize::CheckConfigEvaluator>(*request.check_config);
    TRY_ASSIGN(auto trials_dir, TempDir::create("tinyx-trials-"));

    EngineOptions options;
    options.strategy = request.strategy;
    options.trials_dir = trials_dir.path();
    options.journal = &journal;
    options.hint = request.hint;
    options.strict_minimal = request.strict_minimal;
    options.on_progress = request.on_progress;
    options.jobs = request.jobs;
    for (const auto& slot : request.slot_evaluators) options.slot_evaluators.push_back(slot.get());
    Engine engine(domain, *evaluator, options);
    TRY_ASSIGN(result.engine, engine.run(start, candidates));
    const auto& outcome = result.engine;
    result.passed = outcome.start_passed;

    // Outputs: config and defconfig first, report.json (the verdict) last.
    TRY(write_file_atomic(result.config, outcome.final_state.text));
    TRY_ASSIGN(auto defconfig, in_context(resolver->savedefconfig(outcome.final_state.text), "savedefconfig"));
    TRY(write_file_atomic(result.defconfig, defconfig));

    Json seconds{{"resolve", startup_resolve_seconds}, {"build", 0.0}, {"boot", 0.0}, {"test", 0.0}, {"total", 0.0}};
    if (auto* caching = dynamic_cast<CachingResolver*>(resolver.get())) seconds["resolve"] = caching->seconds();
    // The pruning's cost, not only this run's: a resumed run's replayed trials were built and booted
    // by its earlier runs, and the journal recorded their seconds (also in "total").
    double replayed_seconds = 0;
    for (const auto& trial : outcome.trials) {
        if (trial.cached || trial.inferred) continue;
        for (const char* key : {"build", "boot", "test"})
            if (auto it = trial.outcome.seconds.find(key); it != trial.outcome.seconds.end()) {
                seconds[key] = seconds[key].get<double>() + it->second;
                if (trial.replayed) replayed_seconds += it->second;
            }
    }
    seconds["total"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count() + replayed_seconds;
    if (outcome.replayed > 0) seconds["replayed"] = replayed_seconds;

    std::vector<std::string> required, cannot_disable;
    Json kept = Json::array();
    for (const auto& item : outcome.kept) {
        (item.removable ? required : cannot_disable).push_back(item.item);
        Json entry{{"symbol", item.item}, {"reason", item.removable ? "needed" : "cannot-disable"}};
        if (item.removable) {
            entry["trial"] = item.trial_id;
            entry["verdict"] = verdict_name(item.verdict);
            entry["evidence"] = item.evidence;
        }
        kept.push_back(std::move(entry));
    }
    Json pruning{{"strategy", request.strategy},
                 {"domain", domain.kind()},
                 {"candidates", result.candidates},
                 {"trials", outcome.test_runs},
                 {"builds", builds(outcome) + (coverage_built_start(request) ? 1 : 0)},
                 {"cache_hits", outcome.cache_hits},
                 {"inferred", outcome.inferred},
                 {"replayed", outcome.replayed},
                 {"resolves", outcome.resolves},
                 {"skipped_no_effect", outcome.skipped_no_effect},
                 {"required", required},
                 {"cannot_disable", cannot_disable},
                 {"removed", outcome.removed},
                 {"kept", kept},
                 {"seconds", seconds}};
    pruning["retried"] = retried_report(outcome);
    pruning["parallel"] = parallel_report(outcome);
    // What the trials' builds got from ccache (local, remote storage) and compiled (here or on workers).
    auto count = [&](const char* name) {
        auto it = outcome.counts.find(name);
        return it == outcome.counts.end() ? 0 : it->second;
    };
    pruning["compiles"] = compile_stats_json(CompileStats{count("compiles"), count("compiles_local_hits"), count("compiles_remote_hits"),
                                                          count("compiles_missed"), count("compiles_remote_errors")});
    if (!request.hint_profile.empty()) pruning["hint_profile"] = request.hint_profile;
    if (request.coverage) pruning["coverage"] = coverage_report(*request.coverage, outcome);
    Json trials = Json::array();
    for (const auto& trial : outcome.trials) trials.push_back(trial_json(trial));
    result.report_json = Json{{"verdict", result.passed ? "pass" : "fail"},
                              {"kernel", Json{{"version", kernel_version(outcome.final_state.text)},
                                              {"arch", std::string(request.tree->arch->name)},
                                              {"bytes", nullptr}}},
                              {"image", nullptr},
                              {"config", result.config.string()},
                              {"defconfig", result.defconfig.string()},
                              {"pruning", pruning},
                              {"trials", trials}};
    TRY(write_file_atomic(result.summary, summary_markdown(request, result, pruning)));
    TRY(write_json_file(result.report, result.report_json));
    return result;
}

} // namespace tinyx::pruner
