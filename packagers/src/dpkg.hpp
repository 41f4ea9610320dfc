// What dpkg knows about installed packages: metadata (one dpkg-query call for
// all of them), file lists (/var/lib/dpkg/info/<pkg>[:arch].list, falling back
// to dpkg-query -L) with dpkg-divert's diversions applied, and which of a
// package's dependencies are part of the application.
#pragma once

#include "core/arch.hpp"
#include "core/result.hpp"
#include "source_root.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::packagers {

struct PackageInfo {
    std::string name;
    std::string architecture;
    std::string source;   // source package name (the binary name when dpkg has none)
    std::string section;  // "httpd", "libs", "non-free/libs", ...
    std::string priority; // "required", "important", "optional", ...
    bool essential = false;
    bool installed = false;
    // Depends and Pre-Depends: each group holds alternatives (a | b), names only.
    std::vector<std::vector<std::string>> depends;
};

// A diversion: `from` (the path packages list) is really at `to`, unless the
// package that made the diversion is the one asking.
struct Diversion {
    std::string from, to, by; // by is empty for a local diversion
};

// The dpkg tools' arguments that make them read `root`'s database: none for the host's,
// --admindir=<root>/var/lib/dpkg for another root (dpkg-query and dpkg-divert only read files there).
std::vector<std::string> dpkg_admin_args(const SourceRoot& root);

class PackageDb {
  public:
    // Whether the root has a dpkg database.
    static bool exists_in(const SourceRoot& root);
    // Runs dpkg-query once and dpkg-divert once, on the root's database (--admindir).
    static Result<PackageDb> load(const SourceRoot& root = {}, std::string_view arch = kDefaultArch);
    // For tests: build from dpkg-query output lines and dpkg-divert --list text.
    static Result<PackageDb> from_text(const std::string& query_output, const std::string& divert_output,
                                       const std::string& native_arch, std::filesystem::path info_dir);

    // The installed package called `name` (an "name:arch" qualifier is allowed), or nothing.
    const PackageInfo* find(const std::string& name) const;

    // The package's files as they really are on disk (diversions applied), in dpkg's order, "/." removed.
    Result<std::vector<std::string>> files(const PackageInfo& package) const;

    // The package and, recursively, the installed dependencies that belong to the
    // application (see follows_dependency), for each alternative group the first installed one.
    std::vector<const PackageInfo*> application_packages(const PackageInfo& root) const;

    // Every installed package, by name.
    std::vector<const PackageInfo*> packages() const;

    // The installed packages whose file lists hold any of `paths` (as listed, diversions applied):
    // one pass over the file lists.
    std::vector<const PackageInfo*> owners(const std::set<std::string>& paths) const;

  private:
    std::map<std::string, std::vector<PackageInfo>> m_packages; // by name, one per architecture
    std::vector<Diversion> m_diversions;
    std::string m_native_arch;
    std::filesystem::path m_info_dir = "/var/lib/dpkg/info";
    std::vector<std::string> m_admin_args; // --admindir=... for another root
};

// Whether a dependency belongs to the application (its config, data and programs go
// into the image) rather than to the base system. Libraries are reached through the
// ELF closure instead; essential/required/important packages are the base system
// (libc, debconf, adduser, iproute2, init-system-helpers) a single-app VM does not run.
bool follows_dependency(const PackageInfo& package);

// Parse one Depends field value: "a (>= 1), b | c:any" -> {{a}, {b, c}}.
std::vector<std::vector<std::string>> parse_depends(const std::string& field);

} // namespace tinyx::packagers
