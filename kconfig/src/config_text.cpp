// The .config text helpers (kconfig/config_text.hpp).
#include "kconfig/config_text.hpp"

#include "config_line.hpp"

#include "core/hash.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>

namespace tinyx::kconfig {

using namespace detail;

namespace detail {

// One line (without '\n') in conf_read_simple's rules.
ParsedLine parse_config_line(std::string_view line) {
    ParsedLine out;
    if (!line.empty() && line[0] == '#') {
        if (line.size() < 2 || line[1] != ' ') return out;
        std::string_view p = line.substr(2);
        if (!starts_with(p, "CONFIG_")) return out;
        p.remove_prefix(7);
        auto space = p.find(' ');
        if (space == std::string_view::npos) return out;
        if (p.substr(space + 1, 10) != "is not set") return out;
        out.name = std::string(p.substr(0, space));
        out.value.assign(1, 'n'); // not = "n": GCC 12 warns wrongly (-Wrestrict, PR 105329) on that inlined copy
        out.is_data = true;
        return out;
    }
    if (starts_with(line, "CONFIG_")) {
        std::string_view p = line.substr(7);
        auto eq = p.find('=');
        if (eq == std::string_view::npos) return out;
        out.name = std::string(p.substr(0, eq));
        std::string_view value = p.substr(eq + 1);
        if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
        out.value = std::string(value);
        out.is_data = true;
        return out;
    }
    if (!line.empty() && line[0] != '\r') out.unexpected = true;
    return out;
}

} // namespace detail

Values parse_config_values(std::string_view config_text) {
    Values values;
    for_each_line(config_text, [&](std::string_view line, int) {
        ParsedLine p = parse_config_line(line);
        if (p.is_data) values[p.name] = unescape_config_string(p.value);
    });
    return values;
}

std::vector<Change> diff_values(const Values& before, const Values& after) {
    std::vector<Change> out;
    auto a = before.begin(), b = after.begin();
    while (a != before.end() || b != after.end()) {
        if (b == after.end() || (a != before.end() && a->first < b->first)) {
            out.push_back({a->first, a->second, ""});
            ++a;
        } else if (a == before.end() || b->first < a->first) {
            out.push_back({b->first, "", b->second});
            ++b;
        } else {
            if (a->second != b->second) out.push_back({a->first, a->second, b->second});
            ++a;
            ++b;
        }
    }
    return out;
}

std::string config_hash(std::string_view config_text) { return sha256_hex(config_text); }

namespace {

bool is_symbol_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "CONFIG_X=..." -> X, "# CONFIG_X is not set" -> X, otherwise empty.
std::string line_symbol(std::string_view line) {
    if (starts_with(line, "CONFIG_")) {
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return {};
        return std::string(line.substr(7, eq - 7));
    }
    if (starts_with(line, "# CONFIG_") && ends_with(line, " is not set")) {
        auto rest = line.substr(9);
        return std::string(rest.substr(0, rest.size() - 11));
    }
    return {};
}

} // namespace

std::string normalise_symbol(std::string_view text) {
    auto t = trim(text);
    if (t.empty() || t.front() == '#') return {};
    if (starts_with(t, "CONFIG_")) t.remove_prefix(7);
    std::string out(t);
    if (!std::all_of(out.begin(), out.end(), is_symbol_char)) return {};
    return out;
}

std::set<std::string> enabled_symbols(std::string_view config_text) {
    std::set<std::string> enabled;
    for (const auto& [symbol, value] : parse_config_values(config_text))
        if (value == "y" || value == "m") enabled.insert(symbol);
    return enabled;
}

std::vector<std::string> symbols_in_order(std::string_view config_text) {
    std::vector<std::string> order;
    for (const auto& line : split_lines(config_text)) {
        auto symbol = line_symbol(line);
        if (!symbol.empty()) order.push_back(symbol);
    }
    return order;
}

std::string set_values(std::string_view config_text, const std::vector<std::pair<std::string, std::string>>& values) {
    std::map<std::string, std::string> wanted;
    for (const auto& [symbol, value] : values) wanted[symbol] = value;
    const auto line_for = [](const std::string& symbol, const std::string& value) {
        return value == "n" ? str("# CONFIG_", symbol, " is not set\n") : str("CONFIG_", symbol, "=", value, "\n");
    };
    std::set<std::string> pending;
    for (const auto& [symbol, value] : wanted) pending.insert(symbol);
    std::string out;
    out.reserve(config_text.size() + values.size() * 32);
    for (const auto& line : split_lines(config_text)) {
        auto symbol = line_symbol(line);
        if (!symbol.empty() && wanted.count(symbol)) {
            // The first line of the symbol takes the value; later ones go: in a composed
            // config (tinyconfig + a fragment) a later line would win.
            if (pending.erase(symbol)) out += line_for(symbol, wanted[symbol]);
        } else {
            out += line;
            out += '\n';
        }
    }
    for (const auto& [symbol, value] : values)
        if (pending.erase(symbol)) out += line_for(symbol, wanted[symbol]);
    return out;
}

std::string force_off(std::string_view config_text, const std::vector<std::string>& symbols) {
    std::vector<std::pair<std::string, std::string>> off;
    for (const auto& symbol : symbols) off.emplace_back(symbol, "n");
    return set_values(config_text, off);
}

} // namespace tinyx::kconfig
