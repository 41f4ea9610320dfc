// What the reader of Kconfig files shares between its stages (shell cache, macro language,
// lexer, parser): the kernel lexer's word characters, reading a file, and the syntax error the
// stages throw (caught once, in parse_tree, and turned into an Error naming file and line).
#pragma once

#include "core/fs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace tinyx::kconfig::detail {

// The kernel lexer's word characters, [A-Za-z0-9_-] (ASCII whatever the locale).
inline constexpr bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The whole file, read with one read() sized by fstat (a tree has ~1500 Kconfig files); a file
// without a size (a pipe) is read until EOF.
inline std::optional<std::string> read_whole_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    std::string content(sized ? std::size_t(st.st_size) : 4096, '\0');
    std::size_t used = 0;
    bool ok = true;
    while (!sized || used < content.size()) {
        if (used == content.size()) content.resize(content.size() * 2);
        ssize_t n = ::read(fd, content.data() + used, content.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        used += std::size_t(n);
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    content.resize(used);
    return content;
}

struct SyntaxError {
    std::string file;
    int line;
    std::string message;
};

} // namespace tinyx::kconfig::detail
