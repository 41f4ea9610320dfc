// Building trial kernels, and judging trials by building + booting them.
//
//   KernelBuildOptions options{.tree = tree};              // build dir: cache_dir()/kernel-build/<tree>-<arch>
//   TRY_ASSIGN(auto builder, KernelBuilder::create(options));
//   TRY_ASSIGN(BuildOutcome out, builder.build(config_text));
//   if (out.ok) use(out.kernel.image);                  // else out.log_tail says why
//
// Every build: the config is written to a KEPT out-of-tree build directory (one per
// kernel tree and arch, so builds are incremental), `make olddefconfig` is run as the
// authority (differences from an in-process prediction are logged as kconfig engine
// bugs), then `make -jN <the arch's kernel image>` (bzImage on x86) with ccache and fixed KBUILD_BUILD_TIMESTAMP/USER/HOST,
// and the image is copied into the KernelStore. All of it holds the user's build lock
// (flock on cache_dir()/kernel-build.lock), except reusing a stored image of a config
// resolved before: that needs neither make nor the lock, so a profile rebuild does not
// wait for another run's pruning. Nothing is written into the source tree.
// A build that fails on its own (the config does not compile) is an outcome (a failed
// trial). A build the machine broke is an Error::machine_fault, never an outcome: a full
// disk or an I/O error at once; a killed compiler or make (the OOM killer) after one retry.
#pragma once

#include "pruner/terms.hpp"
#include "core/fs.hpp"
#include "core/process.hpp"
#include "harness/platform.hpp"
#include "kconfig/source_tree.hpp"
#include "minimize/evaluator.hpp"
#include "pruner/kconfig_domain.hpp"
#include "pruner/kernel_store.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::pruner {

// Kernel builds spread over machines through the engines built for it (docs/scale-out.md).
struct ScaleOut {
    // distcc workers in DISTCC_HOSTS syntax ("10.0.0.5/8 10.0.0.6:3632/8,lzo"): ccache sends its
    // misses there (CCACHE_PREFIX=distcc) and `make -j` takes the hosts' slots. Empty: compile here.
    std::string distcc_hosts;
    // ccache remote storage shared by runners (CCACHE_REMOTE_STORAGE: "redis://host:6379",
    // "http://host/cache", "file:/mnt/ccache"). Empty: the local ccache only.
    std::string cache_url;
};

// What the compiles of one build got from ccache (its stats log): served from this machine's
// cache, from the remote storage, or compiled (here or on a distcc worker).
struct CompileStats {
    int calls = 0;       // compiler calls ccache saw (probes and .incbin files included)
    int cacheable() const { return local_hits + remote_hits + misses; } // ccache's "cacheable calls"
    int local_hits = 0;
    int remote_hits = 0;
    int misses = 0;
    int remote_errors = 0; // remote storage unreachable or timed out (the compile went on)
};
// Counts a ccache stats log (CCACHE_STATSLOG: "# file" then one counter name a line).
CompileStats parse_ccache_stats_log(std::string_view log);

struct KernelBuildOptions {
    kconfig::SourceTree tree; // located and checked once (kconfig::locate_source_tree)
    fs::path build_dir;          // default: cache_dir()/kernel-build/<sha of tree path>-<arch>
    fs::path image_store;        // the KernelStore's directory; default: <build_dir>-images
    // What the platform boots: the arch's image (bzImage) or the ELF vmlinux (harness/platform.hpp).
    harness::KernelFormat image_format = harness::KernelFormat::boot_image;
    bool ccache = true;
    int jobs = 0;                // make -j; 0: the number of CPUs, or the distcc hosts' slots if more
    ScaleOut scale_out;
    // A second build dir for parallel trials (--jobs): slot k > 0 builds in <build_dir>-slot<k+1>,
    // storing into the same image store.
    int slot = 0;
    std::chrono::seconds timeout{3 * 3600};
    fs::path lock_file; // default: cache_dir()/kernel-build.lock (per user, not a predictable /tmp path)
    ConfigResolver* predictor = nullptr; // optional: the in-process engine, checked against make
    // Every successful build is copied into a KernelStore next to the build dir (<build_dir>-images).
    // With this set, a config whose image is stored is not built again: the stored image is
    // returned and the build dir's objects stay those of its last real build (so not for callers
    // that read them, like the coverage map).
    bool reuse_stored_images = false;
};

struct BuiltKernel {
    fs::path image;         // in the build dir or the image store: copy it before the next build
    std::string config;     // the .config it was built from (after make olddefconfig)
    std::string config_hash;
    std::size_t bytes = 0;
};

struct BuildOutcome {
    bool ok = false;
    BuiltKernel kernel;
    double seconds = 0;                // resolving and building, after the lock was taken
    double lock_wait_seconds = 0;      // waiting for another run's build: not this build's cost
    bool from_store = false;           // reused a stored image, nothing was built
    std::vector<std::string> log_tail; // the build log's last lines (why it failed)
    std::vector<std::string> prediction_mismatches; // symbols where make and the predictor disagree
    std::vector<std::string> retries;  // why a build was run again (a killed compiler), in order
    std::optional<CompileStats> compiles; // ccache's stats of this build's make (none: ccache off, or no make)
};

// Why a failed make is the machine's fault and not the config's, from its result and log.
struct BuildFault {
    std::string what;       // "the disk is full (No space left on device)", "the compiler was killed ..."
    bool retryable = false; // a killed process may have been the OOM killer's one-off; a full disk is not
};
std::optional<BuildFault> classify_build_failure(const ProcessResult& make, std::string_view log,
                                                 std::optional<std::uintmax_t> free_bytes);

class KernelBuilder {
  public:
    static Result<KernelBuilder> create(KernelBuildOptions options);
    // Runs after a successful build (not a stored image), still holding the build lock: for
    // callers that read the build dir's objects before another run can rebuild them.
    using WhileLocked = std::function<Result<void>(const BuildOutcome&)>;
    Result<BuildOutcome> build(std::string_view config_text, const WhileLocked& while_locked = {});
    const fs::path& build_dir() const { return m_options.build_dir; }
    KernelStore image_store() const;
    // The make command line for a target (for logs and tests).
    std::vector<std::string> make_argv(const std::string& target) const;
    // The make target of the image and where the build leaves it (relative to the build dir):
    // "bzImage", "vmlinux", "Image.gz" (arch/arm64/boot/Image.gz).
    std::string image_target() const;
    std::string image_path() const;

  private:
    explicit KernelBuilder(KernelBuildOptions options) : m_options(std::move(options)) {}
    // One `make <kernel image>`: ok, a failed build (log_tail), or a fault for the caller to retry or raise.
    Result<std::optional<BuildFault>> run_make(BuildOutcome& outcome, std::chrono::steady_clock::time_point start);
    // What an input config resolves to depends on the tree, the arch and the compiler
    // (Kconfig asks it for CC_VERSION_TEXT and features): the key of KernelStore's
    // remembered resolutions.
    std::string resolution_key(std::string_view config_text) const;
    KernelBuildOptions m_options;
    std::string m_compiler; // `gcc --version`'s first line
    std::map<std::string, std::string> m_environment; // make's: reproducible builds, ccache, distcc
};

// Holds flock(2) on a path until destroyed; waits (interruptibly) while others hold it.
class BuildLock {
  public:
    static Result<BuildLock> acquire(const fs::path& path);
    BuildLock(BuildLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    BuildLock& operator=(BuildLock&&) = delete;
    ~BuildLock();

  private:
    explicit BuildLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

// The real evaluator: build the trial's config, then boot and test it with
// `boot_test` (the harness). A pass counts only if `confirm_runs` runs in a row
// pass, so a flaky pass never removes a needed option.
class KernelTrialEvaluator final : public TrialEvaluator {
  public:
    using BootTest = std::function<Result<TrialOutcome>(const BuiltKernel& kernel, int run)>;
    KernelTrialEvaluator(KernelBuilder& builder, BootTest boot_test, int confirm_runs = 2)
        : m_builder(builder), m_boot_test(std::move(boot_test)), m_confirm_runs(confirm_runs) {}
    Result<TrialOutcome> evaluate(const TrialInput& trial) override;

  private:
    KernelBuilder& m_builder;
    BootTest m_boot_test;
    int m_confirm_runs;
};

} // namespace tinyx::pruner
