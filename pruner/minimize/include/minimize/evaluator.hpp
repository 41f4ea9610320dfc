// Judging one trial: is the state still good enough for the user's test?
//
// TrialEvaluator is what the engine calls for every state it has not seen
// before. Two implementations:
//   - CheckConfigEvaluator (here): runs a command on the resolved .config, no
//     kernel is built (tests, benchmarks, quick experiments);
//   - KernelTrialEvaluator (pruner/kernel_evaluator.hpp): build, boot, test.
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::minimize {

enum class Verdict { pass, fail, build_failed, boot_failed, timeout };

// "pass", "fail", "build-failed", "boot-failed", "timeout" (the report's spelling).
std::string verdict_name(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view name);

struct TrialInput {
    int id = 0;
    std::string text;    // the resolved state to judge
    std::string hash;    // sha256 of text
    fs::path work_dir;   // a directory the evaluator may use for this trial's files
};

struct TrialOutcome {
    Verdict verdict = Verdict::fail;
    std::vector<std::string> evidence; // last lines of the test/console/build log
    std::map<std::string, double> seconds; // "build", "boot", "test", ... (the report's seconds)
    // What the evaluation spent that the report counts, by name ({"builds": 1}: a kernel was
    // built for this trial). The engine adds them up (EngineResult::counts).
    std::map<std::string, int> counts;
    // What was run again before this verdict, and why ("boot: timed out ...", "build: the
    // compiler was killed ..."): machine trouble that did not decide the trial.
    std::vector<std::string> retries;
};

class TrialEvaluator {
  public:
    virtual ~TrialEvaluator() = default;
    // An Error only when the trial could not be judged at all (the test command is
    // missing, Ctrl-C, a machine fault: a full disk, a build killed twice, QEMU that
    // cannot start): the run stops and nothing is journaled for the trial, so
    // --resume judges it again. A failing test is a TrialOutcome.
    virtual Result<TrialOutcome> evaluate(const TrialInput& trial) = 0;
};

// --check-config CMD: CMD runs under /bin/sh with the trial's config path as
// its last argument and in $TINYX_CONFIG; exit 0 = pass.
class CheckConfigEvaluator final : public TrialEvaluator {
  public:
    explicit CheckConfigEvaluator(std::string command, std::chrono::seconds timeout = std::chrono::seconds(600))
        : m_command(std::move(command)), m_timeout(timeout) {}
    Result<TrialOutcome> evaluate(const TrialInput& trial) override;

  private:
    std::string m_command;
    std::chrono::seconds m_timeout;
};

} // namespace tinyx::minimize
