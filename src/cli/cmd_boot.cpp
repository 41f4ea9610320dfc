#include "boot_flags.hpp"
#include "commands.hpp"

#include "harness/boot.hpp"
#include "harness/guest_init.hpp"

#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <iostream>

namespace tinyx::cli {

namespace {

struct BootOptions {
    std::string kernel, initrd, disk, log_dir, write_init;
    BootFlags flags;
    harness::BootRequest request;
    bool json = false;
};

std::string timings_line(const harness::BootRun& run) {
    std::vector<std::string> parts;
    auto add = [&](const char* what, double seconds) {
        if (seconds >= 0) parts.push_back(str(what, " ", human_seconds(seconds)));
    };
    add("console", run.seconds.first_output);
    add("init", run.seconds.init);
    add("app started", run.seconds.app_started);
    add("test done", run.seconds.test_done);
    add("total", run.seconds.total);
    return join(parts, ", ");
}

Result<int> run_boot(BootOptions& options) {
    if (!options.write_init.empty()) {
        // For tests and hand-made images: the same /init tinyx puts into its images.
        TRY_ASSIGN(auto init, harness::guest_init_binary(options.request.target.arch));
        TRY(write_file_atomic(options.write_init, init, fs::perms(0755)));
        log::info(str("wrote the guest init (", human_bytes(init.size()), ") to ", options.write_init));
        return 0;
    }
    auto& request = options.request;
    if (options.kernel.empty()) return Error::bad_input("--kernel is required (the guest kernel, e.g. a bzImage)");
    request.target.kernel = options.kernel;
    if (!options.initrd.empty()) request.target.initrd = options.initrd;
    if (!options.disk.empty()) request.target.disk = options.disk;
    if (!options.log_dir.empty()) request.log_dir = options.log_dir;
    options.flags.apply_to(request);

    TRY_ASSIGN(auto report, harness::boot(request));
    if (options.json) std::cout << dump_json(harness::boot_report_json(report)) << std::flush;

    const auto& last = report.boots.back();
    if (report.verdict == harness::Verdict::pass) {
        log::info(str("pass: ", report.boots.size(), report.boots.size() == 1 ? " boot" : " boots", " (",
                      harness::accelerator_name(report.accel), ", ", request.target.memory_mb, " MB; ", timings_line(last), ")"));
        if (report.min_memory_mb) log::info(str("smallest memory that passes: ", *report.min_memory_mb, " MB"));
        const auto phases = harness::boot_phases(last);
        std::vector<std::string> spent;
        for (const auto& phase : harness::boot_phase_names())
            if (phases.*phase.seconds >= 0) spent.push_back(str(phase.name, " ", human_seconds(phases.*phase.seconds)));
        if (!spent.empty()) log::info(str("boot phases: ", join(spent, ", ")));
        if (last.console_log) log::info(str("console log: ", last.console_log->string()));
        if (last.file_trace && !options.json) {
            log::info(str("file trace: ", last.file_trace->touched.size(), " entries touched from the app's start to the end of the test",
                          last.file_trace->complete ? "" : " (incomplete: the guest ended before its trace did)"));
            for (const auto& entry : last.file_trace->touched) std::cout << entry.type << ' ' << entry.path << '\n';
            std::cout << std::flush;
        }
        return 0;
    }
    std::string which = report.boots.size() > 1 ? str(" (boot ", report.boots.size(), " of ", request.repeat, ")") : "";
    Error error{exit_code_for(report.verdict), str(harness::verdict_name(report.verdict), which, ": ", report.reason), {}};
    error.details = harness::failure_details(last);
    return error;
}

} // namespace

void setup_boot(CLI::App& app, Runner& runner) {
    auto options = std::make_shared<BootOptions>();
    auto& request = options->request;
    auto* cmd = app.add_subcommand("boot", "Boot a kernel and image under QEMU and run a test against the app");
    cmd->add_option("--kernel", options->kernel, "The guest kernel (bzImage; Image.gz for arm64)");
    cmd->add_option("--initrd", options->initrd,
                    "An initramfs image (from tinyx rootfs); with --disk, a loader that mounts the disk and runs its init");
    cmd->add_option("--disk", options->disk, "A disk image (raw, or .qcow2), booted as /dev/vda; never modified");
    add_boot_flags(cmd, options->flags, "Seconds per boot, QEMU start to the end of the test (default 300)");
    cmd->add_option("--silence", request.test.silence_seconds,
                    "Seconds without console output before /init reports that count as a hung boot")
        ->default_val(60)
        ->check(in_range(harness::kTimeoutRangeSeconds));
    cmd->add_option("--port-wait", request.test.port_wait_seconds, "Seconds the guest waits for the app's ports")
        ->default_val(60)
        ->check(in_range(harness::kPortWaitRangeSeconds));
    cmd->add_option("--env", request.test.env,
                    "NAME=VALUE for the app and the guest test, over the image's own environment (repeatable)");
    cmd->add_option("--wait-port", request.test.wait_ports, "Wait for this guest TCP port without forwarding it (repeatable)")
        ->check(in_range(harness::kPortRange));
    cmd->add_option("--repeat", request.repeat, "Boot N times; pass only if all pass (stops at the first failure)")
        ->default_val(1)
        ->check(in_range(harness::kRepeatRange));
    cmd->add_flag("--min-memory", request.find_min_memory,
                  "After a pass, find the smallest memory (MB) that still passes, by bisection");
    cmd->add_option("--log-dir", options->log_dir, "Keep the console logs here (default: removed at the end)");
    add_arch_option(cmd, request.target.arch, std::string(kDefaultArch));
    cmd->add_option("--qemu", request.target.qemu, "The QEMU binary (default: the architecture's, qemu-system-x86_64 or qemu-system-aarch64)");
    cmd->add_flag("--trace-files", request.test.trace_files,
                  "After a pass, print the image's files, symlinks and directories the app and the test touched "
                  "(\"f|l|d PATH\" lines; with --json: boots[].file_trace). From access times: a file only stat()ed is not in it");
    cmd->add_flag("--json", options->json, "Print one JSON report on stdout (progress stays on stderr)");
    cmd->add_option("--write-init", options->write_init, "Write the guest init executable to FILE and exit")
        ->group(""); // hidden: for tests and hand-made images
    cmd->footer("Exit codes: 0 pass, 1 test failed, 3 boot failure (panic, no init, app exited), 4 timeout,\n"
                "75 the machine failed (QEMU could not start or was killed: no verdict).\n"
                "Examples:\n"
                "  tinyx boot --kernel out/bzImage --initrd out/initramfs.cpio.gz \\\n"
                "             --wait-port 8080 --guest-test 'wget -qO- http://127.0.0.1:8080/ | grep -q hello'\n"
                "  tinyx boot --kernel out/bzImage --initrd out/initramfs.cpio.gz --forward 80 \\\n"
                "             --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --repeat 3 --json\n"
                "  tinyx boot --kernel out/bzImage --disk out/disk.qcow2 --min-memory --log-dir logs/\n"
                "  tinyx boot --kernel out/bzImage --initrd out/initramfs.cpio.xz --forward 80 \\\n"
                "             --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --trace-files > touched.txt\n"
                "  tinyx boot --kernel /boot/vmlinuz --initrd loader.cpio.gz --disk out/disk.qcow2 --guest-test 'true'\n"
                "             (a stock kernel whose disk drivers are modules: the loader initrd mounts the disk)\n"
                "Verdicts come from a marker channel only tinyx's init holds (a second serial port), never from\n"
                "what the app prints; see docs/harness.md for what a guest can and cannot forge.");
    cmd->callback([&runner, options] { runner = [options] { return run_boot(*options); }; });
}

} // namespace tinyx::cli
