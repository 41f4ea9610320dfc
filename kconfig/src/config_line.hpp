// One .config line in conf_read_simple's rules, for the engine's reader and the public helpers
// of config_text.hpp: the one place a .config line is parsed.
#pragma once

#include "core/strings.hpp"

#include <string>
#include <string_view>

namespace tinyx::kconfig::detail {

struct ParsedLine {
    std::string name, value;
    bool is_data = false;
    bool unexpected = false;
};

// One line (without '\n') in conf_read_simple's rules.
ParsedLine parse_config_line(std::string_view line);

template <class F>
inline void for_each_line(std::string_view text, F&& f) {
    std::size_t pos = 0;
    int lineno = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        f(text.substr(pos, eol - pos), ++lineno);
        pos = eol + 1;
    }
}

inline std::string unescape_config_string(const std::string& raw) {
    if (raw.empty() || raw[0] != '"') return raw;
    std::string out;
    for (std::size_t i = 1; i < raw.size(); i++) {
        char c = raw[i];
        if (c == '"') break;
        if (c == '\\' && i + 1 < raw.size()) c = raw[++i];
        out += c;
    }
    return out;
}

} // namespace tinyx::kconfig::detail
