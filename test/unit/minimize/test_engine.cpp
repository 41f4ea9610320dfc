#include "fake_domain.hpp"
#include "minimize/engine.hpp"
#include "minimize/prior_hint.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>

using namespace tinyx;
using namespace tinyx::minimize;
using namespace tinyx::minimize::testing;

namespace {

// N items i000..; every 10th is a "menu" that the next 9 depend on; a few selects.
FakeDomain make_tree(int n) {
    FakeDomain d;
    for (int i = 0; i < n; ++i) {
        d.order.push_back(str("i", 1000 + i));
        if (i % 10 != 0) d.parents[d.order.back()].insert(str("i", 1000 + i - i % 10));
    }
    // i1003 is selected by i1017; i1050 by i1051.
    if (n > 17) d.selected_by["i1003"].insert("i1017");
    if (n > 51) d.selected_by["i1050"].insert("i1051");
    return d;
}

ItemSet all_of(const FakeDomain& d) { return ItemSet(d.order.begin(), d.order.end()); }

bool contains_all(const ItemSet& present, const ItemSet& needed) {
    return std::all_of(needed.begin(), needed.end(), [&](const Item& i) { return present.count(i) > 0; });
}

// The acceptance property: every remaining item, removed alone from the final
// state, either cannot be removed or fails.
void require_one_minimal(FakeDomain& d, const std::function<bool(const ItemSet&)>& judge, const State& final_state) {
    REQUIRE(judge(final_state.present));
    for (const auto& item : final_state.present) {
        auto next = d.remove(final_state, {item});
        REQUIRE(next);
        if (next->present.count(item)) continue; // cannot be removed
        INFO("removing " << item << " alone still passes");
        CHECK_FALSE(judge(next->present));
    }
}

struct Run {
    EngineResult result;
    int evaluator_calls = 0;
    std::vector<std::string> hashes;
};

Run run(FakeDomain& d, const std::function<bool(const ItemSet&)>& judge, const std::string& strategy,
        Journal* journal = nullptr, int interrupt_after = -1, Result<EngineResult>* raw = nullptr, bool strict = false,
        SearchHint* hint = nullptr) {
    FakeEvaluator evaluator;
    evaluator.judge = judge;
    evaluator.interrupt_after = interrupt_after;
    auto trials = TempDir::create("tinyx-engine-test-");
    REQUIRE(trials);
    EngineOptions options;
    options.strategy = strategy;
    options.trials_dir = trials->path();
    options.journal = journal;
    options.strict_minimal = strict;
    options.hint = hint;
    Engine engine(d, evaluator, options);
    auto result = engine.run(d.make_state(all_of(d)), all_of(d));
    Run out;
    out.evaluator_calls = evaluator.calls;
    out.hashes = evaluator.hashes;
    if (raw) {
        *raw = std::move(result);
        return out;
    }
    REQUIRE(result);
    out.result = std::move(*result);
    return out;
}

} // namespace

TEST_CASE("engine: both strategies reach a passing 1-minimal state", "[pruner][engine]") {
    auto strategy = GENERATE(std::string("sequential"), std::string("group"));
    FakeDomain d = make_tree(200);
    const ItemSet hidden{"i1005", "i1037", "i1038", "i1101", "i1199"};
    auto judge = [&](const ItemSet& present) { return contains_all(present, hidden); };
    auto r = run(d, judge, strategy);
    REQUIRE(r.result.start_passed);
    require_one_minimal(d, judge, r.result.final_state);
    // The needed items and their parents stay; i1003 stays only while i1017 (its selector) does.
    for (const auto& item : {"i1005", "i1000", "i1030", "i1037", "i1038", "i1100", "i1101", "i1190", "i1199"})
        CHECK(r.result.final_state.present.count(item));
    CHECK(r.result.final_state.present.size() == 9);
    // Every kept item is explained by a failing trial.
    for (const auto& kept : r.result.kept) {
        CHECK(kept.removable);
        CHECK(kept.trial_id > 0);
        CHECK(kept.verdict == Verdict::fail);
        CHECK_FALSE(kept.evidence.empty());
    }
}

TEST_CASE("engine: no state is ever tested twice", "[pruner][engine]") {
    auto strategy = GENERATE(std::string("sequential"), std::string("group"));
    FakeDomain d = make_tree(120);
    const ItemSet hidden{"i1011", "i1012", "i1077"};
    auto r = run(d, [&](const ItemSet& p) { return contains_all(p, hidden); }, strategy);
    auto hashes = r.hashes;
    std::sort(hashes.begin(), hashes.end());
    CHECK(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end());
    CHECK(r.evaluator_calls == r.result.test_runs);
}

TEST_CASE("engine: group testing needs far fewer trials than one at a time", "[pruner][engine]") {
    // Mostly leaves, as most of defconfig's candidates are: one menu of 10 per 100 items.
    FakeDomain d = make_tree(600);
    for (auto& [item, parents] : d.parents)
        if ((item[3] - '0') % 5 != 0) parents.clear();
    ItemSet hidden;
    for (int i : {3, 57, 58, 120, 244, 245, 301, 333, 480, 599}) hidden.insert(str("i", 1000 + i));
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto sequential = run(d, judge, "sequential");
    auto group = run(d, judge, "group");
    require_one_minimal(d, judge, group.result.final_state);
    require_one_minimal(d, judge, sequential.result.final_state);
    // Both keep the hidden items with their parents; i1003 may stay through its
    // parent i1000 or its selector i1017: either is 1-minimal.
    CHECK(group.result.final_state.present.size() == sequential.result.final_state.present.size());
    INFO("sequential " << sequential.result.test_runs << " trials, group " << group.result.test_runs);
    CHECK(group.result.test_runs * 5 <= sequential.result.test_runs);
}

TEST_CASE("engine: with strict_minimal the result is 1-minimal even when the test is not monotone", "[pruner][engine]") {
    // Removing i1002 alone breaks the test, but removing i1002 and i1004 together is fine:
    // groups can remove what single trials cannot, and the sweep must still confirm every survivor
    // by running it (a failure inferred from a superset state would be wrong here).
    auto strategy = GENERATE(std::string("sequential"), std::string("group"));
    FakeDomain d = make_tree(40);
    auto judge = [](const ItemSet& p) {
        if (!p.count("i1021")) return false;
        if (!p.count("i1002") && p.count("i1004")) return false;
        return true;
    };
    auto r = run(d, judge, strategy, nullptr, -1, nullptr, true);
    require_one_minimal(d, judge, r.result.final_state);
}

TEST_CASE("engine: inferred verdicts are failures implied by a real failing superset state", "[pruner][engine]") {
    FakeDomain d = make_tree(300);
    const ItemSet hidden{"i1013", "i1014", "i1120", "i1121", "i1122", "i1250"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto r = run(d, judge, "group");
    REQUIRE(r.result.inferred > 0);
    std::map<int, const TrialRecord*> by_id;
    for (const auto& t : r.result.trials) by_id[t.id] = &t;
    for (const auto& t : r.result.trials) {
        if (!t.inferred) continue;
        CHECK(t.verdict == Verdict::fail);
        REQUIRE(by_id.count(t.same_as));
        const TrialRecord& original = *by_id[t.same_as];
        CHECK_FALSE(original.cached);
        CHECK_FALSE(original.inferred);
        CHECK(original.verdict == Verdict::fail);
    }
    // Inference saves runs without changing the answer.
    auto strict = run(d, judge, "group", nullptr, -1, nullptr, true);
    CHECK(strict.result.final_state.present == r.result.final_state.present);
    CHECK(r.evaluator_calls < strict.evaluator_calls);
    require_one_minimal(d, judge, r.result.final_state);
}

TEST_CASE("engine: same inputs, same trials", "[pruner][engine]") {
    FakeDomain d = make_tree(150);
    const ItemSet hidden{"i1044", "i1100"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto a = run(d, judge, "group");
    auto b = run(d, judge, "group");
    CHECK(a.hashes == b.hashes);
}

TEST_CASE("engine: a failing start state prunes nothing", "[pruner][engine]") {
    FakeDomain d = make_tree(30);
    auto r = run(d, [](const ItemSet&) { return false; }, "group");
    CHECK_FALSE(r.result.start_passed);
    CHECK(r.result.test_runs == 1);
    CHECK(r.result.final_state.present.size() == 30);
}

TEST_CASE("engine: an interrupted run resumes from its journal with the same result", "[pruner][engine][journal]") {
    auto strategy = GENERATE(std::string("sequential"), std::string("group"));
    FakeDomain d = make_tree(100);
    const ItemSet hidden{"i1015", "i1062", "i1063"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto uninterrupted = run(d, judge, strategy);

    auto dir = TempDir::create("tinyx-journal-test-");
    REQUIRE(dir);
    const fs::path path = dir->path() / "journal.jsonl";
    const Json header{{"test", strategy}};
    const int stop_after = uninterrupted.result.test_runs / 2;
    {
        auto journal = Journal::open(path, header, false);
        REQUIRE(journal);
        Result<EngineResult> interrupted = Error::internal("not run");
        run(d, judge, strategy, &*journal, stop_after, &interrupted);
        REQUIRE_FALSE(interrupted);
        CHECK(interrupted.error().exit == Exit::interrupted);
    }
    // A torn last line, as kill -9 in the middle of a write would leave.
    {
        auto text = read_file(path);
        REQUIRE(text);
        REQUIRE(write_file_atomic(path, *text + "{\"id\": 99, \"config_ha"));
    }
    auto journal = Journal::open(path, header, true);
    REQUIRE(journal);
    CHECK(journal->size() == std::size_t(stop_after));
    auto resumed = run(d, judge, strategy, &*journal);
    CHECK(resumed.result.final_state.hash == uninterrupted.result.final_state.hash);
    CHECK(resumed.result.test_runs == uninterrupted.result.test_runs);
    CHECK(resumed.result.replayed == stop_after);
    CHECK(resumed.evaluator_calls == uninterrupted.result.test_runs - stop_after);

    // A journal of other inputs is refused.
    auto other = Journal::open(path, Json{{"test", "other"}}, true);
    REQUIRE_FALSE(other);
    CHECK(other.error().exit == Exit::bad_input);
}

namespace {
struct FirstHalfHint final : SearchHint {
    std::vector<std::vector<Item>> initial_groups(const std::vector<Item>& ordered) override {
        return {std::vector<Item>(ordered.begin(), ordered.begin() + std::ptrdiff_t(ordered.size() / 2))};
    }
};
} // namespace

TEST_CASE("engine: a search hint changes the order, not the result", "[pruner][engine]") {
    FakeDomain d = make_tree(80);
    const ItemSet hidden{"i1033", "i1070"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto plain = run(d, judge, "group");
    FirstHalfHint hint;
    auto hinted = run(d, judge, "group", nullptr, -1, nullptr, false, &hint).result;
    CHECK(hinted.final_state.present == plain.result.final_state.present);
}

TEST_CASE("engine: a search hint's groups are tried first and a wrong hint costs runs, not correctness", "[pruner][engine]") {
    struct FixedHint final : SearchHint {
        std::vector<std::vector<Item>> groups;
        std::vector<std::vector<Item>> initial_groups(const std::vector<Item>&) override { return groups; }
    };
    FakeDomain d = make_tree(200);
    const ItemSet hidden{"i1042", "i1043", "i1150"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    FixedHint hint;
    // A good group (nothing needed in 1060..1099), then a wrong one (it holds i1150), with a repeat of an item.
    std::vector<Item> good, wrong;
    for (int i = 60; i < 100; ++i) good.push_back(str("i", 1000 + i));
    for (int i = 140; i < 160; ++i) wrong.push_back(str("i", 1000 + i));
    wrong.push_back("i1060");
    hint.groups = {good, wrong};
    auto run_result = run(d, judge, "group", nullptr, -1, nullptr, false, &hint).result;
    const auto* result = &run_result;
    REQUIRE(result->trials.size() >= 2);
    // Trial 1 is the start; trial 2 removes exactly the good hinted group, and passes.
    CHECK(ItemSet(result->trials[1].disabled.begin(), result->trials[1].disabled.end()) == ItemSet(good.begin(), good.end()));
    CHECK(result->trials[1].verdict == Verdict::pass);
    require_one_minimal(d, judge, result->final_state);
    CHECK(result->final_state.present == ItemSet{"i1040", "i1042", "i1043", "i1150"}); // i1150 heads its own menu
}

TEST_CASE("engine: a prior pruning's result as a hint costs one trial per kept item when it holds", "[pruner][engine][hint]") {
    FakeDomain d = make_tree(200);
    const ItemSet hidden{"i1012", "i1042", "i1043", "i1150", "i1177"};
    auto judge = [&](const ItemSet& p) { return contains_all(p, hidden); };
    auto plain = run(d, judge, "group").result;
    const ItemSet kept = plain.final_state.present;

    PriorRemovalHint same_app(std::set<std::string>(kept.begin(), kept.end()));
    auto hinted = run(d, judge, "group", nullptr, -1, nullptr, false, &same_app).result;
    CHECK(hinted.final_state.present == kept);
    require_one_minimal(d, judge, hinted.final_state);
    // The start, the group of everything the prior run removed (it passes), then each kept
    // item alone: run, or inferred to fail (a menu whose removal takes a needed child).
    REQUIRE(hinted.trials.size() >= 2);
    CHECK(hinted.trials[1].verdict == Verdict::pass);
    CHECK(hinted.trials[1].removed.size() == d.order.size() - kept.size());
    CHECK(hinted.trials.size() == 2 + kept.size());
    CHECK(hinted.test_runs + hinted.inferred == 2 + int(kept.size()));
    CHECK(hinted.test_runs < plain.test_runs);
}

TEST_CASE("engine: a prior pruning of another app as a hint: a wrong guess is split, the result is the app's own", "[pruner][engine][hint]") {
    FakeDomain d = make_tree(200);
    const ItemSet first_app{"i1012", "i1042", "i1043", "i1150"};
    auto first_judge = [&](const ItemSet& p) { return contains_all(p, first_app); };
    const ItemSet kept_for_first = run(d, first_judge, "group").result.final_state.present;

    // The second app needs one item the first did not (i1091) and not i1012.
    const ItemSet second_app{"i1042", "i1043", "i1150", "i1091"};
    auto second_judge = [&](const ItemSet& p) { return contains_all(p, second_app); };
    auto plain = run(d, second_judge, "group").result;
    PriorRemovalHint hint(std::set<std::string>(kept_for_first.begin(), kept_for_first.end()));
    auto hinted = run(d, second_judge, "group", nullptr, -1, nullptr, false, &hint).result;
    CHECK(hinted.final_state.present == plain.final_state.present);
    CHECK(hinted.final_state.present.count("i1091"));
    CHECK_FALSE(hinted.final_state.present.count("i1012"));
    require_one_minimal(d, second_judge, hinted.final_state);
    CHECK(hinted.test_runs < plain.test_runs);
}

TEST_CASE("engine: what a hint leaves is searched with the hint's expected share, learnt from that phase only", "[pruner][engine][hint]") {
    struct CoverPart final : SearchHint {
        std::vector<Item> group;
        std::vector<std::vector<Item>> initial_groups(const std::vector<Item>&) override { return {group}; }
        double expected_needed_share_left() const override { return 1.0 / 8; }
    };
    FakeDomain d = make_tree(200);
    CoverPart hint;
    for (int i = 0; i < 160; ++i) hint.group.push_back(str("i", 1000 + i));
    // Nothing is needed: the hinted group passes, then the 40 items it left go in groups
    // that start at 8 (the hint's share) and double as they pass; not at the 128 that the
    // 160 removed items would suggest.
    auto result = run(d, [](const ItemSet&) { return true; }, "group", nullptr, -1, nullptr, false, &hint).result;
    CHECK(result.final_state.present.empty());
    std::vector<std::size_t> sizes;
    for (const auto& trial : result.trials) sizes.push_back(trial.disabled.size());
    CHECK(sizes == std::vector<std::size_t>{0, 160, 8, 16, 16});
}

namespace {

// One slot's evaluator: a judge of the state only, so it may run beside the others.
struct SlotEvaluator final : TrialEvaluator {
    std::function<bool(const ItemSet&)> judge;
    std::optional<std::string> fails_machine_for; // a state hash whose evaluation is a machine fault
    std::atomic<int> calls{0};
    std::mutex mutex;
    std::vector<std::string> hashes;
    Result<TrialOutcome> evaluate(const TrialInput& trial) override {
        ++calls;
        {
            std::lock_guard lock(mutex);
            hashes.push_back(trial.hash);
        }
        if (fails_machine_for && trial.hash == *fails_machine_for) return Error::machine_fault("the disk is full");
        ItemSet present;
        for (const auto& line : split_lines(trial.text))
            if (!line.empty()) present.insert(line);
        TrialOutcome outcome;
        outcome.verdict = judge(present) ? Verdict::pass : Verdict::fail;
        return outcome;
    }
};

struct ParallelRun {
    Result<EngineResult> result;
    int evaluations = 0;
    std::set<std::string> evaluated; // state hashes, every slot
    std::map<std::string, int> times; // how often each state was evaluated
};

ParallelRun run_with_jobs(FakeDomain& d, const std::function<bool(const ItemSet&)>& judge, const std::string& strategy,
                          int jobs, SearchHint* hint = nullptr, std::optional<std::string> machine_fault = std::nullopt) {
    std::vector<std::unique_ptr<SlotEvaluator>> slots;
    for (int slot = 0; slot < jobs; ++slot) {
        slots.push_back(std::make_unique<SlotEvaluator>());
        slots.back()->judge = judge;
        slots.back()->fails_machine_for = machine_fault;
    }
    auto trials = TempDir::create("tinyx-engine-jobs-");
    REQUIRE(trials);
    EngineOptions options;
    options.strategy = strategy;
    options.trials_dir = trials->path();
    options.hint = hint;
    options.jobs = jobs;
    for (int slot = 1; slot < jobs; ++slot) options.slot_evaluators.push_back(slots[std::size_t(slot)].get());
    ParallelRun out{Error::internal("not run"), 0, {}, {}};
    {
        Engine engine(d, *slots.front(), options);
        out.result = engine.run(d.make_state(all_of(d)), all_of(d));
    } // the engine waits for trials started ahead
    for (const auto& slot : slots) {
        out.evaluations += slot->calls;
        out.evaluated.insert(slot->hashes.begin(), slot->hashes.end());
        for (const auto& hash : slot->hashes) ++out.times[hash];
    }
    return out;
}

} // namespace

TEST_CASE("engine: --jobs N asks the same trials, in the same order, and ends where jobs 1 ends", "[pruner][engine][jobs]") {
    auto strategy = GENERATE(std::string("sequential"), std::string("group"), std::string("hinted"));
    auto jobs = GENERATE(2, 3);
    for (int seed = 0; seed < 3; ++seed) {
        FakeDomain d = make_tree(120);
        ItemSet hidden;
        for (int i = 0; i < 6; ++i) hidden.insert(str("i", 1000 + (seed * 37 + i * 19) % 120));
        auto judge = [hidden](const ItemSet& present) { return contains_all(present, hidden); };
        std::optional<PriorRemovalHint> hint;
        if (strategy == "hinted") hint.emplace(ItemSet{"i1000", "i1010", "i1020", *hidden.begin()});
        const std::string engine_strategy = strategy == "hinted" ? "group" : strategy;
        auto one = run_with_jobs(d, judge, engine_strategy, 1, hint ? &*hint : nullptr);
        auto many = run_with_jobs(d, judge, engine_strategy, jobs, hint ? &*hint : nullptr);
        REQUIRE(one.result);
        REQUIRE(many.result);
        INFO(strategy << " jobs " << jobs << " seed " << seed);
        CHECK(many.result->final_state.hash == one.result->final_state.hash);
        REQUIRE(many.result->trials.size() == one.result->trials.size());
        for (std::size_t i = 0; i < one.result->trials.size(); ++i) {
            CHECK(many.result->trials[i].state_hash == one.result->trials[i].state_hash);
            CHECK(many.result->trials[i].verdict == one.result->trials[i].verdict);
            CHECK(many.result->trials[i].id == one.result->trials[i].id);
        }
        CHECK(many.result->test_runs == one.result->test_runs);
        CHECK(many.result->removed == one.result->removed);
        require_one_minimal(d, judge, many.result->final_state);
        // Idle slots really ran trials ahead, and the search used some of them.
        const auto& parallel = many.result->parallel;
        CHECK(parallel.jobs == jobs);
        CHECK(parallel.most_at_once >= 2);
        CHECK(parallel.started_ahead > 0);
        CHECK(parallel.used_ahead > 0);
        CHECK(parallel.used_ahead <= parallel.started_ahead);
        // Evaluations = the search's own + those started ahead that it never used.
        CHECK(many.evaluations == one.result->test_runs + parallel.started_ahead - parallel.used_ahead);
        CHECK(one.result->parallel.started_ahead == 0);
    }
}

TEST_CASE("engine: with --jobs, a machine fault stops the run only when the search reaches that trial", "[pruner][engine][jobs]") {
    FakeDomain d = make_tree(60);
    const ItemSet hidden{"i1005", "i1033"};
    auto judge = [&](const ItemSet& present) { return contains_all(present, hidden); };
    auto one = run_with_jobs(d, judge, "group", 1);
    REQUIRE(one.result);
    // A trial the search asks for: the same error as with jobs 1.
    const std::string asked = one.result->trials[3].state_hash;
    auto faulted = run_with_jobs(d, judge, "group", 2, nullptr, asked);
    REQUIRE_FALSE(faulted.result);
    CHECK(faulted.result.error().exit == Exit::machine_fault);
    // A trial started ahead on a wrong guess, which the search never asks for: no effect.
    auto clean = run_with_jobs(d, judge, "group", 2);
    REQUIRE(clean.result);
    std::set<std::string> asked_by_search;
    for (const auto& trial : one.result->trials) asked_by_search.insert(trial.state_hash);
    std::optional<std::string> wasted;
    for (const auto& hash : clean.evaluated)
        if (!asked_by_search.count(hash)) wasted = hash;
    REQUIRE(wasted);
    auto unaffected = run_with_jobs(d, judge, "group", 2, nullptr, wasted);
    REQUIRE(unaffected.result);
    CHECK(unaffected.result->final_state.hash == one.result->final_state.hash);
    CHECK(unaffected.result->trials.size() == one.result->trials.size());
    // No state is evaluated twice, the faulted one included.
    for (const auto& [hash, times] : unaffected.times) CHECK(times == 1);
    for (const auto& [hash, times] : faulted.times) CHECK(times == 1);
}
