#include "core/json.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;

TEST_CASE("json: parse errors are values naming the source and position") {
    auto result = parse_json("{\"a\": 1,,}", "profile.json");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().exit == Exit::bad_input);
    CHECK(result.error().message.rfind("profile.json: invalid JSON:", 0) == 0);
    CHECK(result.error().message.find("line 1") != std::string::npos);
}

TEST_CASE("json: typed access names the field that is wrong") {
    auto doc = parse_json(R"({"kernel": {"version": 6}, "options": ["A", 2]})", "p.json");
    REQUIRE(doc.ok());
    auto version = json_string((*doc)["kernel"], "version", "p.json: kernel");
    REQUIRE_FALSE(version.ok());
    CHECK(version.error().message == "p.json: kernel.version: expected a string");
    auto options = json_string_list(*doc, "options", "p.json");
    REQUIRE_FALSE(options.ok());
    CHECK(options.error().message == "p.json.options[1]: expected a string");
    auto missing = json_bool(*doc, "prune", "p.json");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "p.json: missing field 'prune'");
}

TEST_CASE("json: dumping invalid UTF-8 does not throw, keys keep their order") {
    Json value;
    value["z"] = std::string("bad \xff byte");
    value["a"] = 1;
    auto text = dump_json(value, -1);
    CHECK(text.find("\"z\"") < text.find("\"a\""));
    CHECK(text.back() == '\n');
}
