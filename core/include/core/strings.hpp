// Small string helpers used across modules (g++ 12 has no <format>).
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx {

// Concatenate anything streamable: str("trial ", 3, " of ", 10).
template <class... Args>
std::string str(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}

std::vector<std::string> split(std::string_view text, char separator);
std::vector<std::string> split_lines(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
// Quote one argument for /bin/sh, for logging command lines users can paste.
std::string shell_quote(std::string_view arg);
std::string shell_join(const std::vector<std::string>& argv);
// Split a command line the way /bin/sh splits words (quotes and backslashes, no expansion).
// Fails on an unterminated quote.
bool shell_split(std::string_view command, std::vector<std::string>& words, std::string& error);
// "1.5 MiB", "812 KiB", "97 B".
std::string human_bytes(unsigned long long bytes);
// "2m05s", "3.4s", "120ms".
std::string human_seconds(double seconds);
// The last `count` lines of text, for quoting logs in errors.
std::vector<std::string> last_lines(std::string_view text, std::size_t count);

} // namespace tinyx
