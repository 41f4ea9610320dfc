// The flags that spread a build or a pruning over more machines and slots, declared once for
// `build` and `prune` (docs/scale-out.md). Each engine keeps its own conventions: the distcc
// host list is distcc's syntax and defaults to DISTCC_HOSTS; the cache URL is ccache's.
#pragma once

#include "pruner/kernel_builder.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace tinyx::cli {

struct ScaleOutFlags {
    int jobs = 1;
    std::string distcc_hosts, cache_url, image_store;
    void apply_to(pruner::KernelBuildOptions& build) const;
};

// --jobs, --distcc-hosts (env DISTCC_HOSTS), --cache-url, --image-store (env TINYX_IMAGE_STORE).
void add_scale_out_flags(CLI::App* cmd, ScaleOutFlags& flags);

} // namespace tinyx::cli
