// The prune journal: one fsync'ed line per judged trial; --resume takes verdicts from it,
// refuses a journal of other inputs, and survives a torn last line.
#include "minimize/journal.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::minimize;

namespace {

JournalEntry entry(int id, std::string hash, Verdict verdict) {
    JournalEntry e;
    e.id = id;
    e.state_hash = std::move(hash);
    e.disabled = {"A", "B"};
    e.outcome.verdict = verdict;
    e.outcome.evidence = {"the host test exited with status 7"};
    e.outcome.seconds = {{"build", 12.5}, {"boot", 3.0}};
    e.outcome.counts = {{"builds", 1}};
    return e;
}

} // namespace

TEST_CASE("journal: what one run appends, a resumed run finds by state hash", "[minimize][journal]") {
    auto dir = TempDir::create("tinyx-journal-");
    REQUIRE(dir);
    const auto path = dir->path() / "journal.jsonl";
    const Json header{{"strategy", "group"}, {"start_hash", "s1"}};
    {
        auto journal = Journal::open(path, header, false);
        REQUIRE(journal);
        REQUIRE(journal->append(entry(1, "h1", Verdict::pass)));
        auto retried = entry(2, "h2", Verdict::fail);
        retried.outcome.retries = {"boot: timed out after 40.0s waiting for the kernel to start /init"};
        REQUIRE(journal->append(retried));
    }
    auto resumed = Journal::open(path, header, true);
    REQUIRE(resumed);
    CHECK(resumed->size() == 2);
    const JournalEntry* first = resumed->find("h1");
    REQUIRE(first);
    CHECK(first->id == 1);
    CHECK(first->outcome.verdict == Verdict::pass);
    CHECK(first->outcome.counts.at("builds") == 1);
    CHECK(first->outcome.seconds.at("build") == 12.5);
    CHECK(first->disabled == std::vector<std::string>{"A", "B"});
    const JournalEntry* second = resumed->find("h2");
    REQUIRE(second);
    CHECK(second->outcome.verdict == Verdict::fail);
    CHECK(second->outcome.evidence == std::vector<std::string>{"the host test exited with status 7"});
    CHECK(second->outcome.retries == std::vector<std::string>{"boot: timed out after 40.0s waiting for the kernel to start /init"});
    CHECK_FALSE(resumed->find("h3"));
}

TEST_CASE("journal: a torn last line is dropped, other inputs are refused, a fresh run starts over", "[minimize][journal]") {
    auto dir = TempDir::create("tinyx-journal-");
    REQUIRE(dir);
    const auto path = dir->path() / "journal.jsonl";
    const Json header{{"strategy", "group"}};
    {
        auto journal = Journal::open(path, header, false);
        REQUIRE(journal);
        REQUIRE(journal->append(entry(1, "h1", Verdict::pass)));
    }
    // kill -9 in the middle of writing the second line.
    auto text = read_file(path);
    REQUIRE(text);
    REQUIRE(write_file_atomic(path, *text + R"({"id":2,"config_hash":"h2","disa)"));
    {
        auto resumed = Journal::open(path, header, true);
        REQUIRE(resumed);
        CHECK(resumed->size() == 1);
        CHECK_FALSE(resumed->find("h2"));
        REQUIRE(resumed->append(entry(2, "h2", Verdict::timeout))); // starts on a fresh line
    }
    auto again = Journal::open(path, header, true);
    REQUIRE(again);
    CHECK(again->size() == 2);
    REQUIRE(again->find("h2"));
    CHECK(again->find("h2")->outcome.verdict == Verdict::timeout);

    auto other = Journal::open(path, Json{{"strategy", "sequential"}}, true);
    REQUIRE_FALSE(other);
    CHECK(other.error().exit == Exit::bad_input);
    CHECK(other.error().message.find("was written for different inputs") != std::string::npos);

    auto fresh = Journal::open(path, Json{{"strategy", "sequential"}}, false);
    REQUIRE(fresh);
    CHECK(fresh->size() == 0);
    CHECK_FALSE(fresh->find("h1"));
}

TEST_CASE("journal: a journal written before counts still says which trials built a kernel", "[minimize][journal]") {
    auto dir = TempDir::create("tinyx-journal-");
    REQUIRE(dir);
    const auto path = dir->path() / "journal.jsonl";
    REQUIRE(write_file_atomic(path, "{\"strategy\":\"group\"}\n"
                                    "{\"id\":1,\"config_hash\":\"h1\",\"disabled\":[],\"verdict\":\"pass\",\"built\":true,"
                                    "\"seconds\":{},\"evidence\":[]}\n"));
    auto journal = Journal::open(path, Json{{"strategy", "group"}}, true);
    REQUIRE(journal);
    REQUIRE(journal->find("h1"));
    CHECK(journal->find("h1")->outcome.counts.at("builds") == 1);
}
