// Libraries and files a program loads at run time with dlopen() or reads on
// demand, invisible in ELF headers. Every rule lives here, with the condition
// that triggers it and why; docs/packagers.md has the same table.
#pragma once

#include "core/result.hpp"
#include "library_search.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace tinyx::packagers {

struct DlopenRule {
    std::string name;    // "nss", "gconv", "libgcc_s"
    std::string trigger; // when it applies
    std::string adds;    // what it adds
    std::string why;
};

// The rules, in the order they are applied.
const std::vector<DlopenRule>& dlopen_rules();

struct DlopenAddition {
    std::string rule;                // rule name
    std::filesystem::path host_path; // a file of the resolver's root to copy (ELF files get their own closure)
    std::string guest_path;          // for generated files
    std::string content;             // generated content (host_path empty)
    std::string detail;              // "libnss_files.so.2 for 'passwd: files'"
};

// What the rules add for a closure, read from the resolver's root (its /etc, its libraries).
Result<std::vector<DlopenAddition>> apply_dlopen_rules(const ElfClosure& closure, const LibraryResolver& resolver,
                                                       const std::string& hostname);

// The guest's nsswitch.conf: the host's, keeping only services that work without a
// daemon the image does not run and whose module (or libc's built-in) exists.
std::string filter_nsswitch(const std::string& host_text, const std::vector<std::string>& available_services);

} // namespace tinyx::packagers
