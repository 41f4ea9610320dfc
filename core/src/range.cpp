#include "core/range.hpp"

#include "core/strings.hpp"

#include <cmath>
#include <sstream>

namespace tinyx {

namespace {

std::string number_text(double value) {
    std::ostringstream out;
    out.precision(15);
    out << value;
    return out.str();
}

} // namespace

std::string describe_range(const NumberRange& range) {
    return str(number_text(range.min), " to ", number_text(range.max), *range.unit ? " " : "", range.unit);
}

Result<void> check_range(std::string_view what, double value, const NumberRange& range) {
    if (std::isfinite(value) && value >= range.min && value <= range.max) return success();
    return Error::bad_input(str(what, " ", number_text(value), ": expected ", describe_range(range)));
}

} // namespace tinyx
