#include "guest_tree.hpp"

#include "core/strings.hpp"

#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

namespace tinyx::packagers {

namespace fs = std::filesystem;

const char* entry_kind_name(EntryKind kind) {
    switch (kind) {
    case EntryKind::file: return "file";
    case EntryKind::directory: return "directory";
    case EntryKind::symlink: return "symlink";
    case EntryKind::char_device: return "char-device";
    }
    return "file";
}

Result<std::string> GuestTree::guest_path_for(const fs::path& path) {
    fs::path absolute = path.lexically_normal();
    if (!absolute.is_absolute()) absolute = fs::absolute(absolute).lexically_normal();
    if (absolute == "/") return std::string("/");
    fs::path current = "/";
    for (const auto& component : absolute.parent_path().relative_path()) {
        fs::path next = current / component;
        std::error_code ec;
        if (fs::is_symlink(m_root.real(next), ec)) {
            fs::path target = fs::read_symlink(m_root.real(next), ec);
            auto resolved = m_root.canonical(next);
            if (!resolved) return Error::bad_input(str(next.string(), m_root.where(), ": cannot resolve directory symlink: ", resolved.error().message));
            if (!m_entries.count(next.string())) {
                TreeEntry link;
                link.kind = EntryKind::symlink;
                link.path = next.string();
                link.source = m_root.real(next).string();
                link.link_target = target.string();
                link.mode = 0777;
                link.reason = "directory symlink of the app's root (merged /usr layout)";
                m_entries[link.path] = std::move(link);
            }
            current = *resolved;
        } else {
            current = next;
        }
    }
    return (current / absolute.filename()).string();
}

Result<void> GuestTree::add_host(const fs::path& path, const std::string& reason, bool keep_owner) {
    TRY_ASSIGN(std::string guest, guest_path_for(path));
    return add_host_at(m_root, path, guest, reason, keep_owner, 0);
}

namespace {

// The entry for a host file as lstat() saw it; nothing for kinds an image does not carry.
Result<std::optional<TreeEntry>> entry_from_host(const fs::path& host, const std::string& guest, const struct stat& st,
                                                 const std::string& reason, std::optional<FileOwner> owner) {
    TreeEntry entry;
    entry.path = guest;
    entry.source = host.string();
    entry.mode = st.st_mode & 07777;
    entry.mtime = st.st_mtime;
    entry.reason = reason;
    if (owner) {
        entry.uid = owner->uid;
        entry.gid = owner->gid;
    }
    if (S_ISREG(st.st_mode)) {
        entry.kind = EntryKind::file;
        entry.size = std::uint64_t(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
        entry.kind = EntryKind::directory;
    } else if (S_ISLNK(st.st_mode)) {
        entry.kind = EntryKind::symlink;
        std::error_code ec;
        entry.link_target = fs::read_symlink(host, ec).string();
        if (ec) return Error::bad_input(str(host.string(), ": ", ec.message()));
        entry.mode = 0777;
    } else if (S_ISCHR(st.st_mode)) {
        entry.kind = EntryKind::char_device;
        entry.device_major = major(st.st_rdev);
        entry.device_minor = minor(st.st_rdev);
    } else {
        return std::optional<TreeEntry>();
    }
    return std::optional<TreeEntry>(std::move(entry));
}

// The owner an entry keeps: the root's record of it, else the file's on disk.
std::optional<FileOwner> kept_owner(const SourceRoot& from, const fs::path& path, const struct stat& st, bool keep_owner) {
    if (!keep_owner) return std::nullopt;
    if (auto recorded = from.owner(path.string())) return recorded;
    return FileOwner{st.st_uid, st.st_gid};
}

bool same_root(const SourceRoot& a, const SourceRoot& b) { return a.dir() == b.dir(); }

} // namespace

Result<void> GuestTree::add_host_at(const SourceRoot& from, const fs::path& named, const std::string& guest, const std::string& reason,
                                    bool keep_owner, int depth) {
    // Read where the root's own directory links lead (an image's absolute link must not reach the host).
    const fs::path path = from.locate(named);
    const fs::path host = from.real(path);
    if (depth > 16) return Error::bad_input(str(host.string(), ": too many levels of symbolic links"));
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) return Error::bad_input(str(host.string(), ": ", std::strerror(errno)));
    if (auto it = m_entries.find(guest); it != m_entries.end()) {
        // A directory created as a parent earlier gets the host's metadata now.
        if (it->second.kind == EntryKind::directory && S_ISDIR(st.st_mode) && it->second.source.empty() &&
            it->second.content.empty() && it->second.reason == "parent directory") {
            it->second.mode = st.st_mode & 07777;
            it->second.source = host.string();
            it->second.reason = reason;
            if (auto owner = kept_owner(from, path, st, keep_owner)) {
                it->second.uid = owner->uid;
                it->second.gid = owner->gid;
            }
        }
        return success();
    }
    TRY_ASSIGN(auto made, entry_from_host(host, guest, st, reason, kept_owner(from, path, st, keep_owner)));
    if (!made) return success(); // sockets, fifos, block devices: nothing an image should carry
    TreeEntry entry = std::move(*made);
    const bool is_link = entry.kind == EntryKind::symlink;
    const std::string link_target = entry.link_target;
    m_entries[guest] = std::move(entry);
    // A link from another root than the app's (a host --include into an image's tree)
    // is kept as it is: its target means something else in the guest.
    if (is_link && same_root(from, m_root)) {
        // Bring the target along, resolved in the root the way the guest will resolve it.
        fs::path target = link_target;
        if (target.is_relative()) target = path.parent_path() / target;
        target = target.lexically_normal();
        std::error_code ec;
        if (fs::symlink_status(from.real(target), ec).type() == fs::file_type::not_found) return success(); // dangling there too
        if (fs::is_directory(from.real(target), ec) && !fs::is_symlink(from.real(target), ec)) return success(); // a directory link: its own entries decide
        TRY_ASSIGN(std::string target_guest, guest_path_for(target));
        return add_host_at(from, target, target_guest, str("target of symlink ", guest), keep_owner, depth + 1);
    }
    return success();
}

Result<void> GuestTree::add_host_tree(const SourceRoot& from, const fs::path& path, const std::string& guest, const std::string& reason,
                                      bool keep_owner) {
    const fs::path host = from.real(path);
    std::error_code ec;
    const bool is_dir = fs::is_directory(host, ec) && !fs::is_symlink(host, ec);
    if (!is_dir) {
        // An explicit file replaces what was gathered there: `--include my.conf:/etc/app/app.conf`
        // is how a user swaps a package's configuration.
        if (auto it = m_entries.find(guest); it != m_entries.end() && it->second.kind != EntryKind::directory)
            m_entries.erase(it);
        return add_host_at(from, path, guest, reason, keep_owner, 0);
    }
    TRY(add_host_at(from, path, guest, reason, keep_owner, 0));
    std::vector<fs::path> children;
    for (fs::recursive_directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec)) children.push_back(it->path());
    if (ec) return Error::bad_input(str(host.string(), ": ", ec.message()));
    std::sort(children.begin(), children.end());
    for (const auto& child : children) {
        const fs::path relative = child.lexically_relative(host);
        std::string child_guest = (fs::path(guest) / relative).lexically_normal().string();
        struct stat st {};
        if (::lstat(child.c_str(), &st) != 0) continue;
        auto made = entry_from_host(child, child_guest, st, reason, kept_owner(from, path / relative, st, keep_owner));
        // Inside a tree only files, directories and symlinks are taken (no device nodes).
        if (!made || !*made || (*made)->kind == EntryKind::char_device) continue;
        m_entries[child_guest] = std::move(**made); // an explicit tree replaces what was there
    }
    return success();
}

void GuestTree::add_file(const std::string& guest, std::string content, unsigned mode, const std::string& reason) {
    TreeEntry entry;
    entry.path = guest;
    entry.size = content.size();
    entry.content = std::move(content);
    entry.mode = mode;
    entry.reason = reason;
    m_entries[guest] = std::move(entry);
}

void GuestTree::add_directory(const std::string& guest, unsigned mode, unsigned uid, unsigned gid, const std::string& reason) {
    auto& entry = m_entries[guest];
    if (entry.path.empty() || entry.kind != EntryKind::directory) {
        entry = TreeEntry{};
        entry.path = guest;
        entry.kind = EntryKind::directory;
        entry.reason = reason;
    }
    entry.mode = mode;
    entry.uid = uid;
    entry.gid = gid;
}

void GuestTree::add_symlink(const std::string& guest, const std::string& target, const std::string& reason) {
    TreeEntry entry;
    entry.path = guest;
    entry.kind = EntryKind::symlink;
    entry.link_target = target;
    entry.mode = 0777;
    entry.reason = reason;
    m_entries[guest] = std::move(entry);
}

void GuestTree::add_char_device(const std::string& guest, unsigned major_number, unsigned minor_number, unsigned mode,
                                const std::string& reason) {
    TreeEntry entry;
    entry.path = guest;
    entry.kind = EntryKind::char_device;
    entry.device_major = major_number;
    entry.device_minor = minor_number;
    entry.mode = mode;
    entry.reason = reason;
    m_entries[guest] = std::move(entry);
}

const TreeEntry* GuestTree::find(const std::string& guest) const {
    auto it = m_entries.find(guest);
    return it == m_entries.end() ? nullptr : &it->second;
}

std::size_t GuestTree::exclude(const std::vector<std::string>& globs) {
    if (globs.empty()) return 0;
    auto matches = [&](const std::string& path) {
        for (const auto& glob : globs)
            if (::fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
        return false;
    };
    std::size_t removed = 0;
    // A directory whose files were excluded (not the directory itself) stays, empty: an app may
    // check that it exists (PostgreSQL opens its lib directory at start, whatever is in it).
    std::set<std::string> emptied;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const fs::path path = it->first;
        bool by_ancestor = false;
        for (fs::path p = path.parent_path(); !by_ancestor && p != p.root_path() && !p.empty(); p = p.parent_path())
            by_ancestor = matches(p.string());
        if (by_ancestor || matches(path.string())) {
            if (!by_ancestor && path.parent_path() != path.root_path()) emptied.insert(path.parent_path().string());
            it = m_entries.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    for (const auto& dir : emptied)
        if (!m_entries.count(dir)) add_directory(dir, 0755, 0, 0, "parent directory (its excluded files are not in the image)");
    return removed;
}

void GuestTree::add_missing_parents() {
    std::vector<std::string> missing;
    for (const auto& [path, entry] : m_entries)
        for (fs::path p = fs::path(path).parent_path(); p != p.root_path() && !p.empty(); p = p.parent_path())
            if (!m_entries.count(p.string())) missing.push_back(p.string());
    for (const auto& dir : missing)
        if (!m_entries.count(dir)) add_directory(dir, 0755, 0, 0, "parent directory");
}

std::uint64_t GuestTree::content_bytes() const {
    std::uint64_t total = 0;
    for (const auto& [path, entry] : m_entries) total += entry.size;
    return total;
}

} // namespace tinyx::packagers
