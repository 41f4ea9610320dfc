#include "core/strings.hpp"

#include <cstdio>

namespace tinyx {

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto end = text.find(separator, start);
        if (end == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            return parts;
        }
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.emplace_back(line);
        start = end + 1;
    }
    return lines;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += separator;
        out += parts[i];
    }
    return out;
}

std::string_view trim(std::string_view text) {
    const char* space = " \t\r\n";
    auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(space);
    return text.substr(first, last - first + 1);
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.starts_with(prefix); }
bool ends_with(std::string_view text, std::string_view suffix) { return text.ends_with(suffix); }

std::string shell_quote(std::string_view arg) {
    if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./=:,+@%") == std::string_view::npos)
        return std::string(arg);
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        out += shell_quote(arg);
    }
    return out;
}

bool shell_split(std::string_view command, std::vector<std::string>& words, std::string& error) {
    words.clear();
    std::string current;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        char c = command[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::move(current)), current.clear(), in_word = false;
        } else if (c == '\'') {
            auto end = command.find('\'', i + 1);
            if (end == std::string_view::npos) return error = "unterminated single quote", false;
            current += command.substr(i + 1, end - i - 1);
            i = end;
            in_word = true;
        } else if (c == '"') {
            ++i;
            for (; i < command.size() && command[i] != '"'; ++i) {
                if (command[i] == '\\' && i + 1 < command.size() &&
                    std::string_view("\"\\$`").find(command[i + 1]) != std::string_view::npos)
                    ++i;
                current += command[i];
            }
            if (i >= command.size()) return error = "unterminated double quote", false;
            in_word = true;
        } else if (c == '\\' && i + 1 < command.size()) {
            current += command[++i];
            in_word = true;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(current));
    return true;
}

std::string human_bytes(unsigned long long bytes) {
    char buffer[32];
    if (bytes >= 1024ull * 1024 * 1024)
        std::snprintf(buffer, sizeof buffer, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    else if (bytes >= 1024ull * 1024)
        std::snprintf(buffer, sizeof buffer, "%.2f MiB", bytes / (1024.0 * 1024));
    else if (bytes >= 1024)
        std::snprintf(buffer, sizeof buffer, "%.1f KiB", bytes / 1024.0);
    else
        std::snprintf(buffer, sizeof buffer, "%llu B", bytes);
    return buffer;
}

std::string human_seconds(double seconds) {
    char buffer[32];
    if (seconds < 1)
        std::snprintf(buffer, sizeof buffer, "%.0fms", seconds * 1000);
    else if (seconds < 60)
        std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
    else if (seconds < 3600)
        std::snprintf(buffer, sizeof buffer, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%dh%02dm", int(seconds) / 3600, int(seconds) / 60 % 60);
    return buffer;
}

std::vector<std::string> last_lines(std::string_view text, std::size_t count) {
    auto lines = split_lines(text);
    if (lines.size() > count) lines.erase(lines.begin(), lines.end() - long(count));
    return lines;
}

} // namespace tinyx
