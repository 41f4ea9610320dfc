#include "source_root.hpp"

#include "core/strings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tinyx::packagers {

namespace fs = std::filesystem;

SourceRoot::SourceRoot(const fs::path& dir, std::map<std::string, FileOwner> owners)
    : m_owners(std::make_shared<const std::map<std::string, FileOwner>>(std::move(owners))) {
    fs::path normal = dir.lexically_normal();
    if (normal != "/") m_dir = normal;
}

fs::path SourceRoot::real(const fs::path& inside) const {
    if (is_host()) return inside;
    return m_dir / inside.lexically_normal().relative_path();
}

Result<fs::path> SourceRoot::canonical(const fs::path& inside) const {
    if (is_host()) {
        std::error_code ec;
        fs::path resolved = fs::canonical(inside, ec);
        if (ec) return Error::bad_input(str(inside.string(), ": ", ec.message()));
        return resolved;
    }
    // Components still to walk, last first; a symlink pushes its target's components.
    std::vector<fs::path> pending;
    const fs::path start = (inside.is_absolute() ? inside : fs::path("/") / inside).relative_path();
    for (const auto& part : start) pending.insert(pending.begin(), part);
    fs::path current = "/";
    int links = 0;
    while (!pending.empty()) {
        fs::path part = pending.back();
        pending.pop_back();
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            current = current.parent_path();
            continue;
        }
        fs::path next = current / part;
        struct stat st {};
        if (::lstat(real(next).c_str(), &st) != 0)
            return Error::bad_input(str(next.string(), where(), ": ", std::strerror(errno)));
        if (!S_ISLNK(st.st_mode)) {
            current = next;
            continue;
        }
        if (++links > 40) return Error::bad_input(str(inside.string(), where(), ": too many levels of symbolic links"));
        std::error_code ec;
        fs::path target = fs::read_symlink(real(next), ec);
        if (ec) return Error::bad_input(str(next.string(), where(), ": ", ec.message()));
        if (target.is_absolute()) current = "/";
        const fs::path relative = target.relative_path(); // one object: begin and end must come from the same path
        std::vector<fs::path> parts(relative.begin(), relative.end());
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(*it);
    }
    return current;
}

bool SourceRoot::is_regular_file(const fs::path& inside) const {
    auto resolved = canonical(inside);
    std::error_code ec;
    return resolved && fs::is_regular_file(real(*resolved), ec);
}

bool SourceRoot::is_directory(const fs::path& inside) const {
    auto resolved = canonical(inside);
    std::error_code ec;
    return resolved && fs::is_directory(real(*resolved), ec);
}

fs::path SourceRoot::locate(const fs::path& inside) const {
    const fs::path normal = inside.lexically_normal();
    if (is_host() || normal.parent_path() == normal) return normal;
    auto parent = canonical(normal.parent_path());
    return parent ? *parent / normal.filename() : normal;
}

std::optional<FileOwner> SourceRoot::owner(const std::string& inside) const {
    if (!m_owners) return std::nullopt;
    auto it = m_owners->find(inside);
    if (it == m_owners->end()) return std::nullopt;
    return it->second;
}

std::string SourceRoot::where() const { return is_host() ? "" : str(" in ", m_dir.string()); }

} // namespace tinyx::packagers
