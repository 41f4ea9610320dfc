// --jobs N: the search stays sequential; idle slots run the trials it will ask for next.
//
// The search is a deterministic function of the verdicts it gets. To know what it will
// ask next, it is replayed from the start in a dry Engine whose judge() answers from
// the verdicts known so far and, for trials still running, from the strategy's guess
// (m_expect_pass when the trial was asked for); the first state it cannot answer is
// the next trial to start ahead. The replay is cheap: the domain's answers are
// memoised (MemoDomain), and nothing is evaluated. When the real search reaches a
// state that finished ahead it takes that outcome, so its decisions, trial ids and
// journal are exactly those of jobs = 1.
#include "engine_parallel.hpp"

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <future>
#include <thread>

namespace tinyx::minimize {

void Engine::start_slots() {
    m_parallel = std::make_unique<Parallel>(*m_domain);
    m_domain = &m_parallel->domain;
    m_parallel->slots.push_back(&m_evaluator);
    for (int slot = 1; slot < m_options.jobs; ++slot)
        m_parallel->slots.push_back(std::size_t(slot) <= m_options.slot_evaluators.size() ? m_options.slot_evaluators[std::size_t(slot) - 1]
                                                                                         : &m_evaluator);
    m_parallel->busy.assign(m_parallel->slots.size(), false);
}

void Engine::launch(std::size_t slot, const State& state, TrialInput input, bool expect_pass, bool ahead) {
    auto& parallel = *m_parallel;
    parallel.busy[slot] = true;
    TrialEvaluator* evaluator = parallel.slots[slot];
    Parallel::Running run;
    run.hash = state.hash;
    run.expect_pass = expect_pass;
    run.ahead = ahead;
    run.slot = slot;
    run.done = std::async(std::launch::async, [evaluator, input = std::move(input)]() {
        const auto start = std::chrono::steady_clock::now();
        Evaluated evaluated{evaluator->evaluate(input), 0};
        evaluated.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::error_code ec;
        fs::remove_all(input.work_dir, ec);
        return evaluated;
    });
    parallel.running.push_back(std::move(run));
    m_result.parallel.most_at_once = std::max(m_result.parallel.most_at_once, int(parallel.running.size()));
}

std::optional<std::pair<State, bool>> Engine::next_unknown() {
    EngineOptions dry_options;
    dry_options.strategy = m_options.strategy;
    dry_options.hint = m_options.hint;
    dry_options.strict_minimal = m_options.strict_minimal;
    Engine dry(*m_domain, m_evaluator, dry_options);
    Lookahead lookahead{*this, std::nullopt, false};
    dry.m_lookahead = &lookahead;
    (void)dry.run(m_start_state, m_candidates); // ends at the first unknown state, or finishes
    if (!lookahead.stopped_at) return std::nullopt;
    // Stopped at a trial that ended in an error (a machine fault): the search stops there too, if it
    // gets there; nothing after it is worth starting, and it is not run again.
    if (m_parallel->finished.count(lookahead.stopped_at->hash) || m_parallel->is_running(lookahead.stopped_at->hash))
        return std::nullopt;
    return std::make_pair(std::move(*lookahead.stopped_at), lookahead.expect_pass);
}

void Engine::start_ahead() {
    auto& parallel = *m_parallel;
    while (!interrupt::requested()) {
        auto slot = parallel.free_slot();
        if (!slot) return;
        auto next = next_unknown();
        if (!next) return;
        const auto& [state, expect_pass] = *next;
        ++m_result.parallel.started_ahead;
        log::verbose(str("starting a trial ahead in slot ", *slot + 1, " (the search expects the running ones to ",
                         expect_pass ? "pass" : "fail", ")"));
        TrialInput input{0, state.text, state.hash, m_options.trials_dir / str("ahead-", ++parallel.ahead_count)};
        launch(*slot, state, std::move(input), expect_pass, true);
    }
}

void Engine::wait_for_one() {
    auto& parallel = *m_parallel;
    for (;;) {
        for (auto it = parallel.running.begin(); it != parallel.running.end(); ++it) {
            if (it->done.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) continue;
            parallel.busy[it->slot] = false;
            parallel.finished.emplace(it->hash, Parallel::Finished{it->done.get(), it->ahead});
            parallel.running.erase(it);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Engine::Evaluated Engine::evaluate_in_slots(const State& state, const TrialInput& input) {
    auto& parallel = *m_parallel;
    for (;;) {
        if (auto it = parallel.finished.find(state.hash); it != parallel.finished.end()) {
            auto finished = std::move(it->second);
            parallel.finished.erase(it);
            if (finished.ahead) ++m_result.parallel.used_ahead;
            return std::move(finished.evaluated);
        }
        if (!parallel.is_running(state.hash))
            if (auto slot = parallel.free_slot()) launch(*slot, state, input, m_expect_pass, false);
        start_ahead();
        wait_for_one();
    }
}

} // namespace tinyx::minimize
