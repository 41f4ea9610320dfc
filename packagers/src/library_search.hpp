// Finding the shared libraries an ELF file needs the way the dynamic loader
// does (ld.so(8)): DT_RPATH (only without DT_RUNPATH), DT_RUNPATH, the
// directories of /etc/ld.so.conf and its includes, the default directories,
// then the interpreter's own directory. LD_LIBRARY_PATH is ignored on purpose:
// the guest does not inherit the builder's environment.
#pragma once

#include "core/arch.hpp"

#include "core/result.hpp"
#include "elf.hpp"
#include "source_root.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tinyx::packagers {

class LibraryResolver {
  public:
    // Reads the root's /etc/ld.so.conf (a missing file just means no extra directories).
    static Result<LibraryResolver> load(const SourceRoot& root = {}, std::string_view arch = kDefaultArch);

    // The path (inside the root) of DT_NEEDED `name` as the loader would pick it for `requester`,
    // loaded (directly or through others) by `executable`. Nothing if not found.
    std::optional<std::filesystem::path> find(const std::string& name, const ElfFile& requester,
                                              const ElfFile* executable) const;

    // The ld.so.conf directories followed by the default ones, in search order.
    const std::vector<std::filesystem::path>& system_directories() const { return m_system_dirs; }
    const SourceRoot& root() const { return m_root; }
    std::string_view arch() const { return m_arch; }

  private:
    SourceRoot m_root;
    std::string_view m_arch = kDefaultArch;
    std::vector<std::filesystem::path> m_system_dirs;
};

// Parse ld.so.conf text: directory lines, "include GLOB" (relative globs resolve
// against the including file's directory), comments. Appends to `dirs`.
Result<void> parse_ld_so_conf(const SourceRoot& root, const std::filesystem::path& file,
                              std::vector<std::filesystem::path>& dirs, int depth = 0);

// Every ELF file one set of roots needs, with the reason each is there.
struct ClosureMember {
    std::filesystem::path host_path; // inside the resolver's root, as found (may be a symlink: libfoo.so.1 -> libfoo.so.1.2)
    std::string reason;
};

class ElfClosure {
  public:
    explicit ElfClosure(const LibraryResolver& resolver) : m_resolver(resolver) {}

    // Add `path` (an ELF file) and, recursively, its interpreter and libraries.
    // `reason` says why the root is in the image.
    Result<void> add_root(const std::filesystem::path& path, const std::string& reason);

    const std::vector<ClosureMember>& members() const { return m_members; }
    // What `root` (an ELF file of the root) needs to start: its interpreter and libraries,
    // recursively, as the paths members() has them. A member's reason names only the first
    // root that needed it; this is the whole set for one root (the app's program).
    Result<std::set<std::filesystem::path>> needed_by(const std::filesystem::path& root);
    // Parsed ELF headers of every member, keyed by the resolved (canonical) path inside the root.
    const std::map<std::filesystem::path, ElfFile>& parsed() const { return m_parsed; }
    // "libfoo.so.1 needed by /usr/sbin/x" for each library that could not be found.
    const std::vector<std::string>& missing() const { return m_missing; }
    bool contains_soname(const std::string& name) const;
    bool imports(std::string_view symbol) const;

  private:
    Result<const ElfFile*> parse(const std::filesystem::path& path);
    Result<void> add_dependencies(const ElfFile& elf, const ElfFile* executable, const std::string& label);

    const LibraryResolver& m_resolver;
    std::vector<ClosureMember> m_members;
    std::set<std::filesystem::path> m_seen; // as-found paths
    std::map<std::filesystem::path, ElfFile> m_parsed;
    std::set<std::string> m_sonames;
    std::vector<std::string> m_missing;
};

} // namespace tinyx::packagers
