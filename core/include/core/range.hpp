// The accepted range of a number the user gives (a flag, a profile field), defined once
// where the number is used and checked the same way everywhere: finite, in range, named.
//
//   inline constexpr NumberRange kTimeoutSeconds{1, 604800, "seconds"};
//   TRY(check_range("--timeout", request.timeout_seconds, kTimeoutSeconds));
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace tinyx {

struct NumberRange {
    double min = 0;
    double max = 0;
    const char* unit = "";
};

// "--timeout inf: expected 1 to 604800 (seconds)" for NaN, infinities and values out of range.
Result<void> check_range(std::string_view what, double value, const NumberRange& range);

// The range in words, for help texts: "1 to 604800 seconds".
std::string describe_range(const NumberRange& range);

} // namespace tinyx
