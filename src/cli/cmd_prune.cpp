// tinyx prune: turn flags into a pruner::PruneRequest, show progress, print the result.
#include "cli/commands.hpp"

#include "core/json.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "pruner/prune.hpp"

#include <iostream>
#include <memory>
#include <optional>

namespace tinyx::cli {

namespace {

struct PruneOptions {
    std::string kernel_src;
    std::string arch = "x86_64";
    std::string config;
    std::string candidates;
    std::string strategy = "group";
    std::string resolver = "auto";
    std::string check_config;
    std::string out;
    bool resume = false;
    bool json = false;
    // The image and test options of `tinyx boot` (kernel trials).
    std::string initrd, disk, guest_test, host_test, append;
    std::vector<int> forward;
    int repeat = 0;
};

Result<int> run_prune(const PruneOptions& options) {
    pruner::PruneRequest request;
    request.kernel_src = options.kernel_src;
    request.arch = options.arch;
    request.start_config = options.config;
    if (!options.candidates.empty()) request.candidates_file = options.candidates;
    request.strategy = options.strategy;
    request.resolver_kind = options.resolver;
    request.out_dir = options.out;
    request.resume = options.resume;
    if (!options.check_config.empty()) {
        request.check_config = options.check_config;
    } else if (!options.initrd.empty() || !options.disk.empty()) {
        // Kernel trials need the QEMU harness's library API; until it is linked in here,
        // say so instead of pretending.
        return Error::bad_input("pruning with kernel builds and boots (--initrd/--disk) is not available yet in this build; "
                                "use --check-config CMD, or tinyx build --prune");
    } else {
        return Error::bad_input("tinyx prune needs --check-config CMD (or --initrd/--disk with a test)");
    }
    if (options.arch != "x86_64") return Error::bad_input(str("--arch ", options.arch, ": only x86_64 is supported"));

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
                        engine.cache_hits, " cached), ", engine.removed.size(), " of ", result->candidates,
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
    cmd->add_option("--kernel-src", options->kernel_src, "Kernel source tree (never written to)")->required();
    cmd->add_option("--arch", options->arch, "Architecture (x86_64)");
    cmd->add_option("--config", options->config, "Start .config; it must pass the test")->required();
    cmd->add_option("--candidates", options->candidates,
                    "File with options to try removing, one a line (default: what --config enables beyond allnoconfig)");
    cmd->add_option("--strategy", options->strategy, "sequential (one at a time, like ktest) or group (default: group testing)")
        ->check(CLI::IsMember({"sequential", "group"}));
    cmd->add_option("--resolver", options->resolver,
                    "How configs are resolved: engine (in-process, fast), make (make olddefconfig, slow), auto (engine if it loads)")
        ->check(CLI::IsMember({"auto", "engine", "make"}));
    cmd->add_option("--check-config", options->check_config,
                    "Judge each trial's resolved .config with CMD (path as last argument and in $TINYX_CONFIG; exit 0 = pass); no kernel is built");
    cmd->add_option("--initrd", options->initrd, "Image to boot each trial kernel with (as tinyx boot)");
    cmd->add_option("--disk", options->disk, "Disk image to boot each trial kernel with (as tinyx boot)");
    cmd->add_option("--guest-test", options->guest_test, "Test run inside the guest (as tinyx boot)");
    cmd->add_option("--host-test", options->host_test, "Test run on the host (as tinyx boot)");
    cmd->add_option("--forward", options->forward, "Guest port to forward (as tinyx boot)");
    cmd->add_option("--append", options->append, "Extra kernel command line (as tinyx boot)");
    cmd->add_option("--repeat", options->repeat, "Runs that must all pass before a trial removes options");
    cmd->add_option("--out", options->out, "Output directory: config, defconfig, report.json, summary.md, journal.jsonl")->required();
    cmd->add_flag("--resume", options->resume, "Continue an interrupted run from --out's journal (same result as an uninterrupted run)");
    cmd->add_flag("--json", options->json, "Print report.json on stdout");
    cmd->footer("Examples:\n"
                "  tinyx prune --kernel-src ~/.cache/tinyx/kernel-src/linux-source-6.1 --config defconfig.config \\\n"
                "              --check-config ./needs-virtio-net.sh --out prune-out/\n"
                "  tinyx prune ... --out prune-out/ --resume        continue after Ctrl-C or a crash\n"
                "  tinyx prune ... --strategy sequential --candidates pool.txt --out seq/");
    cmd->callback([&runner, options] { runner = [options] { return run_prune(*options); }; });
}

} // namespace tinyx::cli
