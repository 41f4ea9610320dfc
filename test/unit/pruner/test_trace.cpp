// The trace strategy's bookkeeping: the saved coverage (coverage.json) and the report that says
// which of the trace's predictions the tests confirmed. Classification from a code map is in
// test_code_map.cpp.
#include "pruner/trace.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::pruner;

namespace {

Coverage sample_coverage() {
    Coverage coverage;
    coverage.start_hash = "abc";
    coverage.blocks = 12345;
    coverage.functions_total = 100;
    coverage.functions_executed = 40;
    coverage.objects_total = 20;
    coverage.objects_executed = 9;
    coverage.candidates = {{"EPOLL", TraceClass::ran},        {"INET", TraceClass::ran},
                           {"X86_MSR", TraceClass::not_ran},  {"HW_RANDOM", TraceClass::not_ran},
                           {"SHMEM", TraceClass::no_code},    {"NOT_A_CANDIDATE", TraceClass::not_ran}};
    coverage.evidence = {{"EPOLL", {"ep_poll (fs/eventpoll.o)"}}};
    return coverage;
}

} // namespace

TEST_CASE("trace: the report counts the run's candidates and the predictions the tests confirmed", "[pruner][trace]") {
    auto coverage = sample_coverage();
    EngineResult result;
    // The tests removed one never-ran option and one that ran; kept one of each.
    result.removed = {"X86_MSR", "INET", "SHMEM"};
    for (const char* item : {"EPOLL", "HW_RANDOM"}) {
        minimize::KeptItem kept;
        kept.item = item;
        result.kept.push_back(kept);
    }
    auto report = coverage_report(coverage, result);
    CHECK(report["options"]["candidates"] == 5); // NOT_A_CANDIDATE is not this run's
    CHECK(report["options"]["ran"] == 2);
    CHECK(report["options"]["not_ran"] == 2);
    CHECK(report["options"]["no_code"] == 1);
    const auto& p = report["predictions"];
    CHECK(p["not_ran_removed"] == 1);
    CHECK(p["not_ran_kept"] == 1);
    CHECK(p["ran_kept"] == 1);
    CHECK(p["ran_removed"] == 1);
    CHECK(p["confirmed"] == 2);
    CHECK(p["made"] == 4);
    CHECK(p["never_ran_but_needed"] == Json::array({"HW_RANDOM: never ran, but kept"}));
    CHECK_FALSE(report.contains("candidates")); // the per-option classes stay in coverage.json
    CHECK(report["blocks"] == 12345);
}

TEST_CASE("trace: coverage.json round-trips, and a broken one is bad input naming the field", "[pruner][trace]") {
    auto coverage = sample_coverage();
    coverage.boot_seconds = 7.5;
    auto again = coverage_from_json(coverage_json(coverage));
    REQUIRE(again);
    CHECK(again->candidates == coverage.candidates);
    CHECK(again->evidence == coverage.evidence);
    CHECK(again->functions_executed == 40);
    CHECK(again->boot_seconds == 7.5);

    auto json = coverage_json(coverage);
    json["candidates"]["EPOLL"]["class"] = "sometimes";
    auto bad = coverage_from_json(json);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit == Exit::bad_input);
    CHECK(bad.error().message == "coverage.json: candidates.EPOLL.class: 'sometimes' (expected ran, not-ran or no-code)");
    auto truncated = coverage_from_json(Json{{"start_hash", "abc"}});
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().message.find("coverage.json: ") == 0);
}

TEST_CASE("trace: a hint with nothing that never ran leaves everything to the adaptive phase", "[pruner][trace]") {
    Coverage coverage;
    coverage.candidates = {{"A", TraceClass::ran}, {"B", TraceClass::ran}};
    TraceHint hint(coverage);
    CHECK(hint.initial_groups({"A", "B"}).empty());
}
