// Engine's parallel slots and dry replays (engine_parallel.cpp): private to the engine.
#pragma once

#include "core/log.hpp"
#include "core/strings.hpp"
#include "minimize/engine.hpp"

#include <future>
#include <map>
#include <optional>

namespace tinyx::minimize {

// The domain's answers, kept: a dry replay asks the same questions again.
class MemoDomain final : public ItemDomain {
  public:
    explicit MemoDomain(ItemDomain& inner) : m_inner(inner) {}
    std::string kind() const override { return m_inner.kind(); }
    Result<State> remove(const State& base, const std::vector<Item>& items) override {
        std::string key = base.hash;
        for (const auto& item : items) key += "\n" + item;
        if (auto it = m_removed.find(key); it != m_removed.end()) return it->second;
        TRY_ASSIGN(State next, m_inner.remove(base, items));
        return m_removed.emplace(std::move(key), std::move(next)).first->second;
    }
    std::vector<Item> sequential_order(const ItemSet& candidates) override {
        return memo(m_sequential, candidates, [&] { return m_inner.sequential_order(candidates); });
    }
    std::vector<Item> grouping_order(const ItemSet& candidates) override {
        return memo(m_grouping, candidates, [&] { return m_inner.grouping_order(candidates); });
    }

  private:
    template <class Compute>
    static std::vector<Item> memo(std::map<std::string, std::vector<Item>>& table, const ItemSet& candidates, Compute compute) {
        std::string key;
        for (const auto& item : candidates) key += item + "\n";
        if (auto it = table.find(key); it != table.end()) return it->second;
        return table.emplace(std::move(key), compute()).first->second;
    }
    ItemDomain& m_inner;
    std::map<std::string, State> m_removed;
    std::map<std::string, std::vector<Item>> m_sequential, m_grouping;
};

struct Engine::Parallel {
    explicit Parallel(ItemDomain& inner) : domain(inner) {}
    struct Running {
        std::string hash;
        bool expect_pass = false;
        bool ahead = false;
        std::size_t slot = 0;
        std::future<Evaluated> done;
    };
    struct Finished {
        Evaluated evaluated;
        bool ahead = false;
    };
    MemoDomain domain;
    std::vector<TrialEvaluator*> slots;
    std::vector<bool> busy;
    std::vector<Running> running;
    std::map<std::string, Finished> finished; // ended, not yet taken by the search
    int ahead_count = 0;

    std::optional<std::size_t> free_slot() const {
        for (std::size_t slot = 0; slot < busy.size(); ++slot)
            if (!busy[slot]) return slot;
        return std::nullopt;
    }
    bool is_running(const std::string& hash) const {
        for (const auto& run : running)
            if (run.hash == hash) return true;
        return false;
    }
    ~Parallel() {
        // Each future's destructor waits for its evaluation: the evaluators outlive the threads.
        if (!running.empty()) log::info(str("waiting for ", running.size(), " trial(s) started ahead to end"));
    }
};

struct Engine::Lookahead {
    const Engine& real;
    std::optional<State> stopped_at;
    bool expect_pass = false;

    std::optional<Verdict> verdict(const std::string& hash) const {
        if (auto it = real.m_known.find(hash); it != real.m_known.end()) return it->second;
        const auto& parallel = *real.m_parallel;
        if (auto it = parallel.finished.find(hash); it != parallel.finished.end()) {
            if (!it->second.evaluated.outcome) return std::nullopt; // an error ends the search there
            return it->second.evaluated.outcome->verdict;
        }
        for (const auto& run : parallel.running)
            if (run.hash == hash) return run.expect_pass ? Verdict::pass : Verdict::fail;
        if (const JournalEntry* entry = real.m_options.journal ? real.m_options.journal->find(hash) : nullptr)
            return entry->outcome.verdict;
        return std::nullopt;
    }
};

} // namespace tinyx::minimize
