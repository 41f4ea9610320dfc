// The `tinyx build` pipeline: gather → start config → (prune) → final kernel build →
// package → verify → ship. Each pass is a call into one module; this file only
// sequences them, times them and writes the outputs (docs/ARCHITECTURE.md).
//
//   BuildRequest request;
//   request.app = profiles::AppSpec{.app = "nginx-light", .run = "nginx -g 'daemon off;'"};
//   request.test.host_test = "curl -fs http://$TINYX_HOST:$TINYX_PORT_80/";
//   request.test.forward = {80};
//   request.out_dir = "out/nginx";
//   TRY_ASSIGN(auto result, run_build(request));   // out/nginx/{bzImage,initramfs.cpio.xz,config,...}
//
// Outputs in out_dir: bzImage, the image (initramfs.cpio.* or disk.*), manifest.json,
// config (the final resolved .config), profile.json (reusable with --profile),
// report.json (the contract's fields; written last, and only once the run finished),
// summary.md. A stale report.json is removed first, so a failed or interrupted run
// never leaves one claiming success.
#pragma once

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "harness/accel.hpp"
#include "profiles/profile.hpp"
#include "pruner/kernel_builder.hpp"

#include <optional>
#include <string>

namespace tinyx::pipeline {

struct BuildRequest {
    std::optional<fs::path> profile;    // an app profile to rebuild from (its options, app and test)
    std::optional<profiles::AppSpec> app; // overrides the profile's app (reuse its options for another app)
    std::optional<profiles::TestSpec> test; // overrides the profile's test
    std::string format = "initramfs";   // or raw|qcow2 (a disk image next to the initramfs)
    bool prune = false;
    // What --prune prunes, in this order: the kernel config (kernel builds: minutes
    // a trial), the image's files (repack + boot) and the kernel command line with
    // the boot-time savers (boots): seconds a trial.
    bool prune_kernel = true;
    bool prune_files = true;
    bool prune_boot_options = true;
    std::string strategy = "group";
    std::string file_search = "traced"; // how the files are searched (file_searches())
    bool resume = false; // continue the pruning journal in out_dir/prune
    // An earlier pruning's app profile: kernel pruning tries what it did not keep
    // first, as one group (pruner/prior_hint.hpp). Not compatible with `profile`,
    // whose options are the candidates.
    std::optional<fs::path> hint_profile;
    std::optional<fs::path> kernel_src;
    std::optional<fs::path> image_store; // default: next to the kept build directory
    pruner::ScaleOut scale_out;          // distcc workers and ccache's remote storage for kernel builds
    int jobs = 1;                        // pruning trials at once (the result is that of 1)
    std::string arch; // the guest's architecture (core/arch.hpp); empty: the profile's, else x86_64
    // The machine the image is for (harness/platform.hpp): its baselet, the kernel format, the
    // boots of trials and verification. Empty: the profile's, else qemu-pc.
    std::string platform;
    std::optional<fs::path> baselet;    // default: the platform's shipped baselet (profiles/baselets/<platform>-<arch>.json)
    std::optional<fs::path> pool;       // default: the shipped server pool
    harness::AccelChoice accel = harness::AccelChoice::automatic;
    int verify_boots = 3;
    // How the compressions are decided (optimize_goals()): unset, "balanced" for a new build and
    // the profile's record for a --profile rebuild (which then measures nothing).
    std::optional<std::string> optimize;
    std::optional<std::string> compression;        // --compression: the initramfs's, fixed
    std::optional<std::string> kernel_compression; // --kernel-compression: the kernel image's, fixed
    // Only build the kernel of the start config (no app, no image, no verification):
    // out_dir gets bzImage and config. For fixtures and for kernels to reuse elsewhere.
    bool kernel_only = false;
    fs::path out_dir;
};

struct BuildResult {
    bool passed = false;
    fs::path out_dir;
    Json report;
    std::string summary_markdown;
};

Result<BuildResult> run_build(const BuildRequest& request);

// The values of --optimize ("balanced", "size", "boot") with what each does.
const std::vector<std::pair<std::string, std::string>>& optimize_goals();

// The values of --file-search ("traced", "full", "untraced") with what each does.
const std::vector<std::pair<std::string, std::string>>& file_searches();

} // namespace tinyx::pipeline
