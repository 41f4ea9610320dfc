// .config text: the one reader of `CONFIG_X=...` / `# CONFIG_X is not set` lines (the kernel's
// conf_read_simple rules) and the small edits tinyx makes to such text. Every module that reads
// or edits a .config uses these; none parses one itself.
//
//   auto values = kconfig::parse_config_values(text);         // "EPOLL" -> "y", "NR_CPUS" -> "1"
//   auto off = kconfig::force_off(text, {"EPOLL"});          // "# CONFIG_EPOLL is not set"
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyx::kconfig {

// Symbol -> value as a .config spells it ("n" for "is not set"; strings unescaped).
using Values = std::map<std::string, std::string>;

// The values a .config text assigns, in the kernel's reading rules (last assignment wins).
Values parse_config_values(std::string_view config_text);

struct Change {
    std::string symbol;
    std::string before; // "" when the symbol was not in the config
    std::string after;
};
// Option-level difference between two value sets (added/removed/changed, sorted by name).
std::vector<Change> diff_values(const Values& before, const Values& after);

// sha256 of a .config text: the identity of a resolved config everywhere in tinyx.
std::string config_hash(std::string_view config_text);

// Symbols set to y or m.
std::set<std::string> enabled_symbols(std::string_view config_text);
// Symbols in the order their lines appear (the menu order of a .config).
std::vector<std::string> symbols_in_order(std::string_view config_text);
// The text with each symbol given its value ("n": `# CONFIG_X is not set`; else `CONFIG_X=value`,
// as written): its first line replaced, later ones dropped, or appended.
std::string set_values(std::string_view config_text, const std::vector<std::pair<std::string, std::string>>& values);
// The text with every symbol of `symbols` written as `# CONFIG_X is not set`: its first line
// replaced, later ones dropped (in a composed config a later `=y` would win), or appended.
std::string force_off(std::string_view config_text, const std::vector<std::string>& symbols);
// "CONFIG_FOO" or "FOO" -> "FOO"; empty when the text is a comment, blank or not a symbol name.
std::string normalise_symbol(std::string_view text);

} // namespace tinyx::kconfig
