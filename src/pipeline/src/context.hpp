// What the `tinyx build` passes share: the request, what was made of it (profiles, app, test,
// the kernel tree and its Kconfig, loaded once), and each pass's typed result. Passes read and
// fill the context in the order of pipeline.cpp's list; ship.cpp renders it into the outputs.
#pragma once

#include "boot_option_pruning.hpp"
#include "file_pruning.hpp"
#include "optimize.hpp"

#include "core/json.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "harness/boot.hpp"
#include "kconfig/kconfig.hpp"
#include "kconfig/source_tree.hpp"
#include "packagers/rootfs.hpp"
#include "pipeline/pipeline.hpp"
#include "profiles/profile.hpp"
#include "pruner/kernel_builder.hpp"
#include "pruner/prune.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::pipeline {

// The start config's options: the baselet, then the profile's options or the candidate pool.
struct WantedOptions {
    profiles::Profile baselet;
    std::vector<profiles::OptionSetting> candidates;
    std::vector<profiles::OptionSetting> all; // baselet + candidates + what the profile's pruning removed (as n)
};

// tinyconfig with the wanted options appended, resolved as olddefconfig would.
struct StartConfig {
    std::string text;                 // resolved
    std::string inputs;               // what was resolved: tinyconfig + the requested options
    std::vector<std::string> missing; // requested symbols this kernel does not have
    // Pool candidates this architecture's Kconfig does not have (IA32_EMULATION on arm64): not
    // candidates, reported (report.json kernel.pool_absent) rather than an error.
    std::vector<std::string> pool_absent;
    std::vector<std::string> unmet;   // requested values the resolver did not keep ("EPOLL=y resolved to n")
};

// The kernel pass's result: what pruning kept, and why.
struct KernelPruning {
    Json pruning;                                // report.json's "pruning"
    Json trials;                                 // report.json's "trials"
    std::map<std::string, std::string> evidence; // symbol -> why pruning kept it
};

struct FilePruning {
    FilePruneResult result;
    std::uintmax_t bytes_before = 0, bytes_after = 0;
};

// Whether the image fits the guest's memory while the kernel unpacks it, and what the boots got.
struct MemoryFit {
    int requested_mb = 0;       // the test's memory
    int needed_mb = 0;          // the gathered image's estimate (initramfs_memory_mb)
    int trial_needed_mb = 0;    // the same image uncompressed, as file trials boot it
    int gathering_mb = 0;       // what the boots before file pruning got
    std::optional<int> final_needed_mb; // the pruned image's
    int verified_mb = 0;        // what the verifying boots got
};

// The compressions of this build: fixed (a flag, or the profile's record) or measured by the
// optimize pass (optimize.hpp), and that pass's table.
struct CompressionPlan {
    std::string goal = "balanced";
    const CompressionKind* initramfs = nullptr; // fixed; nullptr: measured
    const CompressionKind* kernel = nullptr;    // fixed; nullptr: measured, or kept (below)
    std::string initramfs_from, kernel_from;    // "--compression", "the profile", "measured", ...
    // The kernel's compression is not this build's to choose: the architecture has no choice
    // (arm64's Image.gz), the platform boots an uncompressed vmlinux, or an older profile keeps
    // its kernel as it was built (tinyconfig's xz, every decompressor).
    bool kernel_kept = false;
    // A profile made before the choice was recorded: its kernel and image as they were built
    // (tinyconfig's xz kernel with every decompressor, the profile's initramfs compression).
    bool legacy = false;
    bool measured() const { return !initramfs || (!kernel && !kernel_kept); }
    std::vector<CompressionCandidate> table; // the optimize pass's candidates, initramfs then kernel
    std::string why;                         // the decision in one sentence
    double seconds = 0;
};

// The guest memory an initramfs needs to unpack: the kernel keeps the archive while it unpacks
// the files into page-cache pages (whole pages, an inode and dentry each), and a tmpfs root (the
// kernel's choice with CONFIG_TMPFS) may hold only half of the memory that is not reserved when
// it is mounted, the archive included ("Initramfs unpacking failed: write error" otherwise).
// What the app itself needs beyond that is for the test to find out.
int initramfs_memory_mb(std::uint64_t archive_bytes, const Json& manifest);

struct BuildContext {
    explicit BuildContext(const BuildRequest& r) : request(r), started(std::chrono::steady_clock::now()) {}

    const BuildRequest& request;
    std::chrono::steady_clock::time_point started;
    Json seconds = Json::object(); // pass name -> seconds it took

    // Inputs (inputs.cpp), resolved once before any pass.
    std::optional<profiles::Profile> profile;      // --profile
    std::optional<profiles::Profile> hint_profile; // --hint-profile
    profiles::AppSpec app;
    profiles::TestSpec test;
    WantedOptions wanted;
    const harness::Platform* platform = nullptr; // the machine the image is for
    const Arch* arch = nullptr;                  // the guest's: --arch, else the profile's, else x86_64
    kconfig::SourceTree tree;
    std::unique_ptr<kconfig::Kconfig> kconfig;
    packagers::RootfsRequest rootfs;

    // Pass results, in pass order.
    packagers::RootfsResult image;          // gather (and again after file pruning)
    StartConfig start;                      // config
    harness::BootRequest boot;              // config: the boot every kernel of this build gets
    std::optional<KernelPruning> kernel_pruning; // prune
    std::string final_config;               // prune (or the start config)
    pruner::BuiltKernel kernel;             // build
    pruner::BuildOutcome kernel_build;      // build: from the store or made, its seconds and compiles
    std::optional<FilePruning> file_pruning; // prune_files
    std::optional<BootOptionPruneResult> boot_option_pruning; // prune_boot_options
    harness::BootReport verified;           // verify
    MemoryFit memory;                       // gather, prune_files, verify
    CompressionPlan compression;            // inputs (what is fixed), optimize (what was measured)
};

// Seconds from `start` to now (the passes' and the optimize pass's times in report.json).
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One pass: its name (the key of its seconds in report.json), whether this build runs it, and
// what it does.
struct Pass {
    const char* name;
    bool (*runs)(const BuildContext&);
    Result<void> (*run)(BuildContext&);
};

// The passes of a build, in order (pipeline.cpp).
const std::vector<Pass>& build_passes();

// A pass's progress callback: the line appears at its first status, so the
// pass's input errors, reported before that, come first on stderr.
std::function<void(const std::string&)> progress_line(std::optional<log::Progress>& progress, std::string title);

// inputs.cpp: profiles, app, test, wanted options, the kernel tree and its Kconfig.
Result<void> resolve_inputs(BuildContext& context);
Result<WantedOptions> wanted_options(const BuildRequest& request, const std::optional<profiles::Profile>& profile,
                                     const std::string& default_baselet);
// The kernel file of this build in the output directory ("bzImage", or "vmlinux" for Firecracker).
std::string kernel_file_name(const BuildContext& context);

// kernel_passes.cpp
// How this build's kernels are built (its tree, platform, image store and scale-out); with
// `reuse_stored` a config built before comes from the image store.
pruner::KernelBuildOptions kernel_build_options(const BuildContext& context, bool reuse_stored = false);
Result<void> compose_start_config(BuildContext& context);
Result<void> prune_kernel(BuildContext& context);
Result<void> build_kernel(BuildContext& context);
// The options of `requested` enabled in a resolved config, with their values from it.
std::vector<profiles::OptionSetting> enabled_options(const std::vector<profiles::OptionSetting>& requested,
                                                     const std::string& resolved, const std::string& why_prefix);

// image_passes.cpp
Result<void> gather(BuildContext& context);
Result<void> prune_files(BuildContext& context);
Result<void> prune_command_line(BuildContext& context);
Result<void> verify(BuildContext& context);

// optimize.cpp: the compressions, by measured boots, and the final kernel built with them.
Result<void> optimize_compression(BuildContext& context);
// The .config values of the plan's fixed compressions (empty when the kernel is kept as built).
std::vector<std::pair<std::string, std::string>> fixed_compression_settings(const BuildContext& context);

// ship.cpp: the outputs, rendered once from the context.
Json render_report(const BuildContext& context);
// report.json's kernel.build: how the final kernel was had (from the image store, or made) and
// what its compiles got from ccache (local, remote storage) or compiled (here or on distcc workers).
Json kernel_build_report(const BuildContext& context);
std::string render_summary(const Json& report, const std::vector<profiles::OptionSetting>& kept);
// The candidates the final config keeps, each with why (pruning evidence, the profile, the pool).
std::vector<profiles::OptionSetting> kept_options(const BuildContext& context);
Result<BuildResult> ship(BuildContext& context);
// Firecracker's --config-file for the image (written by ship on the firecracker platform).
Json firecracker_config(const BuildContext& context);

} // namespace tinyx::pipeline
