#include "scale_out_flags.hpp"

namespace tinyx::cli {

void ScaleOutFlags::apply_to(pruner::KernelBuildOptions& build) const {
    build.scale_out.distcc_hosts = distcc_hosts;
    build.scale_out.cache_url = cache_url;
    if (!image_store.empty()) build.image_store = image_store;
}

void add_scale_out_flags(CLI::App* cmd, ScaleOutFlags& flags) {
    cmd->add_option("--jobs", flags.jobs,
                    "Trials evaluated at once, each with its own build dir and QEMU (default 1). The search stays "
                    "sequential, so the result is that of --jobs 1; idle slots run the trials it asks for next. "
                    "Builds share this machine's CPUs unless --distcc-hosts spreads them")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--distcc-hosts", flags.distcc_hosts,
                    "Compile kernels on distcc workers, in distcc's host syntax (\"10.0.0.5/8 10.0.0.6:3632/8,lzo\"; "
                    "default $DISTCC_HOSTS). ccache stays in front: only its misses travel; make -j takes the hosts' slots")
        ->envname("DISTCC_HOSTS");
    cmd->add_option("--cache-url", flags.cache_url,
                    "ccache remote storage shared by runners (\"redis://cache:6379\", \"http://cache/ccache\", "
                    "\"file:/mnt/ccache\"); report.json says how many compiles it served");
    cmd->add_option("--image-store", flags.image_store,
                    "Where built kernels are kept by config hash (default $TINYX_IMAGE_STORE, else next to the kept "
                    "build directory); a config found there needs no build. A directory on shared storage lets "
                    "runners reuse each other's kernels")
        ->envname("TINYX_IMAGE_STORE");
}

} // namespace tinyx::cli
