#include "core/json.hpp"

#include "core/strings.hpp"

namespace tinyx {
namespace {

Result<const Json*> field(const Json& object, std::string_view key, std::string_view where) {
    if (!object.is_object()) return Error::bad_input(str(where, ": expected an object"));
    auto it = object.find(std::string(key));
    if (it == object.end()) return Error::bad_input(str(where, ": missing field '", key, "'"));
    return &*it;
}

} // namespace

Result<Json> parse_json(std::string_view text, std::string_view what) {
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string message = e.what();
        if (auto pos = message.find("] "); pos != std::string::npos) message = message.substr(pos + 2);
        return Error::bad_input(str(what, ": invalid JSON: ", message));
    }
}

Result<Json> read_json_file(const fs::path& path) {
    TRY_ASSIGN(auto text, read_file(path));
    return parse_json(text, path.string());
}

std::string dump_json(const Json& value, int indent) {
    return value.dump(indent, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<void> write_json_file(const fs::path& path, const Json& value) {
    return write_file_atomic(path, dump_json(value));
}

Result<std::string> json_string(const Json& object, std::string_view key, std::string_view where) {
    TRY_ASSIGN(auto value, field(object, key, where));
    if (!value->is_string()) return Error::bad_input(str(where, ".", key, ": expected a string"));
    return value->get<std::string>();
}

Result<long long> json_integer(const Json& object, std::string_view key, std::string_view where) {
    TRY_ASSIGN(auto value, field(object, key, where));
    if (!value->is_number_integer()) return Error::bad_input(str(where, ".", key, ": expected an integer"));
    return value->get<long long>();
}

Result<bool> json_bool(const Json& object, std::string_view key, std::string_view where) {
    TRY_ASSIGN(auto value, field(object, key, where));
    if (!value->is_boolean()) return Error::bad_input(str(where, ".", key, ": expected true or false"));
    return value->get<bool>();
}

Result<std::vector<std::string>> json_string_list(const Json& object, std::string_view key, std::string_view where) {
    TRY_ASSIGN(auto value, field(object, key, where));
    if (!value->is_array()) return Error::bad_input(str(where, ".", key, ": expected a list of strings"));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto& item = (*value)[i];
        if (!item.is_string()) return Error::bad_input(str(where, ".", key, "[", i, "]: expected a string"));
        out.push_back(item.get<std::string>());
    }
    return out;
}

} // namespace tinyx
