// The image's contents before any writer sees them: guest path -> entry, kept
// sorted so every writer emits the same order for the same inputs. Host files
// keep their path in the guest, with the host's directory symlinks (merged /usr:
// /lib -> usr/lib, /bin -> usr/bin) recorded as symlinks and everything stored
// under the canonical directory, so /lib64/ld-linux-x86-64.so.2 resolves in the
// guest exactly as it does on the host.
#pragma once

#include "core/result.hpp"
#include "source_root.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tinyx::packagers {

enum class EntryKind { file, directory, symlink, char_device };

struct TreeEntry {
    EntryKind kind = EntryKind::file;
    std::string path;        // absolute guest path
    std::string source;      // host path it is read from; empty for generated entries
    std::string content;     // generated file contents (when source is empty)
    std::string link_target; // symlinks
    unsigned mode = 0644;    // permission bits (incl. setuid/setgid/sticky)
    unsigned uid = 0, gid = 0;
    std::int64_t mtime = 0;  // host mtime; writers clamp it to SOURCE_DATE_EPOCH
    std::uint64_t size = 0;  // bytes of a regular file
    unsigned device_major = 0, device_minor = 0;
    std::string reason;      // why it is in the image (manifest.json)
};

const char* entry_kind_name(EntryKind kind);

class GuestTree {
  public:
    // Paths given to add_host() and guest_path_for() are paths inside `app_root`.
    explicit GuestTree(SourceRoot app_root = {}) : m_root(std::move(app_root)) {}

    // The guest path for a path of the app's root: directory symlinks along the way are
    // resolved (and recorded as symlink entries); the last component is kept as is.
    Result<std::string> guest_path_for(const std::filesystem::path& path);

    // Add one file, symlink or directory of the app's root (not its contents) at its own
    // path. A symlink brings its target along. keep_owner keeps the file's uid/gid (files
    // the app owns), otherwise root owns it. Existing entries are kept (first reason wins).
    Result<void> add_host(const std::filesystem::path& path, const std::string& reason, bool keep_owner = false);
    // Add a file or a whole directory tree of `from` at `guest` (--include from the host,
    // directory apps, config trees).
    Result<void> add_host_tree(const SourceRoot& from, const std::filesystem::path& path, const std::string& guest,
                               const std::string& reason, bool keep_owner = false);

    void add_file(const std::string& guest, std::string content, unsigned mode, const std::string& reason);
    // Creates the directory, or updates mode/owner of an existing one (the app's writable dirs).
    void add_directory(const std::string& guest, unsigned mode, unsigned uid, unsigned gid, const std::string& reason);
    void add_symlink(const std::string& guest, const std::string& target, const std::string& reason);
    void add_char_device(const std::string& guest, unsigned major, unsigned minor, unsigned mode, const std::string& reason);

    bool contains(const std::string& guest) const { return m_entries.count(guest) > 0; }
    const TreeEntry* find(const std::string& guest) const;
    // Remove entries matching a glob (fnmatch, '*' also crosses '/'), or below a matching directory.
    std::size_t exclude(const std::vector<std::string>& globs);
    // Every entry's parent directories exist (0755, root).
    void add_missing_parents();

    const std::map<std::string, TreeEntry>& entries() const { return m_entries; }
    std::uint64_t content_bytes() const;

  private:
    Result<void> add_host_at(const SourceRoot& from, const std::filesystem::path& path, const std::string& guest,
                             const std::string& reason, bool keep_owner, int depth);
    SourceRoot m_root;
    std::map<std::string, TreeEntry> m_entries;
};

} // namespace tinyx::packagers
