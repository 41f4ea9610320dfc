// tinyx prune: turn flags into a pruner::PruneRequest, show progress, print the result.
#include "boot_flags.hpp"
#include "scale_out_flags.hpp"
#include "commands.hpp"
#include "kconfig/kconfig.hpp"
#include "kconfig/source_tree.hpp"
#include "pruner/boot_trials.hpp"

#include "core/json.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "minimize/prior_hint.hpp"
#include "pruner/prune.hpp"
#include "profiles/profile.hpp"

#include <iostream>
#include <memory>
#include <optional>

namespace tinyx::cli {

namespace {

struct PruneOptions {
    std::string kernel_src;
    std::string arch = std::string(kDefaultArch);
    std::string config;
    std::string candidates;
    std::string strategy = "group";
    bool strict_minimal = false;
    std::string resolver = "auto";
    std::string check_config;
    std::string hint_profile;
    std::string coverage_file;
    ScaleOutFlags scale_out;
    std::string out;
    bool resume = false;
    bool json = false;
    // The image and test options of `tinyx boot` (kernel trials).
    std::string initrd, disk;
    BootFlags boot;
    int repeat = 0;
};

Result<int> run_prune(const PruneOptions& options) {
    // A tree or a linux-source tarball (extracted once into the cache); default: Debian's linux-source-6.1.
    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(options.kernel_src.empty() ? std::nullopt
                                                                                 : std::optional<fs::path>(options.kernel_src),
                                                      options.arch));
    // The tree's Kconfig, loaded once for the run: resolving trials, ordering, the trace's classes.
    std::unique_ptr<kconfig::Kconfig> kconfig_engine;
    if (options.resolver != "make") {
        auto loaded = kconfig::Kconfig::load(tree);
        if (loaded) kconfig_engine = std::move(*loaded);
        else if (options.resolver == "engine") return std::move(loaded).error().context("--resolver engine");
        else log::warn(str("the kconfig engine cannot load ", tree.describe(), " (", loaded.error().message,
                           "); resolving with make olddefconfig instead (slow)"));
    }
    pruner::PruneRequest request;
    std::optional<pruner::Coverage> coverage; // strategy trace: the coverage boot behind the hint
    std::optional<pruner::TraceHint> hint;
    request.tree = &tree;
    request.kconfig = kconfig_engine.get();
    request.start_config = options.config;
    if (!options.candidates.empty()) request.candidates_file = options.candidates;
    request.strategy = options.strategy;
    request.strict_minimal = options.strict_minimal;
    request.resolver_kind = options.resolver;
    request.out_dir = options.out;
    request.resume = options.resume;
    request.jobs = options.scale_out.jobs;
    if (!options.check_config.empty()) {
        request.check_config = options.check_config;
    } else if (!options.initrd.empty() || !options.disk.empty()) {
        // Kernel trials: build each trial's config, boot it with the image, run the test.
        harness::BootRequest boot;
        if (!options.initrd.empty()) boot.target.initrd = fs::path(options.initrd);
        if (!options.disk.empty()) boot.target.disk = fs::path(options.disk);
        options.boot.apply_to(boot);
        boot.target.arch = std::string(tree.arch->name);
        if (boot.test.guest_test.empty() && boot.test.host_test.empty())
            return Error::bad_input("kernel trials need a test: --guest-test or --host-test");
        pruner::KernelBuildOptions build;
        build.tree = tree;
        TRY_ASSIGN(const harness::Platform* platform, harness::find_platform(boot.target.platform));
        build.image_format = platform->kernel_format;
        options.scale_out.apply_to(build);
        const int confirm_runs = options.repeat > 0 ? options.repeat : 2;
        TRY_ASSIGN(auto trials, pruner::make_kernel_boot_evaluator(build, boot, confirm_runs));
        request.evaluator = trials.evaluator;
        request.evaluator_identity = trials.identity;
        TRY_ASSIGN(request.slot_evaluators, pruner::make_slot_evaluators(build, boot, confirm_runs, options.scale_out.jobs));
        if (options.strategy == "trace" && options.coverage_file.empty()) {
            TRY_ASSIGN(auto start_text, read_file(options.config));
            pruner::CoverageRequest trace;
            trace.build = build;
            trace.boot = boot;
            trace.start_config = start_text;
            if (!options.candidates.empty()) {
                TRY_ASSIGN(trace.candidates, pruner::read_candidates(options.candidates));
            } else {
                // Every enabled option; the report counts only the run's candidates.
                for (const auto& symbol : kconfig::enabled_symbols(start_text)) trace.candidates.push_back(symbol);
            }
            trace.kconfig = kconfig_engine.get();
            trace.out_dir = options.out;
            trace.reuse = options.resume;
            TRY(make_directories(options.out));
            TRY_ASSIGN(coverage, pruner::coverage_boot(trace));
            hint.emplace(*coverage);
            request.hint = &*hint;
            request.coverage = &*coverage;
        }
    } else {
        return Error::bad_input("tinyx prune needs --check-config CMD (or --initrd/--disk with a test)");
    }
    if (!options.coverage_file.empty()) {
        // An earlier coverage boot's classes instead of a new one: with --check-config, trace
        // can be compared with the other strategies on a real trace, without builds.
        if (options.strategy != "trace") return Error::bad_input("--coverage is the trace strategy's input: add --strategy trace");
        TRY_ASSIGN(auto json, read_json_file(options.coverage_file));
        auto loaded = pruner::coverage_from_json(json);
        if (!loaded) return Error::bad_input(str("--coverage ", options.coverage_file, ": ", loaded.error().message));
        coverage = std::move(*loaded);
        coverage->start_build_seconds.reset(); // that build belongs to the run that made the file
        hint.emplace(*coverage);
        request.hint = &*hint;
        request.coverage = &*coverage;
    }
    std::optional<minimize::PriorRemovalHint> prior;
    if (!options.hint_profile.empty()) {
        if (options.strategy == "sequential")
            return Error::bad_input("--hint-profile guides group testing: use --strategy group or trace");
        TRY_ASSIGN(auto profile, profiles::load_profile(options.hint_profile));
        if (profile.kind != "app")
            return Error::bad_input(str("--hint-profile ", options.hint_profile, ": kind is '", profile.kind,
                                        "'; it takes an app profile (what a pruning kept)"));
        prior.emplace(profiles::kept_symbols(profile), request.hint); // the trace (if any) orders what the profile kept
        request.hint = &*prior;
        request.hint_profile = options.hint_profile;
    }

    // Created at the first trial, so errors in the input come first on stderr.
    std::optional<log::Progress> progress;
    request.on_progress = [&progress](const std::string& status) {
        if (!progress) progress.emplace("pruning");
        progress->update(status);
    };
    auto result = pruner::prune(request);
    if (!progress) progress.emplace("pruning");
    if (!result) {
        if (result.error().exit == Exit::interrupted)
            progress->finish(str("interrupted; continue with --resume (journal: ", (request.out_dir / "journal.jsonl").string(), ")"));
        return std::move(result).error();
    }
    const auto& engine = result->engine;
    progress->finish(str(result->passed ? "done" : "start config fails the test", ": ", engine.test_runs, " trials (",
                        engine.cache_hits + engine.inferred, " more answered without a run), ", engine.removed.size(), " of ", result->candidates,
                        " candidates removed, ", engine.kept.size(), " kept, ", human_seconds(engine.seconds)));
    if (options.json) {
        std::cout << dump_json(result->report_json);
    } else {
        log::info(str("config: ", result->config.string()));
        log::info(str("report: ", result->report.string()));
    }
    if (!result->passed) {
        log::error(str("--config ", options.config, ": the start config fails the test; nothing to prune"));
        for (const auto& line : engine.trials.front().outcome.evidence) std::cerr << "  " << line << "\n";
        return int(Exit::test_failed);
    }
    return 0;
}

} // namespace

void setup_prune(CLI::App& app, Runner& runner) {
    auto options = std::make_shared<PruneOptions>();
    auto* cmd = app.add_subcommand("prune", "Remove kernel config options the test does not need (1-minimal result)");
    cmd->add_option("--kernel-src", options->kernel_src,
                    "Kernel source tree or linux-source-*.tar.xz (never written to; default /usr/src/linux-source-6.1.tar.xz)");
    add_arch_option(cmd, options->arch, std::string(kDefaultArch));
    cmd->add_option("--config", options->config, "Start .config; it must pass the test")->required();
    cmd->add_option("--candidates", options->candidates,
                    "File with options to try removing, one a line (default: what --config enables beyond allnoconfig)");
    cmd->add_option("--strategy", options->strategy,
                    "sequential (one at a time, like ktest), group (default: group testing) or trace (group testing "
                    "guided by one coverage boot: options whose code never ran are tried first; needs a boot test)")
        ->check(CLI::IsMember({"sequential", "group", "trace"}));
    cmd->add_flag("--strict-minimal", options->strict_minimal,
                  "Run every removal of the final 1-minimality check instead of inferring failures from failing "
                  "superset configs (for tests that are not monotone)");
    cmd->add_option("--resolver", options->resolver,
                    "How configs are resolved: engine (in-process, fast), make (make olddefconfig, slow), auto (engine if it loads)")
        ->check(CLI::IsMember({"auto", "engine", "make"}));
    cmd->add_option("--check-config", options->check_config,
                    "Judge each trial's resolved .config with CMD (path as last argument and in $TINYX_CONFIG; exit 0 = pass); no kernel is built");
    cmd->add_option("--hint-profile", options->hint_profile,
                    "An earlier pruning's profile (a similar app, or this app on another kernel): what it did not keep is "
                    "tried first as one group, then what it kept, one option at a time. A wrong guess costs trials, not "
                    "correctness");
    cmd->add_option("--coverage", options->coverage_file,
                    "With --strategy trace: the coverage.json of an earlier coverage boot instead of a new one "
                    "(with --check-config: compare trace with the other strategies on a real trace, no builds)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--initrd", options->initrd, "Image to boot each trial kernel with (as tinyx boot)");
    cmd->add_option("--disk", options->disk, "Disk image to boot each trial kernel with (as tinyx boot)");
    add_boot_flags(cmd, options->boot, "Seconds per trial boot (default 300)");
    add_scale_out_flags(cmd, options->scale_out);
    cmd->add_option("--repeat", options->repeat, "Runs that must all pass before a trial removes options (default 2)")
        ->check(CLI::Range(1, 20));
    cmd->add_option("--out", options->out, "Output directory: config, defconfig, report.json, summary.md, journal.jsonl")->required();
    cmd->add_flag("--resume", options->resume, "Continue an interrupted run from --out's journal (same result as an uninterrupted run)");
    cmd->add_flag("--json", options->json, "Print report.json on stdout");
    cmd->footer("Examples:\n"
                "  tinyx prune --kernel-src ~/.cache/tinyx/kernel-src/linux-source-6.1 --config defconfig.config \\\n"
                "              --check-config ./needs-virtio-net.sh --out prune-out/\n"
                "  tinyx prune ... --out prune-out/ --resume        continue after Ctrl-C or a crash\n"
                "  tinyx prune ... --strategy sequential --candidates pool.txt --out seq/\n"
                "  tinyx prune ... --strategy trace --initrd img.cpio.xz --host-test ... --out trace/   coverage-guided\n"
                "  tinyx prune ... --hint-profile profiles/apps/busybox-httpd.json --out hinted/   start from a known result\n"
                "  tinyx prune ... --jobs 4 --distcc-hosts '10.0.0.5/8 10.0.0.6/8' --cache-url redis://cache:6379 --out p/\n"
                "              four trials at once, compiled on two distcc workers, objects shared through Redis\n"
                "  tinyx prune --kernel-src SRC --config start.config --candidates pool.txt --initrd out/initramfs.cpio.xz \\\n"
                "              --forward 80 --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --out prune-out/\n"
                "A machine fault (a full disk, a build killed twice, QEMU that cannot start) stops the run with exit\n"
                "75 and decides nothing; --resume continues it. A boot timeout or a killed compiler is retried once.");
    cmd->callback([&runner, options] { runner = [options] { return run_prune(*options); }; });
}

} // namespace tinyx::cli
