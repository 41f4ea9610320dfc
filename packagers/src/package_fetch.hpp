// --app PKG for a Debian package that is not installed on the build host: apt
// downloads it and the packages it depends on (`apt-get download`: nothing installed,
// no maintainer script run, no service started, the host's package state untouched),
// dpkg-deb unpacks them into a private root with a dpkg database of its own (status and
// file lists), and the packagers gather from that root as from an image with dpkg.
// The root is cached by the exact set of .deb files, so a rebuild downloads nothing new.
// Like supermin's appliances, what maintainer scripts would create (system users beyond
// base-passwd's, directories made in postinst) is not there.
#pragma once

#include "core/result.hpp"
#include "source_root.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::packagers {

// Whether dpkg on the host has `name` installed for `arch` (an Architecture: all package counts
// for the host's architecture only: its dependencies are the host's).
bool installed_on_host(const std::string& name, std::string_view arch);

struct FetchedPackages {
    SourceRoot root;
    std::vector<std::string> packages; // unpacked, by name
};

// The version of package `name` in the dpkg database of `root` (the host's, or a fetched root's),
// or nothing when it is not installed there.
std::optional<std::string> installed_version(const SourceRoot& root, const std::string& name);

// Bad input when apt knows no such package for `arch` (core/arch.hpp names).
Result<FetchedPackages> fetch_package_root(const std::string& name, std::string_view arch, const std::filesystem::path& cache);

} // namespace tinyx::packagers
