#include "minimize/engine.hpp"

#include "engine_parallel.hpp"

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <deque>

namespace tinyx::minimize {

namespace {

double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Engine::Engine(ItemDomain& domain, TrialEvaluator& evaluator, EngineOptions options)
    : m_domain(&domain), m_evaluator(evaluator), m_options(std::move(options)) {
    if (m_options.jobs > 1) start_slots();
}

Engine::~Engine() = default;

Engine::Evaluated Engine::evaluate(const State& state, const TrialInput& input) {
    if (m_parallel) return evaluate_in_slots(state, input);
    const auto start = std::chrono::steady_clock::now();
    Evaluated evaluated{m_evaluator.evaluate(input), 0};
    evaluated.seconds = since(start);
    std::error_code ec;
    fs::remove_all(input.work_dir, ec);
    return evaluated;
}

Result<const TrialRecord*> Engine::judge(const State& state, const std::vector<Item>& disabled,
                                         const std::vector<Item>& removed) {
    TrialRecord record;
    record.id = int(m_result.trials.size()) + 1;
    record.disabled = disabled;
    record.removed = removed;
    record.state_hash = state.hash;

    // Answered without running the evaluator: the verdict of an earlier trial.
    auto answer_from = [&](int index, bool inferred) {
        const auto& original = m_result.trials[std::size_t(index)];
        record.verdict = original.verdict;
        record.outcome = original.outcome;
        (inferred ? record.inferred : record.cached) = true;
        record.same_as = original.id;
        ++(inferred ? m_result.inferred : m_result.cache_hits);
        m_result.trials.push_back(std::move(record));
        return &m_result.trials.back();
    };
    if (auto hit = m_memo.find(state.hash); hit != m_memo.end()) return answer_from(hit->second, false);
    if (m_infer)
        for (const auto& [failing, index] : m_failing)
            if (std::includes(failing.begin(), failing.end(), state.present.begin(), state.present.end()))
                return answer_from(index, true);

    const JournalEntry* entry = m_options.journal ? m_options.journal->find(state.hash) : nullptr;
    if (m_lookahead) {
        // A dry replay: what is known, or a guess for what is running; else stop here.
        auto verdict = m_lookahead->verdict(state.hash);
        if (!verdict) {
            m_lookahead->stopped_at = state;
            m_lookahead->expect_pass = m_expect_pass;
            return Error::internal("lookahead: reached a state nobody judged yet");
        }
        record.verdict = record.outcome.verdict = *verdict;
    } else if (entry) {
        if (entry->id != record.id)
            log::warn(str("journal: trial ", entry->id, " replays as trial ", record.id, " (the inputs or tinyx changed?)"));
        record.outcome = entry->outcome;
        record.verdict = entry->outcome.verdict;
        record.replayed = true;
        ++m_result.replayed;
    } else {
        if (interrupt::requested()) return Error::interrupted();
        TrialInput input{record.id, state.text, state.hash, m_options.trials_dir / str("trial-", record.id)};
        auto evaluated = evaluate(state, input);
        TRY(evaluated.outcome);
        record.outcome = std::move(*evaluated.outcome);
        // A trial's cost leaves out waiting for another run's kernel build (its own entry).
        const auto wait = record.outcome.seconds.find("lock_wait");
        record.outcome.seconds["total"] = evaluated.seconds - (wait == record.outcome.seconds.end() ? 0.0 : wait->second);
        record.verdict = record.outcome.verdict;
        m_trial_seconds += evaluated.seconds;
        ++m_trials_here;
        if (m_options.journal)
            TRY(m_options.journal->append(JournalEntry{record.id, record.state_hash, record.disabled, record.outcome}));
    }
    if (!m_lookahead) m_known[state.hash] = record.verdict;
    ++m_result.test_runs;
    for (const auto& [name, count] : record.outcome.counts) m_result.counts[name] += count;
    m_memo[state.hash] = int(m_result.trials.size());
    if (record.verdict != Verdict::pass) m_failing.emplace_back(state.present, int(m_result.trials.size()));
    m_result.trials.push_back(std::move(record));
    return &m_result.trials.back();
}

Result<std::vector<Item>> Engine::attempt(const std::vector<Item>& items, bool& passed, const TrialRecord*& record) {
    passed = false;
    record = nullptr;
    if (interrupt::requested()) return Error::interrupted();
    TRY_ASSIGN(State next, m_domain->remove(m_current, items));
    ++m_result.resolves;
    std::vector<Item> fell;
    for (const auto& item : items)
        if (m_current.present.count(item) && !next.present.count(item)) fell.push_back(item);
    if (fell.empty()) {
        ++m_result.skipped_no_effect;
        return fell;
    }
    std::vector<Item> removed;
    for (const auto& item : m_current.present)
        if (!next.present.count(item)) removed.push_back(item);
    TRY_ASSIGN(record, judge(next, items, removed));
    passed = record->verdict == Verdict::pass;
    if (passed) m_current = std::move(next);
    report_progress(items.size());
    return fell;
}

void Engine::report_progress(std::size_t group_size) {
    if (!m_options.on_progress) return;
    std::size_t decided = 0;
    for (const auto& item : m_current.present)
        if (m_decided.count(item)) ++decided;
    const std::size_t removed = m_candidates.size() - m_current.present.size();
    const std::size_t left = m_current.present.size() - decided;
    std::string eta = "?";
    if (m_trials_here > 0) {
        // Trials still to come: roughly one per undecided item for sequential; group
        // testing needs about a logarithm's worth per item still in doubt.
        const double per_trial = m_trial_seconds / m_trials_here;
        eta = human_seconds(per_trial * double(std::max<std::size_t>(m_estimated_left, 1)));
    }
    m_options.on_progress(str("trial ", m_result.trials.size(), " (", m_result.test_runs, " runs, ",
                              m_result.cache_hits + m_result.inferred, " known) | decided ", removed + decided, "/", m_candidates.size(), " (", removed,
                              " removed), ", left, " left | group ", group_size, " | ", human_seconds(since(m_start)),
                              " elapsed, ETA ~", eta));
}

Result<void> Engine::run_sequential() {
    const auto order = m_domain->sequential_order(m_current.present);
    std::size_t position = 0;
    for (const auto& item : order) {
        ++position;
        m_estimated_left = order.size() - position;
        if (!m_current.present.count(item)) continue; // fell with an earlier option
        bool passed = false;
        const TrialRecord* record = nullptr;
        m_expect_pass = true; // most of a pool goes
        TRY_ASSIGN(auto fell, attempt({item}, passed, record));
        if (fell.empty()) {
            m_decided[item] = Decision{false, m_current.hash, true, 0, Verdict::fail, {}};
        } else if (!passed) {
            m_decided[item] = Decision{true, m_current.hash, true, record->id,
                                       record->verdict, record->outcome.evidence};
        }
    }
    return success();
}

std::size_t Engine::needed_so_far() const {
    std::size_t needed = 0;
    for (const auto& [item, decision] : m_decided)
        if (decision.removable && m_current.present.count(item)) ++needed;
    return needed;
}

std::size_t Engine::next_group_size() const {
    // Hwang's rule, 2^floor(log2(1/share)), with the share of needed items among
    // those this phase decided; the prior fades as evidence comes in.
    // (A non-monotone test can pass without an item judged needed: never below zero.)
    const std::size_t needed = std::max(needed_so_far(), m_phase_needed_base) - m_phase_needed_base;
    const std::size_t removed = m_candidates.size() - m_current.present.size() - m_phase_removed_base;
    const double inverse_share = (double(removed + needed) + m_phase_prior) / double(needed + 1);
    std::size_t size = 1;
    while (double(size * 2) <= inverse_share) size *= 2;
    return size;
}

Result<bool> Engine::test_group(std::vector<Item> group, std::deque<Item>& queue, std::vector<Item>& refused) {
    bool passed = false;
    const TrialRecord* record = nullptr;
    auto try_removing = [&](const std::vector<Item>& items) -> Result<std::vector<Item>> {
        TRY_ASSIGN(auto fell, attempt(items, passed, record));
        ItemSet fell_set(fell.begin(), fell.end());
        for (const auto& item : items)
            if (!fell_set.count(item) && m_current.present.count(item)) refused.push_back(item);
        return fell;
    };

    m_expect_pass = true; // groups are sized so that about half pass; a hint's groups should
    TRY_ASSIGN(auto suspects, try_removing(group));
    if (suspects.empty() || passed) return passed;
    if (suspects.size() == 1) {
        // Only one candidate fell: that failing trial already judged it alone.
        m_decided[suspects.front()] = Decision{true, m_current.hash, true, record->id, record->verdict, record->outcome.evidence};
        return false;
    }
    // The group failed: one of `suspects` is needed. Halve until it is alone; a
    // half that passes is gone, and then (for a monotone test) the other half
    // holds the needed item; a half that fails leaves the other half untested.
    while (suspects.size() > 1) {
        const auto middle = suspects.begin() + std::ptrdiff_t(suspects.size() / 2);
        std::vector<Item> first(suspects.begin(), middle), second(middle, suspects.end());
        m_expect_pass = true;
        TRY_ASSIGN(auto fell, try_removing(first));
        if (!fell.empty() && !passed) {
            for (auto it = second.rbegin(); it != second.rend(); ++it) queue.push_front(*it);
            suspects = std::move(fell);
            continue;
        }
        suspects.clear();
        for (const auto& item : second)
            if (live(item)) suspects.push_back(item);
    }
    if (suspects.empty()) return false;
    const Item item = suspects.front();
    m_expect_pass = false; // the last suspect of a failing group
    TRY_ASSIGN(auto fell, attempt({item}, passed, record));
    if (fell.empty()) m_decided[item] = Decision{false, m_current.hash, true, 0, Verdict::fail, {}};
    else if (!passed)
        m_decided[item] = Decision{true, m_current.hash, true, record->id,
                                   record->verdict, record->outcome.evidence};
    return false;
}

Result<void> Engine::run_group() {
    // The domain's grouping order puts dependents before what they depend on, so
    // a slice's dependents were decided earlier: removing it takes only the slice,
    // or something already known to be needed (a failure inferred without a run).
    const auto order = m_domain->grouping_order(m_current.present);

    std::vector<Item> refused;
    std::deque<Item> queue;
    if (m_options.hint) {
        auto groups = m_options.hint->initial_groups(order);
        for (std::size_t at = 0; at < groups.size(); ++at) {
            auto& group = groups[at];
            // The hint's groups cover every candidate, so what is left is about one trial per
            // group still to come (a failing group adds its splits, a passing one is one trial).
            m_estimated_left = groups.size() - at;
            std::vector<Item> known;
            for (auto& item : group)
                if (live(item)) known.push_back(item);
            if (!known.empty()) TRY(test_group(std::move(known), queue, refused));
        }
    }
    for (const auto& item : order) queue.push_back(item);
    if (m_options.hint) {
        m_phase_removed_base = m_candidates.size() - m_current.present.size();
        m_phase_needed_base = needed_so_far();
        m_phase_prior = 1.0 / std::clamp(m_options.hint->expected_needed_share_left(), 1e-6, 1.0);
    }

    // Members the domain refused to remove (selected by something still on) get
    // another round once the rest has been pruned; after a round without
    // progress they are left to the confirmation sweep.
    std::size_t size = next_group_size();
    for (int round = 0; round < 3 && !queue.empty(); ++round) {
        const auto hash_before = m_current.hash;
        while (!queue.empty()) {
            std::vector<Item> group;
            ItemSet in_group; // hinted items can be queued twice
            while (!queue.empty() && group.size() < size) {
                if (live(queue.front()) && in_group.insert(queue.front()).second) group.push_back(queue.front());
                queue.pop_front();
            }
            if (group.empty()) break;
            m_estimated_left = 1 + queue.size() / size;
            TRY(test_group(std::move(group), queue, refused));
            size = next_group_size();
        }
        if (m_current.hash == hash_before) break;
        std::sort(refused.begin(), refused.end(), [&](const Item& a, const Item& b) {
            return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
        });
        refused.erase(std::unique(refused.begin(), refused.end()), refused.end());
        for (const auto& item : refused) queue.push_back(item);
        refused.clear();
        size = next_group_size();
    }
    return success();
}

Result<void> Engine::confirmation_sweep() {
    m_infer = !m_options.strict_minimal;
    for (;;) {
        bool changed = false;
        const auto order = m_domain->grouping_order(m_current.present);
        for (const auto& item : order) {
            if (!m_current.present.count(item)) continue;
            if (auto it = m_decided.find(item); it != m_decided.end() && it->second.alone && it->second.context == m_current.hash)
                continue; // already decided alone, in exactly this state
            std::size_t pending = 0;
            for (const auto& other : m_current.present) {
                auto it = m_decided.find(other);
                if (it == m_decided.end() || it->second.context != m_current.hash) ++pending;
            }
            m_estimated_left = pending;
            bool passed = false;
            const TrialRecord* record = nullptr;
            m_expect_pass = false; // what is left after the search was needed somewhere
            TRY_ASSIGN(auto fell, attempt({item}, passed, record));
            if (fell.empty()) {
                m_decided[item] = Decision{false, m_current.hash, true, 0, Verdict::fail, {}};
            } else if (passed) {
                changed = true;
            } else {
                m_decided[item] = Decision{true, m_current.hash, true, record->id,
                                           record->verdict, record->outcome.evidence};
            }
        }
        if (!changed) return success();
    }
}

Result<void> Engine::search(const State& start) {
    m_expect_pass = true;
    TRY_ASSIGN(const TrialRecord* baseline, judge(start, {}, {}));
    m_result.start_passed = baseline->verdict == Verdict::pass;
    report_progress(0);
    if (!m_result.start_passed) return success();
    if (m_options.strategy == "sequential") TRY(run_sequential());
    else TRY(run_group());
    return confirmation_sweep();
}

Result<EngineResult> Engine::run(const State& start, const ItemSet& candidates) {
    if (!known_strategy(m_options.strategy))
        return Error::bad_input(str("--strategy: unknown strategy '", m_options.strategy, "' (known: sequential, group, trace)"));
    if (m_options.strategy == "trace" && !m_options.hint)
        return Error::bad_input("--strategy trace needs a coverage trace: kernel trials that boot, or --coverage FILE from an earlier run");
    m_start = std::chrono::steady_clock::now();
    m_result = EngineResult{};
    m_memo.clear();
    m_failing.clear();
    m_infer = true;
    m_decided.clear();
    m_candidates = candidates;
    m_start_state = start;
    m_current = start;
    if (m_parallel) m_result.parallel.jobs = m_options.jobs;
    TRY(search(start));
    m_result.final_state = m_current;
    for (const auto& item : m_domain->grouping_order(m_candidates)) {
        if (!m_current.present.count(item)) {
            m_result.removed.push_back(item);
            continue;
        }
        KeptItem kept;
        kept.item = item;
        const TrialRecord& baseline = m_result.trials.front();
        if (auto it = m_decided.find(item); it != m_decided.end()) {
            kept.removable = it->second.removable;
            kept.trial_id = it->second.trial_id;
            kept.verdict = it->second.verdict;
            kept.evidence = it->second.evidence;
        } else {
            kept.trial_id = baseline.id; // the start failed: nothing was decided
            kept.verdict = baseline.verdict;
            kept.evidence = baseline.outcome.evidence;
        }
        m_result.kept.push_back(std::move(kept));
    }
    m_result.seconds = since(m_start);
    return std::move(m_result);
}

} // namespace tinyx::minimize
