#include "boot_option_pruning.hpp"

#include "set_pruning.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"
#include "pruner/prune.hpp"
#include "pruner/boot_trials.hpp"
#include "minimize/set_domain.hpp"

#include <cmath>
#include <set>

namespace tinyx::pipeline {

namespace {

// One boot with `append`, harness output kept out of the pruning progress.
Result<harness::BootReport> boot_quietly(harness::BootRequest boot, const std::string& append) {
    boot.target.append = append;
    boot.repeat = 1;
    boot.find_min_memory = false;
    QuietScope quiet;
    return harness::boot(boot);
}

class CommandLineEvaluator final : public minimize::TrialEvaluator {
  public:
    explicit CommandLineEvaluator(const BootOptionPruneRequest& request) : m_request(request) {}
    Result<minimize::TrialOutcome> evaluate(const minimize::TrialInput& trial) override {
        auto boot = m_request.boot;
        boot.target.append = join(minimize::SetDomain::items_of(trial.text), " ");
        QuietScope quiet;
        return pruner::confirmed_boot(boot, m_request.confirm_runs);
    }

  private:
    const BootOptionPruneRequest& m_request;
};

struct Timing {
    bool passed = true;
    double mean = 0, variance = 0;
    int runs = 0;
};

Result<Timing> time_boots(const BootOptionPruneRequest& request, const std::string& append) {
    Timing timing;
    std::vector<double> samples;
    for (int run = 0; run < std::max(2, request.timing_runs); ++run) {
        TRY_ASSIGN(auto report, boot_quietly(request.boot, append));
        if (report.verdict != harness::Verdict::pass || report.boots.empty()) {
            timing.passed = false;
            return timing;
        }
        samples.push_back(pruner::app_started_seconds(report.boots.back()));
    }
    timing.runs = int(samples.size());
    for (double s : samples) timing.mean += s / samples.size();
    for (double s : samples) timing.variance += (s - timing.mean) * (s - timing.mean) / (samples.size() - 1);
    return timing;
}

} // namespace

const std::vector<std::string>& default_boot_savers() {
    static const std::vector<std::string> savers{
        "quiet",               // no kernel messages on the serial console: each line costs time on an emulated UART
        "8250.nr_uarts=2",     // register two 8250 ports (the console and the marker channel) instead of four
        "no_timer_check",      // skip the IO-APIC timer check, which waits on a virtual timer
        "tsc=reliable",        // no TSC stability checks or clocksource watchdog
        "cryptomgr.notests",   // skip crypto self-tests at registration
        "random.trust_cpu=on", // seed the RNG from RDRAND instead of waiting for entropy
    };
    return savers;
}

Result<BootOptionPruneResult> prune_boot_options(const BootOptionPruneRequest& request) {
    BootOptionPruneResult result;
    std::vector<std::string> params;
    for (auto& word : split(request.boot.target.append, ' '))
        if (!trim(word).empty()) params.emplace_back(trim(word));

    // 1. The start command line, pruned against the test.
    std::vector<std::string> kept = params;
    if (!params.empty()) {
        minimize::SetDomain domain("boot-options", params);
        CommandLineEvaluator evaluator(request);
        SetPruning how;
        how.out_dir = request.out_dir;
        how.journal_header = Json{{"tinyx_prune_journal", 1}, {"domain", "boot-options"}, {"strategy", request.strategy},
                                  {"candidates", params}, {"kernel", request.boot.target.kernel.string()},
                                  {"image", request.boot.target.initrd ? request.boot.target.initrd->string() : ""},
                                  {"test", request.boot.test.host_test + "\n" + request.boot.test.guest_test}};
        how.strategy = request.strategy;
        how.resume = request.resume;
        how.jobs = request.jobs;
        how.on_progress = request.on_progress;
        how.start_failure = str("the image fails its test with the command line '", request.boot.target.append, "'");
        TRY_ASSIGN(result.engine, run_set_pruning(domain, evaluator, how));
        kept = minimize::SetDomain::items_of(result.engine.final_state.text);
        result.removed = result.engine.removed;
    }
    result.kept = kept;

    // 2. Savers, one at a time, each against the command line as it stands.
    std::string append = join(kept, " ");
    const std::set<std::string> present(kept.begin(), kept.end());
    TRY_ASSIGN(auto baseline, time_boots(request, append));
    if (!baseline.passed) return Error::test_failed("the pruned command line no longer passes the timing boots (a flaky test?)");
    for (const auto& saver : request.savers) {
        if (present.count(saver)) continue;
        if (request.on_progress) request.on_progress(str("timing ", saver, " (", request.timing_runs, " boots)"));
        const std::string candidate = append.empty() ? saver : append + " " + saver;
        TRY_ASSIGN(auto with, time_boots(request, candidate));
        SaverMeasurement m;
        m.option = saver;
        m.passed = with.passed;
        m.baseline_mean = baseline.mean;
        m.mean = with.mean;
        if (with.passed) {
            m.noise = 2 * std::sqrt(baseline.variance / baseline.runs + with.variance / with.runs);
            m.kept = baseline.mean - with.mean > m.noise;
        }
        if (m.kept) {
            append = candidate;
            baseline = with;
        }
        result.savers.push_back(m);
    }
    result.append = append;

    Json savers = Json::array();
    for (const auto& m : result.savers)
        savers.push_back(Json{{"option", m.option}, {"passed", m.passed}, {"baseline_seconds", m.baseline_mean},
                              {"seconds", m.mean}, {"noise_seconds", m.noise}, {"kept", m.kept}});
    result.report = Json{{"start", request.boot.target.append},
                         {"kept", result.kept},
                         {"removed", result.removed},
                         {"trials", result.engine.test_runs},
                         {"mean_trial_seconds", mean_trial_seconds(result.engine)},
                         {"retried", pruner::retried_report(result.engine)},
                         {"parallel", pruner::parallel_report(result.engine)},
                         {"savers", savers},
                         {"timing_runs", request.timing_runs},
                         {"final", result.append}};
    return result;
}

} // namespace tinyx::pipeline
