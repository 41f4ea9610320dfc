// The flags that place an app from a container image and set its environment and user,
// declared once for `rootfs` and `build` so both say the same thing.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace tinyx::cli {

struct AppFlags {
    std::string image;
    std::vector<std::string> env;
    std::string user, workdir;

    bool any() const { return !image.empty() || !env.empty() || !user.empty() || !workdir.empty(); }
};

// Adds --image, --env, --user and --workdir.
void add_app_flags(CLI::App* cmd, AppFlags& flags);

} // namespace tinyx::cli
