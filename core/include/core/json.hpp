// JSON through nlohmann/json. Its exceptions stay inside these functions:
// callers get Results naming the file and the field that was wrong.
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace tinyx {

using Json = nlohmann::ordered_json; // keeps key order, so reports read in a sensible order

// `what` names the source in errors ("profile.json").
Result<Json> parse_json(std::string_view text, std::string_view what);
Result<Json> read_json_file(const fs::path& path);
// Pretty-printed (2 spaces), newline-terminated; invalid UTF-8 is replaced, never thrown.
std::string dump_json(const Json& value, int indent = 2);
Result<void> write_json_file(const fs::path& path, const Json& value);

// Typed field access with errors that name the field: "profile.json: kernel.version: expected a string".
Result<std::string> json_string(const Json& object, std::string_view key, std::string_view where);
Result<long long> json_integer(const Json& object, std::string_view key, std::string_view where);
Result<bool> json_bool(const Json& object, std::string_view key, std::string_view where);
Result<std::vector<std::string>> json_string_list(const Json& object, std::string_view key, std::string_view where);

} // namespace tinyx
