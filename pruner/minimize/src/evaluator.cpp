#include "minimize/evaluator.hpp"

#include "core/interrupt.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

namespace tinyx::minimize {

std::string verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::build_failed: return "build-failed";
    case Verdict::boot_failed: return "boot-failed";
    case Verdict::timeout: return "timeout";
    }
    return "fail";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
    for (auto v : {Verdict::pass, Verdict::fail, Verdict::build_failed, Verdict::boot_failed, Verdict::timeout})
        if (verdict_name(v) == name) return v;
    return std::nullopt;
}

Result<TrialOutcome> CheckConfigEvaluator::evaluate(const TrialInput& trial) {
    TRY(make_directories(trial.work_dir));
    const fs::path config = trial.work_dir / "config";
    TRY(write_file_atomic(config, trial.text));

    auto spec = ProcessSpec::shell(m_command + " " + shell_quote(config.string()));
    spec.env_set["TINYX_CONFIG"] = config.string();
    spec.err = Output::same_as_stdout();
    spec.timeout = m_timeout;
    TRY_ASSIGN(auto run, run_process(spec));
    if (run.interrupted || interrupt::requested()) return Error::interrupted();

    TrialOutcome outcome;
    outcome.seconds["test"] = run.seconds;
    outcome.evidence = last_lines(run.out, 10);
    if (run.timed_out) {
        outcome.verdict = Verdict::timeout;
    } else if (run.exit_code == 127) {
        // The shell could not find the command: a usage error, not a verdict about the config.
        return Error::bad_input(str("--check-config: '", m_command, "' could not be run: ", join(outcome.evidence, " / ")));
    } else {
        outcome.verdict = run.success() ? Verdict::pass : Verdict::fail;
    }
    if (!run.success()) outcome.evidence.push_back(str("check-config command ", run.describe()));
    return outcome;
}

} // namespace tinyx::minimize
