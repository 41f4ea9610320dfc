// The boot runner against a scripted fake QEMU (test/fixtures/fake-qemu.py): verdicts from the
// marker channel only, forged markers, timeouts, port races, host faults and cleanup, without
// booting a kernel.
#include "harness/boot.hpp"
#include "harness/protocol.h"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <optional>

using namespace tinyx;
using namespace tinyx::harness;

namespace {

struct FakeBoot {
    TempDir dir = std::move(TempDir::create("tinyx-test-boot-").value());
    BootRequest request;

    explicit FakeBoot(const char* mode) {
        ::setenv("FAKE_QEMU_MODE", mode, 1);
        ::setenv("FAKE_QEMU_PIDFILE", (dir.path() / "qemu.pid").c_str(), 1);
        ::setenv("FAKE_QEMU_STATE", (dir.path() / "state").c_str(), 1);
        // Enough of a bzImage to pass the header check: the setup header's "HdrS" at 0x202.
        std::string kernel(0x400, '\0');
        kernel.replace(0x202, 4, "HdrS");
        REQUIRE(write_file_atomic(dir.path() / "bzImage", kernel));
        REQUIRE(write_file_atomic(dir.path() / "initramfs.cpio", "not really an image"));
        request.target.kernel = dir.path() / "bzImage";
        request.target.initrd = dir.path() / "initramfs.cpio";
        request.target.qemu = fs::path(TINYX_SOURCE_DIR) / "test/fixtures/fake-qemu.py";
        request.target.accel = AccelChoice::tcg;
        request.test.timeout_seconds = 20;
        request.test.guest_test = "true";
    }
    BootReport run() {
        auto report = boot(request);
        if (!report) FAIL(report.error().message);
        REQUIRE(report->boots.size() >= 1);
        return std::move(*report);
    }
    // The fake QEMU (and its sleep) must be gone once boot() returned.
    bool qemu_gone() const {
        auto pid = read_file(dir.path() / "qemu.pid");
        if (!pid) return true;
        return ::kill(std::atoi(pid->c_str()), 0) != 0 && errno == ESRCH;
    }
};

} // namespace

TEST_CASE("boot: a guest test that exits 0 passes, with guest timings") {
    FakeBoot fake("pass");
    auto report = fake.run();
    CHECK(report.verdict == Verdict::pass);
    const auto& run = report.boots.front();
    CHECK(run.guest_test_status == 0);
    CHECK(run.guest_ms.init == 100);
    CHECK(run.guest_ms.app_started == 200);
    CHECK(run.guest_ms.test_exit == 300);
    CHECK(run.seconds.first_output >= 0);
    CHECK(run.seconds.test_done >= run.seconds.init);
    CHECK(exit_code_for(report.verdict) == Exit::ok);
    CHECK(fake.qemu_gone());
    auto json = boot_report_json(report);
    CHECK(json["verdict"] == "pass");
    CHECK(json["boots"][0]["guest_uptime_ms"]["app_started"] == 200);
    // The phases: the kernel's log (run /init at 40 ms, unpacking 10-30 ms), the init's clock.
    CHECK(run.guest_ms.run_init_us == 40000);
    CHECK(run.guest_ms.app_launch == 170);
    const auto phases = boot_phases(run);
    CHECK(phases.initramfs_unpack == Approx(0.020));
    CHECK(phases.kernel_init == Approx(0.020));
    CHECK(phases.init == Approx(0.130));
    CHECK(phases.app_start == Approx(0.030));
    CHECK(phases.before_kernel == Approx(std::max(0.0, run.seconds.init - 0.1)));
    CHECK(json["boots"][0]["phases"]["init"] == Approx(0.130));
}

TEST_CASE("boot: a failing guest test is a verdict, not an error") {
    FakeBoot fake("test-fails");
    auto report = fake.run();
    CHECK(report.verdict == Verdict::test_failed);
    CHECK(report.reason == "the guest test exited with status 1");
    CHECK(exit_code_for(report.verdict) == Exit::test_failed);
}

TEST_CASE("boot: marker text printed by the app or the test never passes") {
    SECTION("markers with the right nonce, but on the console") {
        FakeBoot fake("forged");
        auto report = fake.run();
        CHECK(report.verdict == Verdict::boot_failed);
        CHECK(report.reason == "the guest ended during the guest test without its exit status");
        CHECK_FALSE(report.boots.front().guest_test_status);
    }
    SECTION("a line without this boot's nonce on the channel, then the real failure; a later pass is ignored") {
        FakeBoot fake("forged-then-fails");
        auto report = fake.run();
        CHECK(report.verdict == Verdict::test_failed);
        CHECK(report.boots.front().guest_test_status == 1);
    }
}

TEST_CASE("boot: the guest test travels on the channel, so it may be long") {
    FakeBoot fake("long-test");
    fake.request.test.guest_test = "#" + std::string(99999, 'x');
    auto report = fake.run();
    CHECK(report.verdict == Verdict::pass);
}

TEST_CASE("boot: an init that cannot speak the protocol is a boot failure that says why") {
    SECTION("another protocol version") {
        FakeBoot fake("wrong-protocol");
        auto report = fake.run();
        CHECK(report.verdict == Verdict::boot_failed);
        CHECK(report.reason.find("speaks boot-test protocol 1; this tinyx speaks " TINYX_PROTOCOL_VERSION) != std::string::npos);
        CHECK(fake.qemu_gone());
    }
    SECTION("no marker channel in the guest: the init's own words from the console") {
        FakeBoot fake("no-channel");
        auto report = fake.run();
        CHECK(report.verdict == Verdict::boot_failed);
        CHECK(report.reason == "tinyx-init: error: cannot open the marker channel /dev/ttyS1: No such file or directory");
    }
}

TEST_CASE("boot: QEMU failing on the host is a machine fault, not a verdict") {
    FakeBoot fake("host-fault");
    auto report = boot(fake.request);
    REQUIRE_FALSE(report);
    CHECK(report.error().exit == Exit::machine_fault);
    CHECK(report.error().message.find("QEMU could not run the guest") == 0);
}

TEST_CASE("boot: a kernel panic is a boot failure quoting the console") {
    FakeBoot fake("panic");
    auto report = fake.run();
    CHECK(report.verdict == Verdict::boot_failed);
    CHECK(report.reason == "kernel panic: [    1.000000] Kernel panic - not syncing: VFS: Unable to mount root fs");
    const auto& tail = report.boots.front().console_tail;
    REQUIRE_FALSE(tail.empty());
    CHECK(tail.back() == "[    1.000001] ---[ end Kernel panic ]---");
    auto details = failure_details(report.boots.front());
    CHECK(std::find(details.begin(), details.end(), "  [    1.000001] ---[ end Kernel panic ]---") != details.end());
}

TEST_CASE("boot: an app that exits before it started is a boot failure") {
    FakeBoot fake("app-exited");
    auto report = fake.run();
    CHECK(report.verdict == Verdict::boot_failed);
    CHECK(report.reason == "the app exited with status 1 before it started");
}

TEST_CASE("boot: timeouts end QEMU") {
    SECTION("no console output at all: the silence watchdog") {
        FakeBoot fake("silent");
        fake.request.test.silence_seconds = 1;
        auto report = fake.run();
        CHECK(report.verdict == Verdict::timeout);
        CHECK(report.reason.find("no console output for") == 0);
        CHECK(report.boots.front().seconds.total < 10);
        CHECK(fake.qemu_gone());
    }
    SECTION("a hung guest test: the overall timeout") {
        FakeBoot fake("hang-in-test");
        fake.request.test.timeout_seconds = 1.5;
        auto report = fake.run();
        CHECK(report.verdict == Verdict::timeout);
        CHECK(report.reason == "timed out after 1.5s waiting for the guest test to finish");
        CHECK(exit_code_for(report.verdict) == Exit::timeout);
        CHECK(fake.qemu_gone());
    }
}

TEST_CASE("boot: a host test gets the forwarded ports and decides the verdict") {
    FakeBoot fake("serve");
    fake.request.test.guest_test.clear();
    fake.request.test.forwards = {80, 6379};
    SECTION("pass") {
        fake.request.test.host_test = "test \"$TINYX_HOST\" = 127.0.0.1 && test \"$TINYX_PORT_80\" -gt 1024 && "
                                 "test \"$TINYX_PORT_6379\" -gt 1024 && test \"$TINYX_PORT_80\" != \"$TINYX_PORT_6379\"";
        auto report = fake.run();
        CHECK(report.verdict == Verdict::pass);
        CHECK(report.boots.front().host_test_status == 0);
        CHECK(report.boots.front().forwards.size() == 2);
        CHECK(fake.qemu_gone()); // ended by the host once the test was done
    }
    SECTION("fail") {
        fake.request.test.host_test = "echo connection refused; exit 3";
        auto report = fake.run();
        CHECK(report.verdict == Verdict::test_failed);
        CHECK(report.reason == "the host test exited with status 3");
        CHECK(report.boots.front().host_test_tail == std::vector<std::string>{"connection refused"});
        CHECK(fake.qemu_gone());
    }
}

TEST_CASE("boot: a guest test and a host test together must both pass") {
    FakeBoot fake("test-then-serve");
    fake.request.test.forwards = {80};
    SECTION("both pass") {
        fake.request.test.host_test = "true";
        auto report = fake.run();
        CHECK(report.verdict == Verdict::pass);
        CHECK(report.boots.front().guest_test_status == 0);
        CHECK(report.boots.front().host_test_status == 0);
    }
    SECTION("the host test fails") {
        fake.request.test.host_test = "sleep 0.3; exit 1";
        auto report = fake.run();
        CHECK(report.verdict == Verdict::test_failed);
        CHECK(report.reason == "the host test exited with status 1");
    }
    CHECK(fake.qemu_gone());
}

TEST_CASE("boot: the file trace is asked for after the test passed, and only what follows the request counts") {
    FakeBoot fake("trace");
    fake.request.test.trace_files = true;
    auto report = fake.run();
    REQUIRE(report.verdict == Verdict::pass);
    const auto& trace = report.boots.front().file_trace;
    REQUIRE(trace);
    CHECK(trace->complete);
    std::vector<std::string> seen;
    for (const auto& entry : trace->touched) seen.push_back(std::string(1, entry.type) + " " + entry.path);
    CHECK(seen == std::vector<std::string>{"d /www", "f /www/index.html", "l /usr/bin/python3", "f /srv/odd\nname%"});
    CHECK(fake.qemu_gone());
    const auto json = boot_report_json(report);
    CHECK(json["boots"][0]["file_trace"]["touched"].size() == 4);
}

TEST_CASE("boot: a file trace whose count does not match what arrived is incomplete") {
    FakeBoot fake("trace-miscounted");
    fake.request.test.trace_files = true;
    auto report = fake.run();
    REQUIRE(report.verdict == Verdict::pass);
    REQUIRE(report.boots.front().file_trace);
    CHECK_FALSE(report.boots.front().file_trace->complete);
}

TEST_CASE("boot: QEMU losing a race for a forwarded port is retried with new ports") {
    FakeBoot fake("port-race");
    fake.request.test.guest_test.clear();
    fake.request.test.forwards = {80};
    fake.request.test.host_test = "true";
    auto report = fake.run();
    CHECK(report.verdict == Verdict::pass);
}

TEST_CASE("boot: --repeat stops at the first failure; min-memory bisects") {
    SECTION("repeat") {
        FakeBoot fake("pass");
        fake.request.repeat = 3;
        fake.request.log_dir = fake.dir.path() / "logs";
        auto report = fake.run();
        CHECK(report.verdict == Verdict::pass);
        REQUIRE(report.boots.size() == 3);
        REQUIRE(report.boots[2].console_log);
        CHECK(*report.boots[2].console_log == fake.dir.path() / "logs" / "console-3.log");
        CHECK(fs::exists(*report.boots[2].console_log));
    }
    // The bisection from `memory_mb`; "pass" boots pass at any size, "pass-from-50-mb" from 50 MB up.
    const auto min_memory = [](const char* mode, int memory_mb, std::optional<int> hint) {
        FakeBoot fake(mode);
        fake.request.target.memory_mb = memory_mb;
        fake.request.find_min_memory = true;
        fake.request.min_memory_hint_mb = hint;
        auto report = fake.run();
        REQUIRE(report.min_memory_mb);
        CHECK(*report.min_memory_mb <= (std::string(mode) == "pass" ? 16 : 50) + fake.request.min_memory_precision_mb);
        return report;
    };
    SECTION("min-memory: every size passes down to the floor") {
        auto report = min_memory("pass", 64, std::nullopt);
        CHECK(*report.min_memory_mb >= 16);
        CHECK(report.memory_trials.size() >= 3);
    }
    SECTION("min-memory: the hint is tried first") {
        auto report = min_memory("pass", 128, 40);
        REQUIRE(report.memory_trials.size() >= 2);
        CHECK(report.memory_trials.front().first == 40);
        CHECK(report.memory_trials[1].first < 40); // it passed: the rest of the search is below it
    }
    SECTION("min-memory: a hint that fails is followed by twice it") {
        auto report = min_memory("pass-from-50-mb", 256, 30);
        REQUIRE(report.memory_trials.size() >= 3);
        CHECK(report.memory_trials[0] == std::pair{30, Verdict::boot_failed});
        CHECK(report.memory_trials[1] == std::pair{60, Verdict::pass});
        CHECK(*report.min_memory_mb >= 50);
        CHECK(report.memory_trials.size() <= 6); // 30, 60, then within [30, 60]
    }
}

TEST_CASE("validate names the bad flag or file") {
    FakeBoot fake("pass");
    auto bad = fake.request;
    bad.target.kernel = fake.dir.path() / "missing";
    CHECK(validate(bad).error().message.find("--kernel: ") == 0);
    bad = fake.request;
    bad.target.kernel = fake.dir.path() / "initramfs.cpio"; // a file, but no kernel
    CHECK(validate(bad).error().exit == Exit::bad_input);
    CHECK(validate(bad).error().message.find("not a kernel image") != std::string::npos);
    bad = fake.request;
    bad.target.disk = fake.dir.path() / "missing.qcow2";
    CHECK(validate(bad).error().exit == Exit::bad_input);
    bad = fake.request;
    bad.target.append = std::string(3000, 'x');
    CHECK(validate(bad).error().message.find("kernel command line") != std::string::npos);
    bad = fake.request;
    bad.test.guest_test = std::string(2 * 1024 * 1024, 'x');
    CHECK(validate(bad).error().message.find("--guest-test") == 0);
    bad = fake.request;
    bad.target.qemu = "/nonexistent/qemu";
    CHECK(validate(bad).error().message.find("/nonexistent/qemu not found") == 0);
}

TEST_CASE("validate refuses numbers that are not finite or out of range") {
    FakeBoot fake("pass");
    auto bad = fake.request;
    bad.test.timeout_seconds = std::numeric_limits<double>::infinity();
    CHECK(validate(bad).error().message == "--timeout inf: expected 1 to 604800 seconds");
    bad = fake.request;
    bad.test.silence_seconds = std::numeric_limits<double>::quiet_NaN();
    CHECK(validate(bad).error().exit == Exit::bad_input);
    bad = fake.request;
    bad.target.memory_mb = 8;
    CHECK(validate(bad).error().message == "--memory 8: expected 16 to 1048576 MB");
    bad = fake.request;
    bad.test.port_wait_seconds = 0;
    CHECK(validate(bad).error().exit == Exit::bad_input);
    bad = fake.request;
    bad.test.forwards = {70000};
    CHECK(validate(bad).error().message == "--forward 70000: expected 1 to 65535 (a TCP port)");
}

TEST_CASE("check_kernel_image knows bzImage, ELF and arm64 Image headers, and their machines") {
    const Arch& x86 = **find_arch("x86_64");
    const Arch& arm64 = **find_arch("arm64");
    FakeBoot fake("pass");
    CHECK(check_kernel_image(fake.request.target.kernel, x86));
    auto elf = fake.dir.path() / "vmlinux";
    REQUIRE(write_file_atomic(elf, std::string("\x7f" "ELF", 4) + std::string(14, '\0') + std::string("\x3e\0", 2) + std::string(44, '\0')));
    CHECK(check_kernel_image(elf, x86));
    std::string arm(0x40, '\0');
    arm.replace(0x38, 4, std::string("ARM\x64", 4));
    auto image = fake.dir.path() / "Image";
    REQUIRE(write_file_atomic(image, arm));
    CHECK(check_kernel_image(image, arm64));
    auto gz = fake.dir.path() / "Image.gz";
    REQUIRE(write_file_atomic(gz, std::string("\x1f\x8b\x08\0", 4) + std::string(60, '\0')));
    CHECK(check_kernel_image(gz, arm64));
    // No x86 kernel is a bare gzip stream.
    CHECK(check_kernel_image(gz, x86).error().message ==
          "--kernel " + gz.string() + ": a gzip-compressed kernel (an arm64 Image.gz?), but the guest is x86_64 (--arch), which boots a bzImage");

    // The reverse pairs: exit 2 naming the file and the machine it was built for.
    auto wrong = check_kernel_image(image, x86).error();
    CHECK(wrong.exit == Exit::bad_input);
    CHECK(wrong.message == "--kernel " + image.string() + ": an arm64 kernel (arm64 Image), but the guest is x86_64 (--arch)");
    wrong = check_kernel_image(fake.request.target.kernel, arm64).error();
    CHECK(wrong.message == "--kernel " + fake.request.target.kernel.string() + ": an x86_64 kernel (bzImage), but the guest is arm64 (--arch)");
    CHECK(check_kernel_image(elf, arm64).error().message.find("an x86_64 kernel (ELF vmlinux)") != std::string::npos);

    auto text = fake.dir.path() / "notes.txt";
    REQUIRE(write_file_atomic(text, "#!/bin/sh\necho not a kernel\n"));
    auto error = check_kernel_image(text, x86).error();
    CHECK(error.exit == Exit::bad_input);
    CHECK(error.message == "--kernel " + text.string() + ": not a kernel image (no bzImage header, not an ELF vmlinux, not an arm64 Image or Image.gz)");
}
