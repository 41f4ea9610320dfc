// Where an app's files are read from: the host's `/`, or a private root (an unpacked
// container image, Debian packages unpacked without installing them). Inside the
// packagers a path is the root's own absolute path, which is also its path in the
// guest; only file accesses go through real(). Symlinks resolve inside the root the
// way they would after chroot: an image's absolute link (/lib64/ld-linux-x86-64.so.2
// -> /lib/...) and ".." never lead out of it to the host.
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace tinyx::packagers {

struct FileOwner {
    unsigned uid = 0, gid = 0;
};

class SourceRoot {
  public:
    SourceRoot() = default; // the host's /
    // `owners`: uid/gid of paths whose files on disk carry another owner (an image
    // unpacked without root privileges keeps its owners there).
    explicit SourceRoot(const std::filesystem::path& dir, std::map<std::string, FileOwner> owners = {});

    bool is_host() const { return m_dir.empty(); }
    // The host directory ("/" for the host).
    std::filesystem::path dir() const { return is_host() ? std::filesystem::path("/") : m_dir; }
    // The host path of a path inside the root (no symlink resolved).
    std::filesystem::path real(const std::filesystem::path& inside) const;
    // The path inside the root with every symlink resolved inside it; an error if it does not exist.
    Result<std::filesystem::path> canonical(const std::filesystem::path& inside) const;
    // The path with its directories resolved inside the root and its last component kept
    // (what lstat() should look at); the path itself when a directory is missing.
    std::filesystem::path locate(const std::filesystem::path& inside) const;
    // Whether the path exists, is a regular file, is a directory (symlinks followed inside the root).
    bool exists(const std::filesystem::path& inside) const { return bool(canonical(inside)); }
    bool is_regular_file(const std::filesystem::path& inside) const;
    bool is_directory(const std::filesystem::path& inside) const;
    // The owner a path has in the root, when it differs from the file's owner on disk.
    std::optional<FileOwner> owner(const std::string& inside) const;
    // "" for the host, " in ROOT" otherwise: for messages.
    std::string where() const;

  private:
    std::filesystem::path m_dir; // empty: the host
    std::shared_ptr<const std::map<std::string, FileOwner>> m_owners;
};

} // namespace tinyx::packagers
