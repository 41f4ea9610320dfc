#include "core/result.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;

namespace {

Result<int> parse_positive(int x) {
    if (x <= 0) return Error::bad_input("not positive");
    return x;
}

Result<int> twice(int x) {
    TRY_ASSIGN(int value, parse_positive(x));
    return value * 2;
}

Result<void> check(int x) {
    TRY(parse_positive(x));
    return success();
}

} // namespace

TEST_CASE("result: TRY and TRY_ASSIGN propagate errors and values") {
    CHECK(*twice(4) == 8);
    auto failed = twice(-1);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().exit == Exit::bad_input);
    CHECK(check(1).ok());
    CHECK_FALSE(check(0).ok());
}

TEST_CASE("result: context prefixes the message") {
    auto error = Error::bad_input("missing field 'x'").context("profile.json");
    CHECK(error.message == "profile.json: missing field 'x'");
    CHECK(int(Error::timeout("t").exit) == 4);
    CHECK(int(Error::boot_failed("b").exit) == 3);
}
