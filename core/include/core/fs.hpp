// File-system helpers: every artifact tinyx writes goes through a temporary
// file and a rename, so a reader (or a run after a crash) sees the old file or
// the new one, never half of one.
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace tinyx {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path);
// At most the first `limit` bytes of a file (headers, magic numbers).
Result<std::string> read_file_prefix(const fs::path& path, std::size_t limit);
// Write `content` to `path` atomically (temp file in the same directory, fsync, rename).
Result<void> write_file_atomic(const fs::path& path, std::string_view content, fs::perms perms = fs::perms(0644));
// Create a directory and its parents; an error names the directory.
Result<void> make_directories(const fs::path& path);
// Copy a file atomically (through write_file_atomic semantics).
Result<void> copy_file_atomic(const fs::path& from, const fs::path& to);

// A file being written: data goes to a temporary sibling until commit() renames
// it into place. Destroyed without commit, it leaves the target untouched.
class AtomicFile {
  public:
    static Result<AtomicFile> create(const fs::path& target, fs::perms perms = fs::perms(0644));
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();

    Result<void> write(std::string_view data);
    Result<void> commit();
    const fs::path& temp_path() const { return m_temp; }
    int fd() const { return m_fd; }

  private:
    AtomicFile(fs::path target, fs::path temp, int fd, fs::perms perms);
    fs::path m_target;
    fs::path m_temp;
    int m_fd = -1;
    fs::perms m_perms;
    bool m_committed = false;
};

// A temporary directory removed with everything in it when the object dies
// (on success, error and Ctrl-C alike), unless keep() was called.
class TempDir {
  public:
    // Created under `parent` (default: $TMPDIR or /tmp), named "<prefix>XXXXXX".
    static Result<TempDir> create(std::string_view prefix, const fs::path& parent = {});
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    ~TempDir();

    const fs::path& path() const { return m_path; }
    void keep() { m_keep = true; }

  private:
    explicit TempDir(fs::path path) : m_path(std::move(path)) {}
    fs::path m_path;
    bool m_keep = false;
};

// Where tinyx keeps caches (extracted kernel trees, build dirs, the build lock, probe results):
// $TINYX_CACHE_DIR, else $XDG_CACHE_HOME/tinyx, else $HOME/.cache/tinyx, else the user's home
// directory from the password database. Never a directory shared between users: without any
// of these it is an error (set TINYX_CACHE_DIR).
Result<fs::path> cache_dir();

} // namespace tinyx
