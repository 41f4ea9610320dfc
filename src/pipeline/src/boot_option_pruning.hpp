// Boot options (issue 10): the kernel command line is pruned like the kernel
// config and the files, with the same engine and a minimize::SetDomain of
// parameters, but a trial is only a boot (seconds). Then the known boot-time
// savers for a VM guest are tried one by one and kept only where the harness's
// timings show a gain larger than the run-to-run noise (docs/pruner.md lists
// what each one does).
//
//   BootOptionPruneRequest request{boot, out / "prune-boot"};  // boot.append = the start command line
//   TRY_ASSIGN(auto options, prune_boot_options(request));
//   test.append = options.append;                              // what the image boots with from now on
#pragma once

#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "harness/boot.hpp"
#include "minimize/engine.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tinyx::pipeline {

// Parameters that shorten a QEMU guest's boot without changing what it runs.
const std::vector<std::string>& default_boot_savers();

struct BootOptionPruneRequest {
    harness::BootRequest boot; // kernel, image and test; boot.append is the command line to prune
    fs::path out_dir;          // journal.jsonl of the parameter pruning
    std::string strategy = "group";
    bool resume = false;
    int confirm_runs = 2;  // a pass that removes parameters must hold this many boots
    int timing_runs = 5;   // boots per measurement of a saver (and of the baseline)
    std::vector<std::string> savers = default_boot_savers();
    std::function<void(const std::string&)> on_progress;
    int jobs = 1; // trials at once (boots side by side; the result is that of 1)
};

struct SaverMeasurement {
    std::string option;
    bool passed = false;       // every timing boot passed with it
    double baseline_mean = 0;  // seconds from QEMU start to the app running, without it
    double mean = 0;           // the same with it
    double noise = 0;          // what a gain must exceed (two standard errors of the difference)
    bool kept = false;
};

struct BootOptionPruneResult {
    std::vector<std::string> kept;    // parameters of the start command line the test needs
    std::vector<std::string> removed; // those it does not
    std::vector<SaverMeasurement> savers;
    std::string append;               // the final command line: kept + kept savers
    minimize::EngineResult engine;
    Json report; // report.json's "boot_option_pruning"
};

Result<BootOptionPruneResult> prune_boot_options(const BootOptionPruneRequest& request);

} // namespace tinyx::pipeline
