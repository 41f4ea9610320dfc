#include "pruner/engine.hpp"

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <deque>

namespace tinyx::pruner {

namespace {

double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Engine::Engine(ItemDomain& domain, TrialEvaluator& evaluator, EngineOptions options)
    : m_domain(domain), m_evaluator(evaluator), m_options(std::move(options)) {}

Result<const TrialRecord*> Engine::judge(const State& state, const std::vector<Item>& disabled,
                                         const std::vector<Item>& removed) {
    TrialRecord record;
    record.id = int(m_result.trials.size()) + 1;
    record.disabled = disabled;
    record.removed = removed;
    record.config_hash = state.hash;

    if (auto hit = m_memo.find(state.hash); hit != m_memo.end()) {
        const auto& original = m_result.trials[std::size_t(hit->second)];
        record.verdict = original.verdict;
        record.outcome = original.outcome;
        record.cached = true;
        record.same_as = original.id;
        ++m_result.cache_hits;
        m_result.trials.push_back(std::move(record));
        return &m_result.trials.back();
    }

    if (const JournalEntry* entry = m_options.journal ? m_options.journal->find(state.hash) : nullptr) {
        if (entry->id != record.id)
            log::warn(str("journal: trial ", entry->id, " replays as trial ", record.id, " (the inputs or tinyx changed?)"));
        record.outcome = entry->outcome;
        record.verdict = entry->outcome.verdict;
        record.replayed = true;
        ++m_result.replayed;
    } else {
        if (interrupt::requested()) return Error::interrupted();
        TrialInput input{record.id, state.text, state.hash, m_options.trials_dir / str("trial-", record.id)};
        const auto start = std::chrono::steady_clock::now();
        auto outcome = m_evaluator.evaluate(input);
        std::error_code ec;
        fs::remove_all(input.work_dir, ec);
        TRY(outcome);
        record.outcome = std::move(*outcome);
        record.outcome.seconds["total"] = since(start);
        record.verdict = record.outcome.verdict;
        m_trial_seconds += since(start);
        ++m_trials_here;
        if (m_options.journal)
            TRY(m_options.journal->append(JournalEntry{record.id, record.config_hash, record.disabled, record.outcome}));
    }
    ++m_result.test_runs;
    if (record.outcome.built) ++m_result.builds;
    m_memo[state.hash] = int(m_result.trials.size());
    m_result.trials.push_back(std::move(record));
    return &m_result.trials.back();
}

Result<std::vector<Item>> Engine::attempt(const std::vector<Item>& items, bool& passed, const TrialRecord*& record) {
    passed = false;
    record = nullptr;
    if (interrupt::requested()) return Error::interrupted();
    TRY_ASSIGN(State next, m_domain.remove(m_current, items));
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
    m_options.on_progress(str("trial ", m_result.trials.size(), " (", m_result.test_runs, " runs, ", m_result.cache_hits,
                              " cached) | decided ", removed + decided, "/", m_candidates.size(), " (", removed,
                              " removed), ", left, " left | group ", group_size, " | ", human_seconds(since(m_start)),
                              " elapsed, ETA ~", eta));
}

Result<void> Engine::run_sequential() {
    const auto order = m_domain.sequential_order(m_current.present);
    std::size_t position = 0;
    for (const auto& item : order) {
        ++position;
        m_estimated_left = order.size() - position;
        if (!m_current.present.count(item)) continue; // fell with an earlier option
        bool passed = false;
        const TrialRecord* record = nullptr;
        TRY_ASSIGN(auto fell, attempt({item}, passed, record));
        if (fell.empty()) {
            m_decided[item] = Decision{false, m_current.hash, true, 0, Verdict::fail, {}};
        } else if (!passed) {
            m_decided[item] = Decision{true, m_current.hash, true, record->id, record->verdict, record->outcome.evidence};
        }
    }
    return success();
}

Result<void> Engine::run_group() {
    const auto order = m_domain.grouping_order(m_current.present);
    std::deque<std::vector<Item>> work;
    if (m_options.hint) {
        ItemSet grouped;
        for (auto& group : m_options.hint->initial_groups(order)) {
            std::vector<Item> known;
            for (auto& item : group)
                if (m_current.present.count(item) && grouped.insert(item).second) known.push_back(item);
            if (!known.empty()) work.push_back(std::move(known));
        }
        std::vector<Item> rest;
        for (const auto& item : order)
            if (!grouped.count(item)) rest.push_back(item);
        if (!rest.empty()) work.push_back(std::move(rest));
    } else {
        work.push_back(order);
    }

    while (!work.empty()) {
        std::vector<Item> live;
        for (const auto& item : work.front())
            if (m_current.present.count(item) && !m_decided.count(item)) live.push_back(item);
        work.pop_front();
        m_estimated_left = work.size() * 2;
        if (live.empty()) continue;

        bool passed = false;
        const TrialRecord* record = nullptr;
        TRY_ASSIGN(auto fell, attempt(live, passed, record));
        const bool alone = live.size() == 1;
        if (fell.empty()) {
            for (const auto& item : live) m_decided[item] = Decision{false, m_current.hash, alone, 0, Verdict::fail, {}};
            continue;
        }
        if (passed) continue;
        // Members that did not fall cannot be removed here; the sweep re-checks them alone.
        ItemSet fell_set(fell.begin(), fell.end());
        for (const auto& item : live)
            if (!fell_set.count(item)) m_decided[item] = Decision{false, m_current.hash, false, 0, Verdict::fail, {}};
        if (fell.size() == 1) {
            m_decided[fell.front()] =
                Decision{true, m_current.hash, alone, record->id, record->verdict, record->outcome.evidence};
            continue;
        }
        const auto half = fell.begin() + std::ptrdiff_t(fell.size() / 2);
        work.push_front(std::vector<Item>(half, fell.end()));
        work.push_front(std::vector<Item>(fell.begin(), half));
    }
    return success();
}

Result<void> Engine::confirmation_sweep() {
    for (;;) {
        bool changed = false;
        const auto order = m_domain.grouping_order(m_current.present);
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
            TRY_ASSIGN(auto fell, attempt({item}, passed, record));
            if (fell.empty()) {
                m_decided[item] = Decision{false, m_current.hash, true, 0, Verdict::fail, {}};
            } else if (passed) {
                changed = true;
            } else {
                m_decided[item] = Decision{true, m_current.hash, true, record->id, record->verdict, record->outcome.evidence};
            }
        }
        if (!changed) return success();
    }
}

Result<EngineResult> Engine::run(const State& start, const ItemSet& candidates) {
    if (!known_strategy(m_options.strategy))
        return Error::bad_input(str("--strategy: unknown strategy '", m_options.strategy, "' (known: sequential, group)"));
    m_start = std::chrono::steady_clock::now();
    m_result = EngineResult{};
    m_memo.clear();
    m_decided.clear();
    m_candidates = candidates;
    m_current = start;

    TRY_ASSIGN(const TrialRecord* baseline_record, judge(start, {}, {}));
    const TrialRecord baseline = *baseline_record; // the trial vector grows; keep a copy
    m_result.start_passed = baseline.verdict == Verdict::pass;
    report_progress(0);
    if (m_result.start_passed) {
        if (m_options.strategy == "sequential") TRY(run_sequential());
        else TRY(run_group());
        TRY(confirmation_sweep());
    }

    m_result.final_state = m_current;
    for (const auto& item : m_domain.grouping_order(m_candidates)) {
        if (!m_current.present.count(item)) {
            m_result.removed.push_back(item);
            continue;
        }
        KeptItem kept;
        kept.item = item;
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

} // namespace tinyx::pruner
