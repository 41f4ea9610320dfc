#include "pipeline/pipeline.hpp"

#include "boot_option_pruning.hpp"
#include "file_pruning.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"
#include "core/version.hpp"
#include "harness/boot.hpp"
#include "kconfig/kconfig.hpp"
#include "kconfig/source_tree.hpp"
#include "packagers/rootfs.hpp"
#include "pruner/boot_trials.hpp"
#include "pruner/kernel_builder.hpp"
#include "minimize/prior_hint.hpp"
#include "pruner/prune.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace tinyx::build {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The start config: tinyconfig from the kernel's own tool (the engine has no allnoconfig),
// the requested options appended, resolved as olddefconfig would.
struct StartConfig {
    std::string text;                  // resolved
    std::string inputs;                // what was resolved: tinyconfig + the requested options
    std::vector<std::string> missing;  // requested symbols this kernel does not have
    std::vector<std::string> unmet;    // requested values the resolver did not keep ("EPOLL=y resolved to n")
};

Result<std::string> tinyconfig(const kconfig::SourceTree& tree) {
    TRY_ASSIGN(auto scratch, TempDir::create("tinyx-tinyconfig-"));
    ProcessSpec make;
    make.argv = {"make", "-s", "-C", tree.root.string(), "O=" + scratch.path().string(), "ARCH=" + tree.arch, "tinyconfig"};
    make.timeout = std::chrono::minutes(5);
    TRY_ASSIGN(auto result, run_process(make));
    if (!result.success()) {
        Error error = Error::internal(str("make tinyconfig in ", tree.root.string(), " ", result.describe()));
        for (auto& line : last_lines(result.err, 15)) error.details.push_back(line);
        return error;
    }
    return read_file(scratch.path() / ".config");
}

Result<StartConfig> compose_start_config(kconfig::Kconfig& engine, const std::vector<profiles::OptionSetting>& options) {
    TRY_ASSIGN(auto base, tinyconfig(engine.tree()));
    StartConfig start;
    std::vector<profiles::OptionSetting> known;
    for (const auto& option : options) {
        if (engine.has_symbol(option.symbol))
            known.push_back(option);
        else
            start.missing.push_back(option.symbol);
    }
    std::vector<std::string> warnings;
    start.inputs = base + profiles::config_fragment(known);
    start.text = engine.resolve(start.inputs, &warnings);
    for (const auto& warning : warnings) log::debug(warning);
    auto values = kconfig::parse_config_values(start.text);
    for (const auto& option : known) {
        auto it = values.find(option.symbol);
        std::string got = it == values.end() ? "n" : it->second;
        if (got != option.value) start.unmet.push_back(str(option.symbol, "=", option.value, " resolved to ", got));
    }
    return start;
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

std::string markdown_summary(const Json& report, const std::vector<profiles::OptionSetting>& kept) {
    std::string md = "# tinyx build: " + report["app"].value("app", std::string()) + "\n\n";
    md += str("Result: **", report["verdict"].get<std::string>(), "**", report.contains("reason") ? " — " + report["reason"].get<std::string>() : "", "\n\n");
    md += "| what | size |\n|---|---|\n";
    md += str("| kernel (bzImage) | ", human_bytes(report["kernel"]["bytes"].get<unsigned long long>()), " |\n");
    md += str("| image (", report["image"]["file"].get<std::string>(), ") | ", human_bytes(report["image"]["initramfs_bytes"].get<unsigned long long>()), " |\n");
    md += str("| kernel + image | ", human_bytes(report["kernel"]["bytes"].get<unsigned long long>() + report["image"]["initramfs_bytes"].get<unsigned long long>()), " |\n\n");
    if (report.contains("verify")) {
        const auto& verify = report["verify"];
        md += str("Verification: ", verify.value("passed", 0), "/", verify.value("boots", 0), " boots passed");
        if (verify.contains("boot_seconds")) md += str(", boot to app started ", verify["boot_seconds"].get<double>(), " s");
        md += str(" (", verify.value("accel", std::string("?")), ").\n\n");
    }
    md += str("## Kernel options on top of tinyconfig (", kept.size(), ")\n\n");
    for (const auto& option : kept) md += str("- `", option.symbol, "=", option.value, "` — ", option.why, "\n");
    if (report.contains("file_pruning") && !report["file_pruning"].is_null()) {
        const auto& files = report["file_pruning"];
        md += str("\n## Files pruned from the image (", files["removed"].size(), " of ", files.value("candidates", 0),
                  " candidates; ", files.value("protected", 0), " protected)\n\n");
        md += str("Image ", human_bytes(files.value("image_bytes_before", 0ull)), " -> ",
                  human_bytes(files.value("image_bytes_after", 0ull)), " (", human_bytes(files.value("image_bytes_saved", 0ull)),
                  " saved), ", files.value("trials", 0), " trials of ", human_seconds(files.value("mean_trial_seconds", 0.0)),
                  " on average.\n\n");
        for (const auto& path : files["removed"]) md += str("- removed `", path.get<std::string>(), "`\n");
        for (const auto& kept_file : files["kept"])
            md += str("- kept `", kept_file.value("path", std::string()), "` — trial ", kept_file.value("trial", 0),
                      " failed without it\n");
    }
    if (report.contains("boot_option_pruning") && !report["boot_option_pruning"].is_null()) {
        const auto& options = report["boot_option_pruning"];
        md += str("\n## Kernel command line\n\nStart: `", options.value("start", std::string()), "`; final: `",
                  options.value("final", std::string()), "` (", options.value("trials", 0), " trials).\n\n");
        md += "| boot-time saver | passes | without (s) | with (s) | noise (s) | kept |\n|---|---|---|---|---|---|\n";
        for (const auto& m : options["savers"])
            md += str("| `", m.value("option", std::string()), "` | ", m.value("passed", false) ? "yes" : "no", " | ",
                      m.value("baseline_seconds", 0.0), " | ", m.value("seconds", 0.0), " | ", m.value("noise_seconds", 0.0),
                      " | ", m.value("kept", false) ? "**yes**" : "no", " |\n");
    }
    md += str("\nTimes: ");
    std::vector<std::string> parts;
    for (const auto& [phase, seconds] : report["seconds"].items()) parts.push_back(str(phase, " ", human_seconds(seconds.get<double>())));
    md += join(parts, ", ") + "\n";
    return md;
}

// A pass's progress callback: the line appears at its first status, so the
// pass's input errors, reported before that, come first on stderr.
std::function<void(const std::string&)> progress_line(std::optional<log::Progress>& progress, std::string title) {
    return [&progress, title = std::move(title)](const std::string& status) {
        if (!progress) progress.emplace(title);
        progress->update(status);
    };
}

// A profile is code, like a Makefile: its host test runs on this machine and its includes read
// host files. Before a profile that did not ship with tinyx does either, say what it will do.
void show_what_a_profile_runs(const fs::path& path, const profiles::AppSpec* app, const profiles::TestSpec* test) {
    std::error_code ec;
    const auto shipped = fs::weakly_canonical(profiles::shipped_profiles_dir(), ec);
    const auto file = fs::weakly_canonical(path, ec);
    const auto relative = file.lexically_relative(shipped);
    if (!relative.empty() && *relative.begin() != "..") return; // shipped with tinyx
    std::vector<std::string> actions;
    if (test && !test->host_test.empty()) actions.push_back(str("runs the host test `", test->host_test, "` on this machine"));
    if (app)
        for (const auto& include : app->includes)
            actions.push_back(str("copies host path ", include.substr(0, include.find(':')), " into the image"));
    if (app && fs::path(app->app).is_absolute()) actions.push_back(str("packs host path ", app->app));
    if (actions.empty()) return;
    log::warn(str("profile ", path.string(), " (not shipped with tinyx) ", join(actions, "; ")));
}

// The start config's options: the baselet, then the profile's options or the candidate pool.
struct Wanted {
    profiles::Profile baselet;
    std::vector<profiles::OptionSetting> candidates;
    std::vector<profiles::OptionSetting> all;
};

Result<Wanted> wanted_options(const BuildRequest& request, const std::optional<profiles::Profile>& profile) {
    auto profiles_dir = profiles::shipped_profiles_dir();
    Wanted wanted;
    TRY_ASSIGN(wanted.baselet, profiles::load_profile(request.baselet ? *request.baselet : profiles_dir / "baselets/qemu-x86_64.json"));
    if (profile) {
        wanted.candidates = profile->options;
    } else {
        TRY_ASSIGN(auto pool, profiles::load_profile(request.pool ? *request.pool : profiles_dir / "pools/server.json"));
        wanted.candidates = pool.options;
    }
    wanted.all = wanted.baselet.options;
    wanted.all.insert(wanted.all.end(), wanted.candidates.begin(), wanted.candidates.end());
    // What the profile's pruning removed stays off: some of it would otherwise come
    // back as a default (IPV6 defaults to y once INET is on), and the rebuilt kernel
    // must be the one that was tested.
    if (profile && profile->pruning.is_object() && profile->pruning.contains("removed")) {
        std::set<std::string> chosen;
        for (const auto& option : wanted.all) chosen.insert(option.symbol);
        for (const auto& symbol : profile->pruning["removed"])
            if (symbol.is_string() && !chosen.count(symbol.get<std::string>()))
                wanted.all.push_back({symbol.get<std::string>(), "n", "removed by the profile's pruning"});
    }
    return wanted;
}

Result<StartConfig> checked_start_config(kconfig::Kconfig& engine, const std::vector<profiles::OptionSetting>& wanted,
                                         bool from_profile) {
    TRY_ASSIGN(auto start, compose_start_config(engine, wanted));
    if (!start.missing.empty()) {
        Error error = Error::bad_input(str(start.missing.size(), " requested option(s) do not exist in Linux ",
                                           engine.tree().version, ": ", join(start.missing, ", ")));
        error.details.push_back(from_profile ? "the profile was made for another kernel; rebuild it with --prune to decide again"
                                             : "fix the pool/baselet, or use the kernel they were written for");
        return error;
    }
    for (const auto& unmet : start.unmet) log::warn(str("requested ", unmet, " (its dependencies are not met)"));
    return start;
}

// The final kernel: built in tinyx's kept build dir (incremental), copied out with its config.
// `reuse_stored`: a config built before comes from the image store instead (no make).
Result<pruner::BuiltKernel> build_kernel_into(const kconfig::SourceTree& tree, const std::string& config,
                                              const fs::path& out_dir, bool reuse_stored,
                                              const std::optional<fs::path>& image_store) {
    pruner::KernelBuildOptions options;
    options.kernel_src = tree.root;
    options.arch = tree.arch;
    if (image_store) options.image_store = *image_store;
    options.reuse_stored_images = reuse_stored;
    TRY_ASSIGN(auto builder, pruner::KernelBuilder::create(options));
    log::info(str("building the kernel in ", builder.build_dir().string(), " (minutes for a first build; incremental after)"));
    TRY_ASSIGN(auto outcome, builder.build(config));
    if (!outcome.ok) {
        Error error = Error::internal(str("the kernel build failed (", builder.build_dir().string(), ")"));
        error.details = outcome.log_tail;
        return error;
    }
    TRY(copy_file_atomic(outcome.kernel.bzimage, out_dir / "bzImage"));
    TRY(write_file_atomic(out_dir / "config", outcome.kernel.config));
    if (!outcome.from_store)
        log::info(str("kernel: bzImage ", human_bytes(outcome.kernel.bytes), " in ", human_seconds(outcome.seconds)));
    return outcome.kernel;
}

Result<BuildResult> build_kernel_only(const BuildRequest& request, const std::optional<profiles::Profile>& profile) {
    TRY_ASSIGN(auto wanted, wanted_options(request, profile));
    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(request.kernel_src, request.arch));
    TRY_ASSIGN(auto engine, kconfig::Kconfig::load(tree));
    TRY_ASSIGN(auto start, checked_start_config(*engine, wanted.all, profile.has_value()));
    TRY(make_directories(request.out_dir));
    // Really built: --kernel-only leaves the build dir holding this kernel (`tinyx kconfig code` reads it).
    TRY_ASSIGN(auto kernel, build_kernel_into(tree, start.text, request.out_dir, false, request.image_store));
    BuildResult result;
    result.passed = true;
    result.out_dir = request.out_dir;
    result.report = {{"kernel", {{"version", tree.version}, {"arch", tree.arch},
                                 {"bytes", fs::file_size(request.out_dir / "bzImage")},
                                 {"config_hash", sha256_hex(kernel.config)}}}};
    result.summary_markdown = str("kernel ", tree.version, ": ", (request.out_dir / "bzImage").string(), " (",
                                  human_bytes(fs::file_size(request.out_dir / "bzImage")), ")\n");
    return result;
}

} // namespace

Result<BuildResult> run_build(const BuildRequest& request) {
    auto started = Clock::now();
    Json seconds = Json::object();

    // --- inputs: profile, app, test -------------------------------------------------
    std::optional<profiles::Profile> profile;
    if (request.profile) {
        TRY_ASSIGN(auto loaded, profiles::load_profile(*request.profile));
        if (loaded.kind != "app")
            return Error::bad_input(str(request.profile->string(), ": kind is '", loaded.kind,
                                        "'; --profile takes an app profile (merge baselets/pools into one with `tinyx profile merge`)"));
        profile = std::move(loaded);
    }
    std::optional<profiles::Profile> hint_profile; // --hint-profile: a guess for kernel pruning
    if (request.hint_profile) {
        if (!request.prune || !request.prune_kernel)
            return Error::bad_input("--hint-profile guides kernel pruning: give --prune (with kernel in --prune-what)");
        if (request.profile)
            return Error::bad_input("--hint-profile and --profile: --profile's options are already the candidates; "
                                    "to prune over the pool with that profile as a guess, give it as --hint-profile only");
        if (request.strategy == "sequential")
            return Error::bad_input("--hint-profile guides group testing: use --strategy group or trace");
        TRY_ASSIGN(auto loaded, profiles::load_profile(*request.hint_profile));
        if (loaded.kind != "app")
            return Error::bad_input(str(request.hint_profile->string(), ": kind is '", loaded.kind,
                                        "'; --hint-profile takes an app profile (what a pruning kept)"));
        hint_profile = std::move(loaded);
    }
    if (request.kernel_only) return build_kernel_only(request, profile);
    profiles::AppSpec app;
    if (request.app) {
        app = *request.app;
        if (profile && profile->app && profile->app->app != app.app)
            log::info(str("reusing the kernel options of profile '", profile->name, "' (built for ", profile->app->app,
                          ") for ", app.app));
    } else if (profile && profile->app) {
        app = profiles::rebase_host_paths(*profile->app, fs::absolute(*request.profile).parent_path());
    } else {
        return Error::bad_input("nothing to build: give --app APP or --profile FILE");
    }
    profiles::TestSpec test = request.test ? *request.test : (profile && profile->test ? *profile->test : profiles::TestSpec{});
    if (!test.host_test.empty() && test.forward.empty())
        return Error::bad_input("--host-test needs at least one --forward GUESTPORT");
    if (profile) show_what_a_profile_runs(*request.profile, request.app ? nullptr : &app, request.test ? nullptr : &test);

    TRY_ASSIGN(auto wanted, wanted_options(request, profile));
    const auto& baselet = wanted.baselet;
    const auto& candidates = wanted.candidates;
    if (request.prune && profile)
        log::info("--prune with --profile: pruning starts from the profile's options");

    TRY(make_directories(request.out_dir));
    std::error_code ignored;
    fs::remove(request.out_dir / "report.json", ignored); // never leave an old success behind

    // --- gather ----------------------------------------------------------------------
    packagers::RootfsRequest rootfs;
    rootfs.app = app.app;
    if (!app.run.empty()) rootfs.run = app.run;
    rootfs.includes = app.includes;
    rootfs.excludes = app.excludes;
    rootfs.busybox = app.busybox;
    rootfs.compression = app.compression;
    rootfs.format = "initramfs";
    rootfs.out_dir = request.out_dir;
    TRY(packagers::validate_rootfs_request(rootfs));

    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(request.kernel_src, request.arch));
    if (profile && !profile->kernel_version.empty() && profile->kernel_version != tree.version)
        log::warn(str("profile '", profile->name, "' was made on Linux ", profile->kernel_version, "; this tree is ",
                      tree.version));

    auto phase = Clock::now();
    log::verbose(str("gathering ", app.app)); // packagers reports its own progress, after input errors
    TRY_ASSIGN(auto image, packagers::build_rootfs(rootfs));
    seconds["gather"] = since(phase);
    log::info(str("image: ", image.image.filename().string(), " ", human_bytes(image.image_bytes), " (", image.entries,
                  " entries)"));

    // --- start config ----------------------------------------------------------------
    phase = Clock::now();
    TRY_ASSIGN(auto engine, kconfig::Kconfig::load(tree));
    TRY_ASSIGN(auto start, checked_start_config(*engine, wanted.all, profile.has_value()));
    seconds["config"] = since(phase);

    // The boot every kernel of this build gets: trials, and the final verification.
    harness::BootRequest boot;
    boot.initrd = image.image;
    boot.memory_mb = test.memory_mb;
    boot.accel = request.accel;
    boot.timeout_seconds = test.timeout_seconds;
    boot.guest_test = test.guest_test;
    boot.host_test = test.host_test;
    boot.forwards = test.forward;
    boot.append = test.append;
    boot.outbound_network = test.outbound_network;

    std::string final_config = start.text;
    Json pruning = nullptr;
    Json trials = Json::array();
    std::map<std::string, std::string> evidence; // symbol -> why pruning kept it
    if (request.prune && request.prune_kernel) {
        phase = Clock::now();
        auto prune_dir = request.out_dir / "prune";
        TRY(make_directories(prune_dir));
        // The composition, not its resolution: trials re-resolve it with candidates off, so
        // defaults a candidate pulled in (INPUT, HID, ...) go with it.
        TRY(write_file_atomic(prune_dir / "start.config", start.inputs));
        std::string candidate_lines;
        for (const auto& option : enabled_options(candidates, start.text, "")) candidate_lines += option.symbol + "\n";
        TRY(write_file_atomic(prune_dir / "candidates", candidate_lines));
        pruner::KernelBuildOptions build;
        build.kernel_src = tree.root;
        build.arch = tree.arch;
        if (request.image_store) build.image_store = *request.image_store;
        TRY_ASSIGN(auto evaluator, pruner::make_kernel_boot_evaluator(build, boot, 2));
        pruner::PruneRequest prune;
        prune.kernel_src = tree.root;
        prune.arch = tree.arch;
        prune.start_config = prune_dir / "start.config";
        prune.candidates_file = prune_dir / "candidates";
        prune.strategy = request.strategy;
        prune.evaluator = evaluator.evaluator;
        prune.evaluator_identity = evaluator.identity;
        prune.out_dir = prune_dir;
        prune.resume = request.resume;
        std::optional<pruner::Coverage> coverage; // strategy trace
        std::optional<pruner::TraceHint> hint;
        if (request.strategy == "trace") {
            pruner::CoverageRequest trace;
            trace.build = build;
            trace.boot = boot;
            trace.start_config = start.text;
            for (const auto& option : enabled_options(candidates, start.text, "")) trace.candidates.push_back(option.symbol);
            trace.kconfig = engine.get();
            trace.out_dir = prune_dir;
            trace.reuse = request.resume;
            TRY_ASSIGN(coverage, pruner::coverage_boot(trace));
            hint.emplace(*coverage);
            prune.hint = &*hint;
            prune.coverage = &*coverage;
        }
        std::optional<minimize::PriorRemovalHint> prior;
        if (hint_profile) {
            log::info(str("trying first what profile '", hint_profile->name, "' did not keep (", request.hint_profile->string(), ")"));
            prior.emplace(profiles::kept_symbols(*hint_profile), prune.hint); // a trace orders what it kept
            prune.hint = &*prior;
            prune.hint_profile = request.hint_profile->string();
        }
        std::optional<log::Progress> progress;
        prune.on_progress = progress_line(progress, "pruning");
        log::info(str("pruning ", std::count(candidate_lines.begin(), candidate_lines.end(), '\n'),
                      " candidate options with kernel builds and boots (journal: ", (prune_dir / "journal.jsonl").string(),
                      "; continue an interrupted run with --resume)"));
        TRY_ASSIGN(auto pruned, pruner::prune(prune));
        seconds["prune"] = since(phase);
        if (!pruned.passed) {
            Error error = Error::test_failed("the start config (tinyconfig + baselet + candidates) fails the test; nothing to prune");
            if (!pruned.engine.trials.empty()) error.details = pruned.engine.trials.front().outcome.evidence;
            return error;
        }
        TRY_ASSIGN(final_config, read_file(pruned.config));
        pruning = pruned.report_json["pruning"];
        trials = pruned.report_json["trials"];
        for (const auto& kept : pruning["kept"])
            if (kept.value("reason", std::string()) == "needed")
                evidence[kept["symbol"].get<std::string>()] =
                    str("pruning trial ", kept.value("trial", 0), " without it: ", kept.value("verdict", std::string()));
            else
                evidence[kept["symbol"].get<std::string>()] = "cannot be disabled (selected by another option)";
    }

    // --- final kernel ----------------------------------------------------------------
    phase = Clock::now();
    // After pruning the last passing trial built this config; a profile rebuild may have built it before.
    TRY_ASSIGN(auto kernel, build_kernel_into(tree, final_config, request.out_dir, true, request.image_store));
    seconds["build"] = since(phase);
    auto kernel_bytes = kernel.bytes;

    boot.kernel = request.out_dir / "bzImage";

    // --- files: with the final kernel, the image's files against the test ---------------
    Json file_pruning = nullptr;
    if (request.prune && request.prune_files) {
        phase = Clock::now();
        FilePruneRequest files_request;
        files_request.rootfs = rootfs;
        files_request.manifest = image.manifest_json;
        files_request.boot = boot;
        files_request.out_dir = request.out_dir / "prune-files";
        files_request.strategy = request.strategy == "trace" ? "group" : request.strategy; // no trace for files
        files_request.resume = request.resume;
        std::optional<log::Progress> progress;
        files_request.on_progress = progress_line(progress, "pruning files");
        log::info(str("pruning the image's files with boots of the final kernel (journal: ",
                      (files_request.out_dir / "journal.jsonl").string(), ")"));
        TRY_ASSIGN(auto files, prune_image_files(files_request));
        if (progress) progress->finish(str(files.removed.size(), " files removed, ", files.kept_by_trial.size(), " needed, ",
                                           files.engine.test_runs, " trials"));
        seconds["prune_files"] = since(phase);
        const auto bytes_before = image.image_bytes;
        for (const auto& glob : files.excludes) app.excludes.push_back(glob);
        rootfs.excludes = app.excludes;
        TRY_ASSIGN(image, packagers::build_rootfs(rootfs));
        annotate_manifest(image.manifest_json, files);
        TRY(write_file_atomic(image.manifest, dump_json(image.manifest_json)));
        boot.initrd = image.image;
        file_pruning = files.report;
        file_pruning["image_bytes_before"] = bytes_before;
        file_pruning["image_bytes_after"] = image.image_bytes;
        file_pruning["image_bytes_saved"] = bytes_before > image.image_bytes ? bytes_before - image.image_bytes : 0;
        log::info(str("image: ", image.image.filename().string(), " ", human_bytes(image.image_bytes), " (was ",
                      human_bytes(bytes_before), ")"));
    }

    // --- boot options: the command line, then the boot-time savers ----------------------
    Json boot_option_pruning = nullptr;
    if (request.prune && request.prune_boot_options) {
        phase = Clock::now();
        BootOptionPruneRequest options_request;
        options_request.boot = boot;
        options_request.out_dir = request.out_dir / "prune-boot";
        options_request.strategy = request.strategy == "trace" ? "group" : request.strategy;
        options_request.resume = request.resume;
        std::optional<log::Progress> progress;
        options_request.on_progress = progress_line(progress, "pruning boot options");
        log::info(str("pruning the kernel command line '", boot.append, "' and timing ", default_boot_savers().size(),
                      " boot-time savers"));
        TRY_ASSIGN(auto pruned_options, prune_boot_options(options_request));
        if (progress) progress->finish(str("command line: '", pruned_options.append, "'"));
        seconds["prune_boot_options"] = since(phase);
        test.append = pruned_options.append;
        boot.append = pruned_options.append;
        boot_option_pruning = pruned_options.report;
    }

    // --- verify ----------------------------------------------------------------------
    phase = Clock::now();
    boot.repeat = request.verify_boots;
    boot.log_dir = request.out_dir / "logs";
    TRY(make_directories(*boot.log_dir));
    log::info(str("verifying: ", request.verify_boots, " boots with the test"));
    TRY_ASSIGN(auto verified, harness::boot(boot));
    seconds["verify"] = since(phase);
    seconds["total"] = since(started);
    bool passed = verified.verdict == harness::Verdict::pass;

    // --- ship --------------------------------------------------------------------------
    auto kept = enabled_options(candidates, final_config, "");
    for (auto& option : kept) {
        if (auto it = evidence.find(option.symbol); it != evidence.end())
            option.why = it->second;
        else if (profile)
            option.why = option.why.empty() ? str("from profile ", profile->name) : option.why;
        else
            option.why = str("candidate pool (not pruned): ", option.why);
    }
    profiles::Profile out_profile;
    out_profile.kind = "app";
    out_profile.name = profile ? profile->name : fs::path(app.app).filename().string();
    out_profile.description = profile ? profile->description : "";
    out_profile.kernel_version = tree.version;
    out_profile.arch = tree.arch;
    out_profile.platform = baselet.name;
    out_profile.tinyx_version = TINYX_VERSION;
    out_profile.options = kept;
    out_profile.app = profiles::rebase_host_paths(app, fs::current_path());
    out_profile.test = test;
    out_profile.sizes = {{"kernel_bytes", kernel_bytes}, {"initramfs_bytes", image.image_bytes}};
    out_profile.pruning = profile ? profile->pruning : pruning;
    TRY(profiles::save_profile(request.out_dir / "profile.json", out_profile));

    Json report;
    report["verdict"] = passed ? "pass" : "fail";
    if (!passed) {
        report["reason"] = verified.reason;
        // Another app's pruned options are the usual suspect: say how to decide them afresh.
        if (profile && profile->app && profile->app->app != app.app) {
            const std::string advice = str("the kernel options come from profile ", profile->name, ", pruned for ",
                                           profile->app->app, ": build ", app.app,
                                           " without --profile, with --prune, to decide its own");
            report["reason"] = str(verified.reason, " (", advice, ")");
            log::warn(advice);
        }
    }
    report["app"] = {{"app", app.app}, {"run", app.run}};
    report["kernel"] = {{"version", tree.version}, {"arch", tree.arch}, {"bytes", kernel_bytes},
                        {"config_hash", kernel.config_hash}, {"options_on_top_of_tinyconfig", kept.size()}};
    report["image"] = {{"file", image.image.filename().string()}, {"initramfs_bytes", image.image_bytes},
                       {"content_bytes", image.content_bytes}, {"entries", image.entries},
                       {"compression", image.compression}};
    int passed_boots = 0;
    for (const auto& run : verified.boots) passed_boots += run.verdict == harness::Verdict::pass;
    Json verify = {{"boots", verified.boots.size()}, {"passed", passed_boots},
                   {"accel", harness::accelerator_name(verified.accel)}};
    if (!verified.boots.empty() && verified.boots.front().seconds.app_started >= 0)
        verify["boot_seconds"] = verified.boots.front().seconds.app_started;
    report["verify"] = verify;
    report["boot"] = harness::boot_report_json(verified);
    report["pruning"] = pruning;
    report["file_pruning"] = file_pruning;
    report["boot_option_pruning"] = boot_option_pruning;
    report["trials"] = trials;
    report["seconds"] = seconds;
    report["outputs"] = {"bzImage", image.image.filename().string(), "manifest.json", "config", "profile.json",
                         "report.json", "summary.md"};

    BuildResult result;
    result.passed = passed;
    result.out_dir = request.out_dir;
    result.summary_markdown = markdown_summary(report, kept);
    TRY(write_file_atomic(request.out_dir / "summary.md", result.summary_markdown));
    TRY(write_json_file(request.out_dir / "report.json", report)); // last: its presence means the run finished
    result.report = std::move(report);
    if (!passed) {
        for (const auto& line : verified.boots.empty() ? std::vector<std::string>{} : harness::failure_details(verified.boots.back()))
            log::info(line);
    }
    return result;
}

} // namespace tinyx::build
