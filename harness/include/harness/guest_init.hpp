// The guest side of the boot-test protocol, as the packagers see it: the init
// binary every image boots (harness/guest/init.c, static, embedded in tinyx at
// build time) and the configuration file it reads (TINYX_INIT_CONFIG_PATH).
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx::harness {

struct GuestDirectory {
    std::string path;   // absolute guest path, created with parents
    unsigned mode = 0755;
    unsigned uid = 0;
    unsigned gid = 0;
};

// What /init does for the app, written to TINYX_INIT_CONFIG_PATH in the image.
struct InitConfig {
    std::vector<std::string> run;         // the app's argv (already split; no shell needed)
    std::vector<std::string> environment; // "KEY=VALUE" for the app
    std::vector<GuestDirectory> directories;
    std::string hostname = "tinyx";
    std::string workdir;      // the app's working directory ("" = /)
    bool run_as_user = false; // the app (not the guest test) drops to uid/gid
    unsigned uid = 0, gid = 0;
};

// The init.conf text: one "key value" per line ("run ARG", "env K=V", "dir PATH MODE UID GID",
// "hostname NAME", "workdir PATH", "user UID GID"). Arguments may hold spaces; they may not hold newlines (rejected by callers).
std::string render_init_config(const InitConfig& config);

// One NAME=VALUE of the app's environment (--env, profiles, images): NAME letters, digits
// and '_' not starting with a digit, the value on one line. `where` names the source in errors.
Result<void> check_environment_entry(const std::string& entry, std::string_view where);

// The bytes of the static init executable for `arch` (core/arch.hpp's name) to install as /init
// (and /sbin/tinyx-init on disks). Bad input when tinyx was built without that architecture's compiler.
Result<std::string_view> guest_init_binary(std::string_view arch);

} // namespace tinyx::harness
