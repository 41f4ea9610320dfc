// The kernel passes: the start config (tinyconfig + the wanted options), kernel pruning
// against the test, and the final kernel build.
#include "context.hpp"

#include "core/compression.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "kconfig/config_text.hpp"
#include "kconfig/make.hpp"
#include "minimize/prior_hint.hpp"
#include "pruner/boot_trials.hpp"

#include <algorithm>
#include <set>

namespace tinyx::pipeline {

pruner::KernelBuildOptions kernel_build_options(const BuildContext& context, bool reuse_stored) {
    pruner::KernelBuildOptions options;
    options.tree = context.tree;
    options.image_format = context.platform->kernel_format;
    if (context.request.image_store) options.image_store = *context.request.image_store;
    options.scale_out = context.request.scale_out;
    options.reuse_stored_images = reuse_stored;
    return options;
}

std::string kernel_file_name(const BuildContext& context) {
    return harness::kernel_file_name(*context.tree.arch, context.platform->kernel_format);
}

std::vector<profiles::OptionSetting> enabled_options(const std::vector<profiles::OptionSetting>& requested,
                                                     const std::string& resolved, const std::string& why_prefix) {
    auto values = kconfig::parse_config_values(resolved);
    std::vector<profiles::OptionSetting> kept;
    for (const auto& option : requested) {
        auto it = values.find(option.symbol);
        if (it != values.end() && it->second != "n") kept.push_back({option.symbol, it->second, why_prefix + option.why});
    }
    return kept;
}

// tinyconfig from the kernel's own tool (the engine has no allnoconfig), the wanted options
// appended, resolved by the engine as olddefconfig would. The tree's Kconfig is loaded here,
// once for the whole build.
Result<void> compose_start_config(BuildContext& context) {
    if (!context.kconfig) {
        TRY_ASSIGN(context.kconfig, kconfig::Kconfig::load(context.tree));
    }
    auto& engine = *context.kconfig;
    TRY_ASSIGN(auto make, kconfig::ConfigMake::create(context.tree));
    TRY_ASSIGN(auto base, make.tinyconfig());
    StartConfig start;
    std::vector<profiles::OptionSetting> known;
    // The shared pool names options of every architecture; a baselet's or a profile's are for this one.
    std::set<std::string> pool;
    if (!context.profile)
        for (const auto& option : context.wanted.candidates) pool.insert(option.symbol);
    for (const auto& option : context.wanted.all) {
        if (engine.has_symbol(option.symbol))
            known.push_back(option);
        else if (pool.count(option.symbol))
            start.pool_absent.push_back(option.symbol);
        else
            start.missing.push_back(option.symbol);
    }
    if (!start.pool_absent.empty())
        log::warn(str(start.pool_absent.size(), " option(s) of the pool do not exist for ", context.tree.arch->name, " in Linux ",
                      context.tree.version, " and are not candidates: ", join(start.pool_absent, ", ")));
    std::vector<std::string> warnings;
    // An architecture whose image format fixes its compression (arm64's Image.gz) has no
    // HAVE_KERNEL_* choice: the kernel's compression is not this build's to decide. tinyconfig
    // comes resolved from make: its values say so.
    const auto base_values = kconfig::parse_config_values(base);
    const bool kernel_choice = std::any_of(compressions().begin(), compressions().end(), [&](const CompressionKind& kind) {
        const auto it = kind.kernel_symbol.empty() ? base_values.end() : base_values.find(str("HAVE_", kind.kernel_symbol));
        return it != base_values.end() && it->second == "y";
    });
    auto& plan = context.compression;
    if (!kernel_choice && !plan.kernel_kept) {
        if (plan.kernel) log::warn(str("--kernel-compression ", plan.kernel->name, ": ", context.tree.arch->name, " has no choice (ignored)"));
        plan.kernel = nullptr;
        plan.kernel_kept = true;
        plan.kernel_from = str(context.tree.arch->name, "'s image format");
    }
    start.inputs = base + profiles::config_fragment(known);
    // Compressions fixed before the build (flags, the profile's record): every kernel of the build
    // has them. Measured ones are the optimize pass's, on the final config.
    std::vector<std::pair<std::string, std::string>> compression;
    for (const auto& setting : fixed_compression_settings(context))
        if (engine.has_symbol(setting.first)) compression.push_back(setting);
    start.inputs = kconfig::set_values(start.inputs, compression);
    start.text = engine.resolve(start.inputs, &warnings);
    for (const auto& warning : warnings) log::debug(warning);
    auto values = kconfig::parse_config_values(start.text);
    for (const auto& option : known) {
        auto it = values.find(option.symbol);
        std::string got = it == values.end() ? "n" : it->second;
        if (got != option.value) start.unmet.push_back(str(option.symbol, "=", option.value, " resolved to ", got));
    }
    if (!start.missing.empty()) {
        Error error = Error::bad_input(str(start.missing.size(), " requested option(s) do not exist in Linux ",
                                           context.tree.version, ": ", join(start.missing, ", ")));
        error.details.push_back(context.profile ? "the profile was made for another kernel; rebuild it with --prune to decide again"
                                                : "fix the pool/baselet, or use the kernel they were written for");
        return error;
    }
    for (const auto& unmet : start.unmet) log::warn(str("requested ", unmet, " (its dependencies are not met)"));
    context.start = std::move(start);
    context.final_config = context.start.text;
    return success();
}

Result<void> prune_kernel(BuildContext& context) {
    const auto& request = context.request;
    const auto& start = context.start;
    auto prune_dir = request.out_dir / "prune";
    TRY(make_directories(prune_dir));
    // The composition, not its resolution: trials re-resolve it with candidates off, so
    // defaults a candidate pulled in (INPUT, HID, ...) go with it.
    TRY(write_file_atomic(prune_dir / "start.config", start.inputs));
    std::vector<std::string> candidates;
    // The baselet's options are never candidates, even when the pool names them too.
    std::set<std::string> baselet;
    for (const auto& option : context.wanted.baselet.options) baselet.insert(option.symbol);
    for (const auto& option : enabled_options(context.wanted.candidates, start.text, ""))
        if (!baselet.count(option.symbol)) candidates.push_back(option.symbol);
    TRY(write_file_atomic(prune_dir / "candidates", join(candidates, "\n") + (candidates.empty() ? "" : "\n")));
    const auto build = kernel_build_options(context);
    TRY_ASSIGN(auto evaluator, pruner::make_kernel_boot_evaluator(build, context.boot, 2));
    pruner::PruneRequest prune;
    prune.tree = &context.tree;
    prune.kconfig = context.kconfig.get();
    prune.start_config = prune_dir / "start.config";
    prune.candidates_file = prune_dir / "candidates";
    prune.strategy = request.strategy;
    prune.evaluator = evaluator.evaluator;
    prune.evaluator_identity = evaluator.identity;
    prune.jobs = request.jobs;
    TRY_ASSIGN(prune.slot_evaluators, pruner::make_slot_evaluators(build, context.boot, 2, request.jobs));
    prune.out_dir = prune_dir;
    prune.resume = request.resume;
    std::optional<pruner::Coverage> coverage; // strategy trace
    std::optional<pruner::TraceHint> hint;
    if (request.strategy == "trace") {
        pruner::CoverageRequest trace;
        trace.build = build;
        trace.boot = context.boot;
        trace.start_config = start.text;
        trace.candidates = candidates;
        trace.kconfig = context.kconfig.get();
        trace.out_dir = prune_dir;
        trace.reuse = request.resume;
        TRY_ASSIGN(coverage, pruner::coverage_boot(trace));
        hint.emplace(*coverage);
        prune.hint = &*hint;
        prune.coverage = &*coverage;
    }
    std::optional<minimize::PriorRemovalHint> prior;
    if (context.hint_profile) {
        log::info(str("trying first what profile '", context.hint_profile->name, "' did not keep (",
                      request.hint_profile->string(), ")"));
        prior.emplace(profiles::kept_symbols(*context.hint_profile), prune.hint); // a trace orders what it kept
        prune.hint = &*prior;
        prune.hint_profile = request.hint_profile->string();
    }
    std::optional<log::Progress> progress;
    prune.on_progress = progress_line(progress, "pruning");
    log::info(str("pruning ", candidates.size(), " candidate options with kernel builds and boots (journal: ",
                  (prune_dir / "journal.jsonl").string(), "; continue an interrupted run with --resume)"));
    TRY_ASSIGN(auto pruned, pruner::prune(prune));
    if (!pruned.passed) {
        Error error = Error::test_failed("the start config (tinyconfig + baselet + candidates) fails the test; nothing to prune");
        if (!pruned.engine.trials.empty()) error.details = pruned.engine.trials.front().outcome.evidence;
        return error;
    }
    TRY_ASSIGN(context.final_config, read_file(pruned.config));
    KernelPruning result;
    result.pruning = pruned.report_json["pruning"];
    result.trials = pruned.report_json["trials"];
    for (const auto& kept : result.pruning["kept"])
        result.evidence[kept["symbol"].get<std::string>()] =
            kept.value("reason", std::string()) == "needed"
                ? str("pruning trial ", kept.value("trial", 0), " without it: ", kept.value("verdict", std::string()))
                : std::string("cannot be disabled (selected by another option)");
    context.kernel_pruning = std::move(result);
    return success();
}

// The final kernel: built in tinyx's kept build dir (incremental), copied out with its config.
// After pruning the last passing trial built this config, and a profile rebuild may have built it
// before: both come from the image store. --kernel-only always runs make, so the build dir ends up
// holding this kernel (`tinyx kconfig code` reads it).
Result<void> build_kernel(BuildContext& context) {
    const auto& out_dir = context.request.out_dir;
    auto options = kernel_build_options(context, !context.request.kernel_only);
    TRY_ASSIGN(auto builder, pruner::KernelBuilder::create(options));
    log::info(str("building the kernel in ", builder.build_dir().string(), " (minutes for a first build; incremental after)"));
    TRY_ASSIGN(auto outcome, builder.build(context.final_config));
    if (!outcome.ok) {
        Error error = Error::internal(str("the kernel build failed (", builder.build_dir().string(), ")"));
        error.details = outcome.log_tail;
        return error;
    }
    const std::string image_name = kernel_file_name(context);
    TRY(copy_file_atomic(outcome.kernel.image, out_dir / image_name));
    TRY(write_file_atomic(out_dir / "config", outcome.kernel.config));
    if (!outcome.from_store)
        log::info(str("kernel: ", image_name, " ", human_bytes(outcome.kernel.bytes), " in ", human_seconds(outcome.seconds)));
    context.kernel = outcome.kernel;
    context.kernel_build = outcome;
    context.boot.target.kernel = out_dir / image_name;
    return success();
}

} // namespace tinyx::pipeline
