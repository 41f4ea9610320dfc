// Kernel trials judged by a real boot: the harness boots each trial's kernel with the
// user's image and test (the boot-test callback of KernelTrialEvaluator).
#pragma once

#include "pruner/terms.hpp"
#include "harness/boot.hpp"
#include "pruner/kernel_builder.hpp"

#include <memory>
#include <string>

namespace tinyx::pruner {

// `base` holds the image, the test, memory, accelerator and timeouts; each call boots
// base with kernel = the trial's image, once (KernelTrialEvaluator repeats passes).
KernelTrialEvaluator::BootTest harness_boot_test(harness::BootRequest base);

// The pruner's verdict for a harness verdict.
Verdict trial_verdict(harness::Verdict verdict);

// Seconds from QEMU start to the app running (the whole run when it never started).
double app_started_seconds(const harness::BootRun& run);

// A one-boot harness report as a trial outcome: verdict, evidence (console tail on a
// pass, failure details otherwise), "boot" and "test" seconds of its last run.
TrialOutcome boot_outcome(const harness::BootReport& report);

// One boot judged as a trial: a boot that times out is booted once more before its
// timeout counts (a stopped or overloaded host is no verdict on the kernel); the
// outcome's retries say so. `report`, when given, receives the boot report that counted (the
// file pruning's traced boot reads its file trace there).
Result<TrialOutcome> judged_boot(const harness::BootRequest& boot, harness::BootReport* report = nullptr);

// Boots `boot` once per run until a run fails or `confirm_runs` runs passed: a
// pass that removes items must hold that many boots. Seconds add up over the runs.
Result<TrialOutcome> confirmed_boot(harness::BootRequest boot, int confirm_runs);

} // namespace tinyx::pruner

namespace tinyx::pruner {

// The real evaluator for `tinyx prune --initrd/--disk` and `tinyx build --prune`: it owns a
// KernelBuilder (kept build dir; configs built before come from its image store) and boots
// every trial kernel with `boot`.
// `identity` describes the image and test, so a journal made for another test is refused.
struct KernelBootEvaluator {
    std::shared_ptr<TrialEvaluator> evaluator;
    std::string identity;
};
Result<KernelBootEvaluator> make_kernel_boot_evaluator(KernelBuildOptions build, harness::BootRequest boot,
                                                       int confirm_runs);

// The evaluators of --jobs' extra slots (slot k builds in <build dir>-slot<k+1>, into the same image
// store). Warns when the slots' builds share this machine: without distcc workers one kernel is
// built at a time, so slots only overlap a boot with the next build, and a trial started on a wrong
// guess holds the build lock (docs/scale-out.md's model: 1.1-1.5x the wall time of --jobs 1).
Result<std::vector<std::shared_ptr<TrialEvaluator>>> make_slot_evaluators(const KernelBuildOptions& build,
                                                                          const harness::BootRequest& boot,
                                                                          int confirm_runs, int jobs);

} // namespace tinyx::pruner
