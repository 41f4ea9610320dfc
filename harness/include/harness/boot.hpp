// Boot an image under QEMU and judge it against the user's test: the library behind
// `tinyx boot`, also called by the pruner (one boot per trial) and `tinyx build`.
//
//   harness::BootRequest request;
//   request.target.kernel = "out/bzImage";
//   request.target.initrd = "out/initramfs.cpio.gz";        // or request.target.disk
//   request.test.guest_test = "wget -qO- http://127.0.0.1:8080/ | grep -q hello";
//   request.test.wait_ports = {8080};                       // the app counts as started once these accept
//   TRY_ASSIGN(auto report, harness::boot(request));
//   if (report.verdict != harness::Verdict::pass)    // report.reason, report.boots.back().console_tail
//
// What goes where:
// - A Result error means the request or the host is wrong (no such kernel file, QEMU missing,
//   a guest test too long for the kernel command line) or Ctrl-C (Error::interrupted()).
// - Everything the guest does is a *verdict* in the BootReport with its evidence: pass, the test
//   failed, the guest failed to boot (panic, no init, the app exited), or it timed out.
//   exit_code_for() maps verdicts to the CLI's exit codes (0/1/3/4).
// Every boot gets a fresh nonce (harness/protocol.h): console text without it is never a marker.
// When boot() returns, QEMU and every child it started are gone and temporary files removed.
#pragma once

#include "harness/accel.hpp"
#include "harness/platform.hpp"
#include "harness/qemu_args.hpp"

#include "core/arch.hpp"
#include "core/json.hpp"
#include "core/range.hpp"
#include "core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::harness {

enum class Verdict { pass, test_failed, boot_failed, timeout };
// "pass", "fail", "boot-failed", "timeout" (the report.json vocabulary).
const char* verdict_name(Verdict verdict);
Exit exit_code_for(Verdict verdict);

// The accepted ranges of a boot's numbers: one definition for the CLI's flags, profiles and validate().
inline constexpr NumberRange kMemoryRangeMb{16, 1024 * 1024, "MB"};
inline constexpr NumberRange kTimeoutRangeSeconds{1, 7 * 86400, "seconds"};
inline constexpr NumberRange kPortWaitRangeSeconds{1, 86400, "seconds"};
inline constexpr NumberRange kPortRange{1, 65535, "(a TCP port)"};
inline constexpr NumberRange kRepeatRange{1, 1000, "boots"};


// What boots: a kernel, its image and the virtual machine around them.
struct BootTarget {
    std::filesystem::path kernel;
    std::optional<std::filesystem::path> initrd; // an initramfs; with a disk, a loader that mounts it
    std::optional<std::filesystem::path> disk;
    int memory_mb = 256;
    AccelChoice accel = AccelChoice::automatic;
    std::string arch = std::string(kDefaultArch);         // the guest's architecture (core/arch.hpp)
    std::string platform = std::string(kDefaultPlatform); // the machine it runs on (harness/platform.hpp)
    std::filesystem::path qemu;                    // default: the architecture's QEMU (qemu-system-x86_64)
    std::string append; // extra kernel arguments
    // QEMU user networking with restrict=on unless true: the guest reaches nothing outside
    // (forwarded ports still reach the guest). For apps that need outbound network.
    bool outbound_network = false;
    std::vector<std::string> qemu_extra_args; // appended to QEMU's argv (the pruner's coverage boot logs TCG blocks)
};

// What judges the boot: the user's test and the time it gets.
struct BootTest {
    std::string guest_test;       // a /bin/sh script run in the guest after the app started
    std::string host_test;        // /bin/sh -c on the host, with TINYX_HOST and TINYX_PORT_<guestport>
    std::vector<int> forwards;    // guest TCP ports forwarded to free ports on 127.0.0.1 (and waited for)
    std::vector<int> wait_ports;  // guest ports waited for without forwarding
    double timeout_seconds = 300; // per boot: QEMU start to the end of the test
    double silence_seconds = 60;  // no console output for this long before /init reports = timeout
    int port_wait_seconds = 60;   // how long the guest init waits for the app's ports
    std::vector<std::string> env; // NAME=VALUE for the app and the guest test, over the image's own
    // Record which entries of the root file system the app and the test touch (read, mapped,
    // executed, listed) from the app's start to the end of the test: BootRun::file_trace.
    bool trace_files = false;
};

struct BootRequest {
    BootTarget target;
    BootTest test;
    int repeat = 1;               // pass only if all pass; stops at the first failure
    bool find_min_memory = false; // after a pass: bisect for the smallest memory that still passes
    int min_memory_floor_mb = 16;
    int min_memory_precision_mb = 4;
    // A first guess for the bisection (an estimate of what the image needs): a pass there, or a
    // failure there and a pass at twice it, narrows the range in a boot or two.
    std::optional<int> min_memory_hint_mb;
    std::optional<std::filesystem::path> log_dir; // keep console logs here (else removed at the end)
};

// Seconds since QEMU started, on the host's clock; negative = did not happen.
struct BootTimings {
    double first_output = -1;
    double init = -1;
    double app_started = -1;
    double test_start = -1;
    double test_done = -1;
    double total = 0;
};

// The guest's uptime (ms) in its markers; -1 = not reported.
struct GuestUptimes {
    long long init = -1;
    long long app_started = -1;
    long long test_start = -1;
    long long test_exit = -1;
    // The boot's phases (protocol.h TINYX_EVENT_BOOT_TIMES): the kernel's log in microseconds,
    // the init's own start and the app's launch in milliseconds.
    long long run_init_us = -1;
    long long unpack_start_us = -1;
    long long unpack_end_us = -1;
    long long init_start = -1;
    long long app_launch = -1;
};

// Where a boot's time went from QEMU's start to the app started, in seconds; -1 = unknown. The
// guest's clock starts with the kernel; the init marker ties it to the host's.
struct BootPhases {
    double before_kernel = -1;    // firmware, the loader and the kernel's decompression of itself
    double kernel_init = -1;      // the kernel's start to running /init, less the initramfs unpacking
    double initramfs_unpack = -1; // "Unpacking initramfs..." to "Freeing initrd memory"
    double init = -1;             // the kernel running /init to the app launched
    double app_start = -1;        // the app launched to its ports accepting (the app-started marker)
};

// What the guest's file trace reported (harness/protocol.h, 5.): guest paths by type.
struct FileTrace {
    struct Entry {
        char type = 'f'; // 'f' file, 'l' symlink, 'd' directory
        std::string path;
    };
    std::vector<Entry> touched;
    bool complete = false; // the init's trace-end arrived and its count matched
};

struct BootRun {
    Verdict verdict = Verdict::boot_failed;
    std::string reason; // one sentence: "the guest test exited with status 1"
    int memory_mb = 0;
    Accelerator accel = Accelerator::tcg;
    std::optional<std::filesystem::path> console_log; // set when kept (log_dir)
    std::vector<std::string> console_tail;            // the last console lines, always
    std::optional<int> guest_test_status;
    std::optional<int> host_test_status;
    std::vector<std::string> host_test_tail; // the host test's last output lines
    std::vector<PortForward> forwards;
    BootTimings seconds;
    GuestUptimes guest_ms;
    std::string qemu_command; // shell-quoted, to reproduce by hand
    std::optional<FileTrace> file_trace; // with BootTest::trace_files, on a pass
};

struct BootReport {
    Verdict verdict = Verdict::boot_failed;
    std::string reason;
    Accelerator accel = Accelerator::tcg;
    std::string accel_reason;
    std::vector<BootRun> boots; // the --repeat boots in order
    std::optional<int> min_memory_mb;
    std::vector<std::pair<int, Verdict>> memory_trials; // the bisection's boots
    double seconds = 0;
};

Result<BootReport> boot(const BootRequest& request);

// Check a request without booting (files exist, values in range, the command line fits).
Result<void> validate(const BootRequest& request);
// The same for everything but the kernel: for callers whose kernels come later (kernel trials
// build one per trial).
Result<void> validate_all_but_kernel(const BootRequest& request);

// A file QEMU can boot as a kernel of `arch`: a bzImage (its "HdrS" setup header), an ELF vmlinux,
// an arm64 Image or Image.gz. Anything else, or a kernel of another machine, is bad input naming
// the file (and the machine), before QEMU starts.
Result<void> check_kernel_image(const std::filesystem::path& kernel, const Arch& arch);

BootPhases boot_phases(const BootRun& run);
// The phases in boot order: the key reports use, a name for people, and the field.
struct BootPhaseName {
    const char* key;  // "before_kernel"
    const char* name; // "firmware, loader and kernel decompression"
    double BootPhases::*seconds;
};
const std::vector<BootPhaseName>& boot_phase_names();
// {"before_kernel": s, "kernel_init": s, ...}, null for an unknown phase.
Json boot_phases_json(const BootPhases& phases);

Json boot_report_json(const BootReport& report);
// {"complete": bool, "touched": ["f /usr/bin/python3.11", "d /www", ...]}
Json file_trace_json(const FileTrace& trace);

// The QEMU binary a target boots with: its own, else its architecture's.
Result<std::filesystem::path> qemu_program(const BootTarget& target);

// The lines to quote for a verdict that is not a pass: reason, then evidence.
std::vector<std::string> failure_details(const BootRun& run, std::size_t console_lines = 15);

} // namespace tinyx::harness
