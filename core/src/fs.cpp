#include "core/fs.hpp"

#include "core/strings.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace tinyx {
namespace {

// A path the user named that cannot be read or written is bad input; a full disk or an
// I/O error is the machine's fault.
Error io_error(int err, const std::string& what) { return Error::from_errno(err, what, Exit::bad_input); }

} // namespace

Result<std::string> read_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return io_error(err, str("cannot read ", path.string()));
    }
    std::string content;
    char buffer[65536];
    while (true) {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return io_error(err, str("cannot read ", path.string()));
        }
        if (n == 0) break;
        content.append(buffer, std::size_t(n));
    }
    ::close(fd);
    return content;
}

Result<std::string> read_file_prefix(const fs::path& path, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return io_error(err, str("cannot read ", path.string()));
    }
    std::string content(limit, '\0');
    std::size_t length = 0;
    while (length < limit) {
        auto n = ::read(fd, content.data() + length, limit - length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return io_error(err, str("cannot read ", path.string()));
        }
        if (n == 0) break;
        length += std::size_t(n);
    }
    ::close(fd);
    content.resize(length);
    return content;
}

Result<void> make_directories(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return io_error(ec.value(), str("cannot create directory ", path.string()));
    return success();
}

AtomicFile::AtomicFile(fs::path target, fs::path temp, int fd, fs::perms perms)
    : m_target(std::move(target)), m_temp(std::move(temp)), m_fd(fd), m_perms(perms) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)), m_temp(std::move(other.m_temp)), m_fd(other.m_fd),
      m_perms(other.m_perms), m_committed(other.m_committed) {
    other.m_fd = -1;
    other.m_committed = true;
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_committed && !m_temp.empty()) ::unlink(m_temp.c_str());
}

Result<AtomicFile> AtomicFile::create(const fs::path& target, fs::perms perms) {
    auto dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::string pattern = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return io_error(err, str("cannot write ", target.string()));
    }
    return AtomicFile(target, fs::path(pattern), fd, perms);
}

Result<void> AtomicFile::write(std::string_view data) {
    while (!data.empty()) {
        auto n = ::write(m_fd, data.data(), data.size());
        if (n < 0) {
            int err = errno;
            if (err == EINTR) continue;
            return io_error(err, str("cannot write ", m_target.string()));
        }
        data.remove_prefix(std::size_t(n));
    }
    return success();
}

Result<void> AtomicFile::commit() {
    if (::fchmod(m_fd, mode_t(m_perms)) != 0 || ::fsync(m_fd) != 0) {
        int err = errno;
        return io_error(err, str("cannot write ", m_target.string()));
    }
    ::close(m_fd);
    m_fd = -1;
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
        int err = errno;
        return io_error(err, str("cannot write ", m_target.string()));
    }
    m_committed = true;
    return success();
}

Result<void> write_file_atomic(const fs::path& path, std::string_view content, fs::perms perms) {
    TRY_ASSIGN(auto file, AtomicFile::create(path, perms));
    TRY(file.write(content));
    return file.commit();
}

Result<void> copy_file_atomic(const fs::path& from, const fs::path& to) {
    TRY_ASSIGN(auto content, read_file(from));
    std::error_code ec;
    auto perms = fs::status(from, ec).permissions();
    return write_file_atomic(to, content, ec ? fs::perms(0644) : perms);
}

Result<TempDir> TempDir::create(std::string_view prefix, const fs::path& parent) {
    fs::path base = parent;
    if (base.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        base = (tmp && *tmp) ? tmp : "/tmp";
    }
    std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) {
        int err = errno;
        return Error::from_errno(err, str("cannot create a temporary directory in ", base.string()));
    }
    return TempDir(fs::path(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)), m_keep(other.m_keep) {
    other.m_path.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        if (!m_path.empty() && !m_keep) {
            std::error_code ec;
            fs::remove_all(m_path, ec);
        }
        m_path = std::move(other.m_path);
        m_keep = other.m_keep;
        other.m_path.clear();
    }
    return *this;
}

TempDir::~TempDir() {
    if (!m_path.empty() && !m_keep) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
}

Result<fs::path> cache_dir() {
    if (const char* dir = std::getenv("TINYX_CACHE_DIR"); dir && *dir) return fs::path(dir);
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "tinyx";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "tinyx";
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_dir &&
        found->pw_dir[0] == '/' && std::string_view(found->pw_dir) != "/" && std::string_view(found->pw_dir) != "/nonexistent")
        return fs::path(found->pw_dir) / ".cache" / "tinyx";
    return Error::bad_input("no cache directory: TINYX_CACHE_DIR, XDG_CACHE_HOME and HOME are unset and the user has no home "
                            "directory (set TINYX_CACHE_DIR to a directory of your own)");
}

} // namespace tinyx
