#include "minimize/engine.hpp"
#include "minimize/set_domain.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::minimize;

namespace {

// Passes iff the state's items include every needed one (read back from the text, as a real evaluator does).
struct NeedsEvaluator final : TrialEvaluator {
    ItemSet needed;
    int calls = 0;
    Result<TrialOutcome> evaluate(const TrialInput& trial) override {
        ++calls;
        auto items = SetDomain::items_of(trial.text);
        ItemSet present(items.begin(), items.end());
        TrialOutcome outcome;
        outcome.verdict = Verdict::pass;
        for (const auto& item : needed)
            if (!present.count(item)) {
                outcome.verdict = Verdict::fail;
                outcome.evidence.push_back("missing " + item);
            }
        return outcome;
    }
};

} // namespace

TEST_CASE("set domain: removal is exact and the text round-trips in the original order", "[pruner][set_domain]") {
    SetDomain domain("files", {"/etc/c", "/etc/a", "/etc/b"});
    auto all = domain.make_state(domain.items());
    CHECK(all.text == "files\n/etc/c\n/etc/a\n/etc/b\n");
    auto fewer = domain.remove(all, {"/etc/a"});
    REQUIRE(fewer);
    CHECK(fewer->present == ItemSet{"/etc/b", "/etc/c"});
    CHECK(SetDomain::items_of(fewer->text) == std::vector<Item>{"/etc/c", "/etc/b"});
    CHECK(fewer->hash != all.hash);
    CHECK(domain.make_state({"/etc/b", "/etc/c"}).hash == fewer->hash); // order of the request does not matter
}

TEST_CASE("set domain: the engine keeps exactly the needed items, in far fewer runs than items", "[pruner][set_domain]") {
    std::vector<Item> items;
    for (int i = 0; i < 200; ++i) items.push_back(str("/usr/share/data/f", 100 + i));
    SetDomain domain("files", items);
    NeedsEvaluator evaluator;
    evaluator.needed = {"/usr/share/data/f117", "/usr/share/data/f250"};
    auto trials = TempDir::create("tinyx-set-domain-");
    REQUIRE(trials);
    EngineOptions options;
    options.trials_dir = trials->path();
    Engine engine(domain, evaluator, options);
    auto result = engine.run(domain.make_state(items), ItemSet(items.begin(), items.end()));
    REQUIRE(result);
    CHECK(result->final_state.present == evaluator.needed);
    CHECK(result->removed.size() == 198);
    INFO("runs " << evaluator.calls);
    CHECK(evaluator.calls <= 30);
    for (const auto& kept : result->kept) CHECK(kept.trial_id > 0);
}
