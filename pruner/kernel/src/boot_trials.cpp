#include "pruner/boot_trials.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <algorithm>

namespace tinyx::pruner {

Verdict trial_verdict(harness::Verdict verdict) {
    switch (verdict) {
    case harness::Verdict::pass: return Verdict::pass;
    case harness::Verdict::test_failed: return Verdict::fail;
    case harness::Verdict::boot_failed: return Verdict::boot_failed;
    case harness::Verdict::timeout: return Verdict::timeout;
    }
    return Verdict::fail;
}

double app_started_seconds(const harness::BootRun& run) {
    return run.seconds.app_started >= 0 ? run.seconds.app_started : run.seconds.total;
}

TrialOutcome boot_outcome(const harness::BootReport& report) {
    TrialOutcome outcome;
    outcome.verdict = trial_verdict(report.verdict);
    if (!report.boots.empty()) {
        const auto& run = report.boots.back();
        outcome.evidence = outcome.verdict == Verdict::pass ? run.console_tail : harness::failure_details(run);
        outcome.seconds["boot"] = app_started_seconds(run);
        if (run.seconds.app_started >= 0 && run.seconds.total >= run.seconds.app_started)
            outcome.seconds["test"] = run.seconds.total - run.seconds.app_started;
    }
    return outcome;
}

Result<TrialOutcome> judged_boot(const harness::BootRequest& boot, harness::BootReport* report_out) {
    std::vector<std::string> retries;
    TRY_ASSIGN(auto report, harness::boot(boot));
    if (report.verdict == harness::Verdict::timeout) {
        // An overloaded or stopped host looks like a hung guest: one more boot decides.
        log::warn(str("the trial's boot ", report.reason, "; booting it once more before it counts"));
        retries.push_back(str("boot: ", report.reason));
        TRY_ASSIGN(report, harness::boot(boot));
    }
    auto outcome = boot_outcome(report);
    outcome.retries = std::move(retries);
    if (report_out) *report_out = std::move(report);
    return outcome;
}

Result<TrialOutcome> confirmed_boot(harness::BootRequest boot, int confirm_runs) {
    boot.repeat = 1;
    boot.find_min_memory = false;
    TrialOutcome total;
    for (int run = 0; run < std::max(1, confirm_runs); ++run) {
        TRY_ASSIGN(auto outcome, judged_boot(boot));
        total.retries.insert(total.retries.end(), outcome.retries.begin(), outcome.retries.end());
        for (const auto& [phase, seconds] : outcome.seconds) total.seconds[phase] += seconds;
        total.verdict = outcome.verdict;
        total.evidence = std::move(outcome.evidence);
        if (total.verdict != Verdict::pass) break;
    }
    return total;
}

KernelTrialEvaluator::BootTest harness_boot_test(harness::BootRequest base) {
    base.repeat = 1; // KernelTrialEvaluator confirms passes itself
    base.find_min_memory = false;
    return [base](const BuiltKernel& kernel, int) -> Result<TrialOutcome> {
        auto request = base;
        request.target.kernel = kernel.image;
        return judged_boot(request);
    };
}

Result<std::vector<std::shared_ptr<TrialEvaluator>>> make_slot_evaluators(const KernelBuildOptions& build,
                                                                          const harness::BootRequest& boot,
                                                                          int confirm_runs, int jobs) {
    std::vector<std::shared_ptr<TrialEvaluator>> slots;
    if (jobs > 1 && build.scale_out.distcc_hosts.empty())
        log::warn(str("--jobs ", jobs, " without --distcc-hosts: this machine builds one kernel at a time, so the slots only "
                      "overlap a boot with the next build, and a trial started on a guess that proves wrong holds the build "
                      "lock; expect no gain (docs/scale-out.md)"));
    for (int slot = 1; slot < jobs; ++slot) {
        auto slot_build = build;
        slot_build.slot = slot;
        TRY_ASSIGN(auto more, make_kernel_boot_evaluator(slot_build, boot, confirm_runs));
        slots.push_back(more.evaluator);
    }
    return slots;
}

} // namespace tinyx::pruner

namespace tinyx::pruner {
namespace {

// Keeps the builder alive next to the evaluator that refers to it.
class OwningKernelEvaluator final : public TrialEvaluator {
  public:
    OwningKernelEvaluator(KernelBuilder builder, KernelTrialEvaluator::BootTest test, int confirm_runs)
        : m_builder(std::move(builder)), m_inner(m_builder, std::move(test), confirm_runs) {}
    Result<TrialOutcome> evaluate(const TrialInput& trial) override { return m_inner.evaluate(trial); }

  private:
    KernelBuilder m_builder;
    KernelTrialEvaluator m_inner;
};

} // namespace

Result<KernelBootEvaluator> make_kernel_boot_evaluator(KernelBuildOptions build, harness::BootRequest boot,
                                                       int confirm_runs) {
    build.reuse_stored_images = true; // a trial config built before (another run, a resumed one) boots at once
    TRY(harness::validate_all_but_kernel(boot)); // each trial's kernel is built later
    TRY_ASSIGN(auto builder, KernelBuilder::create(std::move(build)));
    KernelBootEvaluator result;
    std::string image = boot.target.initrd ? boot.target.initrd->string() : boot.target.disk ? boot.target.disk->string() : "";
    std::vector<std::string> ports;
    for (int port : boot.test.forwards) ports.push_back(std::to_string(port));
    result.identity = str("boot image=", image, " guest-test=", boot.test.guest_test, " host-test=", boot.test.host_test,
                          " forward=", join(ports, ","), " append=", boot.target.append, " memory=", boot.target.memory_mb,
                          " confirm=", confirm_runs);
    result.evaluator = std::make_shared<OwningKernelEvaluator>(std::move(builder), harness_boot_test(std::move(boot)),
                                                               confirm_runs);
    return result;
}

} // namespace tinyx::pruner
