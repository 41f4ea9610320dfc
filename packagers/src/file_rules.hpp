// Which files of a package go into the image, decided by path alone (no
// per-application code): configuration, data, state and programs stay;
// documentation, man pages, locales, integration with software the image does
// not run (init systems, log rotation, shells' completion, editors, bug
// reporters) and build-time files go. ELF files are recognised by content later.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tinyx::packagers {

enum class FileRole { dropped, config, data, state, program };

const char* file_role_name(FileRole role);

// The role of a path from a package's file list.
FileRole classify_package_path(const std::string& path);

// Directories under /var and /run a configuration file names (log, pid, state,
// cache and spool locations): "/var/log/redis/redis-server.log" gives its parent,
// "/var/lib/redis" itself. `is_directory_on_host` decides ambiguous names.
std::vector<std::string> state_directories_in_config(const std::string& text,
                                                     const std::function<bool(const std::string&)>& is_directory_on_host);

// Whether the text looks like a configuration file worth scanning (no NUL bytes).
bool looks_like_text(const std::string& bytes);

} // namespace tinyx::packagers

namespace tinyx::packagers {
// /var, /var/lib, /var/log, /run, ...: shared roots of the system, never an app's own directory.
bool is_shared_state_root(const std::string& dir);
} // namespace tinyx::packagers
