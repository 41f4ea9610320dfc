#include "pruner/kernel_builder.hpp"


#include <fstream>

#include "core/hash.hpp"
#include "kconfig/make.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace tinyx::pruner {

Result<BuildLock> BuildLock::acquire(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return Error::internal(str("opening the build lock ", path.string(), ": ", std::strerror(errno)));
    bool told = false;
    // Non-blocking attempts, so Ctrl-C is noticed while another build holds the lock.
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int saved = errno;
            ::close(fd);
            return Error::internal(str("flock ", path.string(), ": ", std::strerror(saved)));
        }
        if (interrupt::requested()) {
            ::close(fd);
            return Error::interrupted();
        }
        if (!told) log::info(str("waiting for another kernel build to finish (", path.string(), ")"));
        told = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return BuildLock(fd);
}

BuildLock::~BuildLock() {
    if (m_fd >= 0) ::close(m_fd); // closing releases the flock
}

// The last complete line of the build log, shortened, for the progress display.
std::string last_log_line(const fs::path& log_path) {
    std::ifstream log(log_path, std::ios::binary | std::ios::ate);
    if (!log) return "starting";
    auto size = std::streamoff(log.tellg());
    std::string tail(std::size_t(std::min<std::streamoff>(size, 400)), '\0');
    log.seekg(size - std::streamoff(tail.size()));
    log.read(tail.data(), std::streamsize(tail.size()));
    auto lines = last_lines(tail, 2);
    std::string line = lines.empty() ? "starting" : std::string(trim(lines.front()));
    return line.size() > 70 ? line.substr(0, 67) + "..." : line;
}

namespace {

std::optional<std::uintmax_t> free_space(const fs::path& dir) {
    std::error_code ec;
    auto space = fs::space(dir, ec);
    if (ec) return std::nullopt;
    return space.available;
}

} // namespace

std::optional<BuildFault> classify_build_failure(const ProcessResult& make, std::string_view log,
                                                 std::optional<std::uintmax_t> free_bytes) {
    auto has = [&](std::string_view text) { return log.find(text) != std::string_view::npos; };
    if (has("No space left on device") || has("Disk quota exceeded"))
        return BuildFault{"the disk is full (No space left on device)", false};
    // A kernel build needs far more than this: a failure with so little left is the disk's.
    if (free_bytes && *free_bytes < 64ull << 20)
        return BuildFault{str("the disk is full (", human_bytes(*free_bytes), " free in the build directory)"), false};
    if (has("Input/output error") || has("Read-only file system"))
        return BuildFault{"an I/O error (Input/output error or a read-only file system)", false};
    if (make.timed_out) return BuildFault{str("make ", make.describe(), " (hung?)"), false};
    // distcc falls back to compiling here when a worker is gone, unless told not to (DISTCC_FALLBACK=0).
    if (has("failed to distribute and fallbacks are disabled"))
        return BuildFault{"distcc could not reach a worker (and DISTCC_FALLBACK=0 forbids compiling here)", true};
    if (make.signal) return BuildFault{str("make was ", make.describe()), true};
    // gcc's own words for a killed cc1; make's for a killed recipe ("] Killed") or its shell's status 128+9.
    if (has("Killed signal terminated program") || has("internal compiler error: Killed") || has("fatal error: Killed") ||
        has("Error 137") || has("] Killed"))
        return BuildFault{"the compiler was killed (by the OOM killer or by hand)", true};
    if (has("virtual memory exhausted") || has("Cannot allocate memory") || has("out of memory"))
        return BuildFault{"the machine ran out of memory", true};
    if (has("write error: stdout")) return BuildFault{"make could not write its log (a full disk?)", false};
    return std::nullopt;
}

CompileStats parse_ccache_stats_log(std::string_view log) {
    CompileStats stats;
    for (auto line : split_lines(log)) {
        line = trim(line);
        if (starts_with(line, "#")) ++stats.calls;
        else if (line == "local_storage_hit") ++stats.local_hits;
        else if (line == "remote_storage_hit") ++stats.remote_hits;
        else if (line == "cache_miss") ++stats.misses;
        else if (line == "remote_storage_error" || line == "remote_storage_timeout") ++stats.remote_errors;
    }
    return stats;
}

namespace {

// `distcc -j`: the slots of the hosts list (the sum of each host's /LIMIT, 4 by default).
std::optional<int> distcc_slots(const std::string& hosts) {
    ProcessSpec spec;
    spec.argv = {"distcc", "-j"};
    spec.env_set = {{"DISTCC_HOSTS", hosts}};
    spec.timeout = std::chrono::seconds(10);
    auto run = run_process(spec);
    if (!run || !run->success()) return std::nullopt;
    const auto text = trim(run->out);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos || text.size() > 6) return std::nullopt;
    return std::stoi(std::string(text));
}

} // namespace

Result<KernelBuilder> KernelBuilder::create(KernelBuildOptions options) {
    if (!options.tree.arch) return Error::internal("kernel builder: the kernel tree has no architecture");
    if (auto cross = toolchain_prefix(*options.tree.arch); !cross.empty() && !find_program(str(cross, "gcc")))
        return Error::bad_input(str("building an ", options.tree.arch->name, " kernel on ", host_arch().name, " needs ", cross,
                                    "gcc (apt-get install gcc-", cross.substr(0, cross.size() - 1), ")"));
    TRY_ASSIGN(auto cache, cache_dir());
    if (options.build_dir.empty())
        options.build_dir = cache / "kernel-build" /
                            str(sha256_hex(options.tree.root.string()).substr(0, 16), "-", options.tree.arch->name);
    // Every slot stores into the first one's image store: a config built in one is built for all.
    if (options.image_store.empty())
        options.image_store = options.build_dir.parent_path() / (options.build_dir.filename().string() + "-images");
    if (options.slot > 0) options.build_dir += str("-slot", options.slot + 1);
    const auto& farm = options.scale_out;
    if (!farm.distcc_hosts.empty() && !find_program("distcc"))
        return Error::bad_input("--distcc-hosts (or DISTCC_HOSTS) needs distcc on this machine (apt-get install distcc)");
    if (options.lock_file.empty()) {
        // One build at a time on this machine's CPUs; with distcc workers doing the compiles, one
        // at a time per build dir (the trials of --jobs build side by side).
        options.lock_file = farm.distcc_hosts.empty() ? cache / "kernel-build.lock"
                                                      : fs::path(options.build_dir.string() + ".lock");
    }
    TRY(make_directories(options.lock_file.parent_path()));
    if (options.jobs <= 0) {
        options.jobs = int(std::max(1u, std::thread::hardware_concurrency()));
        if (!farm.distcc_hosts.empty()) {
            auto slots = distcc_slots(farm.distcc_hosts);
            if (!slots) return Error::bad_input(str("--distcc-hosts '", farm.distcc_hosts, "': distcc -j does not accept it"));
            options.jobs = std::max(options.jobs, *slots);
        }
    }
    if (options.ccache && !find_program("ccache")) {
        log::warn("ccache is not installed; kernel builds will not be cached");
        options.ccache = false;
    }
    if (!options.ccache && !farm.cache_url.empty())
        return Error::bad_input("--cache-url is ccache's remote storage: it needs ccache (apt-get install ccache)");
    TRY(make_directories(options.build_dir));
    KernelBuilder builder(std::move(options));
    // Reproducible, and identical across trials so unchanged objects stay cached.
    // KBUILD_BUILD_VERSION fixes the "#N" that init/version counts up build by build in a kept
    // build directory: the same config gives the same bytes however often it was built, and
    // wherever (a distcc worker only compiles; these values are the client's).
    builder.m_environment = {{"KBUILD_BUILD_TIMESTAMP", "Thu Jan  1 00:00:00 UTC 1970"},
                             {"KBUILD_BUILD_USER", "tinyx"},
                             {"KBUILD_BUILD_HOST", "tinyx"},
                             {"KBUILD_BUILD_VERSION", "1"}};
    const auto& built = builder.m_options;
    if (built.ccache) builder.m_environment["CCACHE_STATSLOG"] = (built.build_dir / "tinyx-ccache-stats.log").string();
    if (!built.scale_out.distcc_hosts.empty()) {
        builder.m_environment["DISTCC_HOSTS"] = built.scale_out.distcc_hosts;
        // Only ccache's misses travel. Not CCACHE_NOCPP2 (compile ccache's preprocessed output, one
        // preprocessing less): objtool, built with the same CC, came out different and so did the kernel.
        if (built.ccache) builder.m_environment["CCACHE_PREFIX"] = "distcc";
    }
    if (!built.scale_out.cache_url.empty()) builder.m_environment["CCACHE_REMOTE_STORAGE"] = built.scale_out.cache_url;
    ProcessSpec version;
    version.argv = {str(toolchain_prefix(*options.tree.arch), "gcc"), "--version"};
    version.timeout = std::chrono::seconds(30);
    if (auto run = run_process(version); run && run->success()) builder.m_compiler = run->out.substr(0, run->out.find('\n'));
    return builder;
}

std::string KernelBuilder::resolution_key(std::string_view config_text) const {
    return sha256_hex(str(m_options.tree.root.string(), "\n", m_options.tree.arch->name, "\n", m_compiler, "\n", config_text));
}

KernelStore KernelBuilder::image_store() const {
    const std::string suffix = m_options.image_format == harness::KernelFormat::elf ? ".vmlinux" : ".kernel";
    return KernelStore(m_options.image_store, suffix);
}

std::string KernelBuilder::image_target() const {
    return harness::kernel_file_name(*m_options.tree.arch, m_options.image_format); // make vmlinux / make bzImage
}

std::string KernelBuilder::image_path() const {
    return m_options.image_format == harness::KernelFormat::elf ? "vmlinux" : m_options.tree.arch->kernel_image_path();
}

std::vector<std::string> KernelBuilder::make_argv(const std::string& target) const {
    auto argv = kconfig::make_argv(m_options.tree, m_options.build_dir, target);
    if (target == image_target()) {
        // Before the target, as always: parallel, and ccache in front of the compiler.
        std::vector<std::string> build{str("-j", m_options.jobs)};
        // CC on make's command line: Kbuild only passes jobs to distcc that way (since 5.2).
        const std::string compiler = str(toolchain_prefix(*m_options.tree.arch), "gcc");
        if (m_options.ccache) build.push_back(str("CC=ccache ", compiler));
        else if (!m_options.scale_out.distcc_hosts.empty()) build.push_back(str("CC=distcc ", compiler));
        argv.insert(argv.end() - 1, build.begin(), build.end());
    }
    return argv;
}

Result<BuildOutcome> KernelBuilder::build(std::string_view config_text, const WhileLocked& while_locked) {
    BuildOutcome outcome;
    auto start = std::chrono::steady_clock::now();
    const fs::path config_path = m_options.build_dir / ".config";
    const KernelStore store = image_store();
    const std::string input_key = resolution_key(config_text);
    // Fills `outcome` with the stored image of outcome.kernel.config_hash; false if it vanished.
    auto take_stored = [&](const fs::path& stored) {
        std::error_code ec;
        outcome.kernel.image = stored;
        outcome.kernel.bytes = std::size_t(fs::file_size(stored, ec));
        outcome.ok = !ec;
        outcome.from_store = outcome.ok;
        outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (outcome.ok)
            log::info(str("kernel: this config (", outcome.kernel.config_hash.substr(0, 12), ") was built before; reusing ",
                          stored.string()));
        return outcome.ok;
    };
    if (m_options.reuse_stored_images && !m_compiler.empty()) {
        // Resolved and built before: no make, no lock.
        if (auto hash = store.recall_resolution(input_key)) {
            auto config = store.config(*hash);
            auto stored = store.find(*hash);
            if (config && stored && sha256_hex(*config) == *hash) {
                outcome.kernel.config = std::move(*config);
                outcome.kernel.config_hash = *hash;
                if (take_stored(*stored)) return outcome;
                outcome = BuildOutcome{};
            }
        }
    }
    // Everything that touches the build dir happens under the lock, .config included: a make
    // that is running re-reads .config (syncconfig) on its way to the kernel image, so another run
    // writing its config meanwhile makes this kernel a mixture of both configs.
    TRY_ASSIGN(auto lock, BuildLock::acquire(m_options.lock_file));
    const auto locked = std::chrono::steady_clock::now();
    outcome.lock_wait_seconds = std::chrono::duration<double>(locked - start).count();
    start = locked;
    TRY(write_file_atomic(config_path, config_text));

    // make olddefconfig is the authority on what gets built.
    ProcessSpec resolve;
    resolve.argv = make_argv("olddefconfig");
    resolve.err = Output::same_as_stdout();
    TRY_ASSIGN(auto resolved_run, run_process(resolve));
    if (resolved_run.interrupted) return Error::interrupted();
    if (!resolved_run.success()) {
        if (auto fault = classify_build_failure(resolved_run, resolved_run.out, free_space(m_options.build_dir)))
            return Error::machine_fault(str("make olddefconfig in ", m_options.build_dir.string(), ": ", fault->what));
        outcome.log_tail = last_lines(resolved_run.out, 20);
        outcome.log_tail.push_back(str("make olddefconfig ", resolved_run.describe()));
        return outcome;
    }
    TRY_ASSIGN(outcome.kernel.config, read_file(config_path));
    if (m_options.predictor) {
        if (auto predicted = m_options.predictor->resolve(config_text); predicted && *predicted != outcome.kernel.config) {
            const auto want = kconfig::parse_config_values(outcome.kernel.config);
            const auto got = kconfig::parse_config_values(*predicted);
            for (const auto& [symbol, value] : want)
                if (!got.count(symbol) || got.at(symbol) != value) outcome.prediction_mismatches.push_back(symbol);
            for (const auto& [symbol, value] : got)
                if (!want.count(symbol)) outcome.prediction_mismatches.push_back(symbol);
            log::warn(str("kconfig engine bug: its resolution differs from make olddefconfig for ",
                          join(outcome.prediction_mismatches, " ")));
        }
    }
    outcome.kernel.config_hash = sha256_hex(outcome.kernel.config);
    if (!m_compiler.empty()) store.remember_resolution(input_key, outcome.kernel.config_hash);
    if (m_options.reuse_stored_images) {
        if (auto stored = store.find(outcome.kernel.config_hash); stored && take_stored(*stored)) return outcome;
        // else: not stored, or it vanished (evicted meanwhile): build it
    }

    // A killed compiler or make gets one more try; then, and for a full disk at once, the
    // machine is at fault: an error, never a failed build that would keep an option.
    for (int attempt = 1;; ++attempt) {
        TRY_ASSIGN(auto fault, run_make(outcome, start));
        if (!fault) break;
        if (!fault->retryable || attempt == 2)
            return Error::machine_fault(str("the kernel build in ", m_options.build_dir.string(), " failed: ", fault->what))
                .with_detail(str("log: ", (m_options.build_dir / "tinyx-build.log").string()))
                .with_detail("nothing was decided from it; fix the machine and run again (--resume continues a pruning run)");
        log::warn(str("the kernel build failed: ", fault->what, "; building again"));
        outcome.retries.push_back(str("build: ", fault->what));
    }
    if (!outcome.ok) return outcome;
    if (while_locked) TRY(while_locked(outcome));
    return outcome;
}

Result<std::optional<BuildFault>> KernelBuilder::run_make(BuildOutcome& outcome, std::chrono::steady_clock::time_point start) {
    const fs::path log_path = m_options.build_dir / "tinyx-build.log";
    ProcessSpec make;
    make.argv = make_argv(image_target());
    make.env_set = m_environment;
    const auto stats_log = m_environment.find("CCACHE_STATSLOG");
    std::error_code ec;
    if (stats_log != m_environment.end()) fs::remove(stats_log->second, ec);
    make.out = Output::file(log_path);
    make.err = Output::same_as_stdout();
    make.timeout = m_options.timeout;
    TRY_ASSIGN(auto process, Process::spawn(make));
    // Minutes of silence look like a hang: show the elapsed time and what make is on.
    log::Progress progress("kernel build");
    while (!process.pump(std::chrono::seconds(1)) && !interrupt::requested()) {
        if (m_options.timeout.count() > 0 && process.seconds() > double(m_options.timeout.count())) break;
        progress.update(str(human_seconds(process.seconds()), ", ", last_log_line(log_path)));
    }
    auto run = process.wait(); // applies the timeout and Ctrl-C
    if (run.interrupted) return Error::interrupted();
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!run.success()) {
        auto log = read_file(log_path);
        const std::string log_text = log ? *log : "";
        if (auto fault = classify_build_failure(run, log_text, free_space(m_options.build_dir))) return fault;
        outcome.log_tail = last_lines(log_text, 20);
        outcome.log_tail.push_back(str("make ", image_target(), " ", run.describe(), " (log: ", log_path.string(), ")"));
        return std::optional<BuildFault>{};
    }
    if (stats_log != m_environment.end()) { // no log: make had nothing to compile
        auto log = read_file(stats_log->second);
        outcome.compiles = parse_ccache_stats_log(log ? *log : std::string());
    }
    const KernelStore store = image_store();
    outcome.kernel.image = m_options.build_dir / image_path();
    outcome.kernel.bytes = std::size_t(fs::file_size(outcome.kernel.image, ec));
    if (ec) return Error::internal(str("the build succeeded but ", outcome.kernel.image.string(), " is missing"));
    // Still under the lock: nobody else's build can overwrite the image while it is copied.
    // Callers boot or copy the stored copy after the lock is gone, when another run may
    // already be rebuilding the build dir's bzImage.
    if (auto stored = store.put(outcome.kernel.config_hash, outcome.kernel.image, outcome.kernel.config); stored)
        outcome.kernel.image = *stored;
    else
        log::warn(str("could not keep the kernel image in ", store.dir().string(), ": ", stored.error().message));
    outcome.ok = true;
    return std::optional<BuildFault>{};
}

Result<TrialOutcome> KernelTrialEvaluator::evaluate(const TrialInput& trial) {
    TRY_ASSIGN(auto build, m_builder.build(trial.text));
    TrialOutcome outcome;
    if (!build.from_store) outcome.counts["builds"] = 1; // a stored image is not a kernel build
    if (build.compiles) {
        outcome.counts["compiles"] = build.compiles->calls;
        outcome.counts["compiles_local_hits"] = build.compiles->local_hits;
        outcome.counts["compiles_remote_hits"] = build.compiles->remote_hits;
        outcome.counts["compiles_missed"] = build.compiles->misses;
        outcome.counts["compiles_remote_errors"] = build.compiles->remote_errors;
    }
    outcome.retries = build.retries;
    outcome.seconds["build"] = build.seconds;
    if (build.lock_wait_seconds >= 1) outcome.seconds["lock_wait"] = build.lock_wait_seconds;
    if (!build.ok) {
        outcome.verdict = Verdict::build_failed;
        outcome.evidence = build.log_tail;
        return outcome;
    }
    for (int run = 0; run < std::max(1, m_confirm_runs); ++run) {
        TRY_ASSIGN(auto tested, m_boot_test(build.kernel, run));
        for (const auto& [key, value] : tested.seconds) outcome.seconds[key] += value;
        outcome.verdict = tested.verdict;
        outcome.evidence = tested.evidence;
        outcome.retries.insert(outcome.retries.end(), tested.retries.begin(), tested.retries.end());
        if (tested.verdict != Verdict::pass) break; // one failure is enough to keep the options
    }
    return outcome;
}

} // namespace tinyx::pruner
