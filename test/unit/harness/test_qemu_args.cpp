#include "harness/qemu_args.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tinyx::harness;

namespace {

// The value after `option` (the first occurrence), or "" when absent.
std::string value_of(const std::vector<std::string>& argv, const std::string& option) {
    auto at = std::find(argv.begin(), argv.end(), option);
    return at == argv.end() || at + 1 == argv.end() ? "" : *(at + 1);
}
bool has(const std::vector<std::string>& argv, const std::string& word) {
    return std::find(argv.begin(), argv.end(), word) != argv.end();
}

} // namespace

TEST_CASE("kernel_command_line: console, panic, the channel's name (no --: monitors append after it), the user's arguments") {
    KernelLineParams params;
    params.append = "  quiet loglevel=3 ";
    CHECK(kernel_command_line(params) == "console=ttyS0 panic=-1 tinyx_channel=ttyS1 quiet loglevel=3");
}

TEST_CASE("kernel_command_line: a disk boots /dev/vda with our init, the user's init= last") {
    KernelLineParams params;
    params.disk_root = true;
    params.append = "init=/bin/sh";
    CHECK(kernel_command_line(params) ==
          "console=ttyS0 panic=-1 root=/dev/vda rw init=/sbin/tinyx-init tinyx_channel=ttyS1 init=/bin/sh");
}

TEST_CASE("kernel_command_line: the architecture's console and marker channel (arm64: PL011 and a virtio console)") {
    KernelLineParams params;
    params.console_tty = "ttyAMA0";
    params.channel_tty = "hvc0";
    CHECK(kernel_command_line(params) == "console=ttyAMA0 panic=-1 tinyx_channel=hvc0");
}

TEST_CASE("qemu_argv for arm64's virt machine: a 64-bit CPU under TCG, the channel on a virtio console") {
    QemuLaunch launch;
    launch.qemu = "qemu-system-aarch64";
    launch.machine = "virt";
    launch.kernel = "/k/Image.gz";
    launch.initrd = "/i/initramfs.cpio.xz";
    launch.console_log = "/tmp/console.log";
    launch.marker_socket = "/tmp/tinyx-channel-x/markers";
    launch.tcg_cpu = "cortex-a57";
    launch.channel_on_virtio_console = true;
    auto argv = qemu_argv(launch);
    CHECK(value_of(argv, "-M") == "virt");
    CHECK(value_of(argv, "-cpu") == "cortex-a57");
    // One -serial only (the console); the channel is a virtconsole on a PCI virtio-serial bus.
    CHECK(std::count(argv.begin(), argv.end(), "-serial") == 1);
    CHECK(value_of(argv, "-serial") == "chardev:console");
    CHECK(has(argv, "virtio-serial-pci"));
    CHECK(has(argv, "virtconsole,chardev=markers"));
    CHECK(has(argv, "virtio-net-pci,netdev=n0,romfile="));

    launch.mmio_devices = true; // no PCI: the virtio-serial bus on MMIO
    argv = qemu_argv(launch);
    CHECK(has(argv, "virtio-serial-device"));
    CHECK_FALSE(has(argv, "virtio-serial-pci"));

    launch.accel = Accelerator::kvm; // an arm64 host: the host's CPU, not the emulated one
    argv = qemu_argv(launch);
    CHECK(value_of(argv, "-cpu") == "host");
    CHECK(std::count(argv.begin(), argv.end(), "-cpu") == 1);
}

TEST_CASE("channel_parameters: the nonce, ports, wait, keep and the test, then the end line") {
    GuestParams params;
    params.nonce = "n0nce";
    params.wait_ports = {80, 8080};
    params.wait_seconds = 30;
    params.guest_test = "exit 1\n";
    CHECK(channel_parameters(params) ==
          "tinyx.nonce=n0nce\ntinyx.ports=80,8080\ntinyx.wait=30\ntinyx.test=ZXhpdCAxCg==\ntinyx.end\n");
    params = GuestParams{};
    params.nonce = "x";
    params.keep_running_after_test = true;
    CHECK(channel_parameters(params) == "tinyx.nonce=x\ntinyx.wait=60\ntinyx.keep=1\ntinyx.end\n");
    params.keep_running_after_test = false;
    params.env = {"GREETING=hello world", "EMPTY="};
    CHECK(channel_parameters(params) == "tinyx.nonce=x\ntinyx.wait=60\ntinyx.env=GREETING=hello world\ntinyx.env=EMPTY=\ntinyx.end\n");
    params = GuestParams{};
    params.nonce = "x";
    params.keep_running_after_test = true;
    params.trace_files = true;
    CHECK(channel_parameters(params) == "tinyx.nonce=x\ntinyx.wait=60\ntinyx.keep=1\ntinyx.trace=1\ntinyx.end\n");
}

TEST_CASE("qemu_argv for an initramfs boot under TCG with forwarded ports") {
    QemuLaunch launch;
    launch.qemu = "qemu-system-x86_64";
    launch.kernel = "/k/bzImage";
    launch.initrd = "/i/initramfs.cpio.gz";
    launch.memory_mb = 128;
    launch.console_log = "/tmp/logs, odd/console.log";
    launch.forwards = {{40001, 80}, {40002, 6379}};
    launch.marker_socket = "/tmp/tinyx-channel-x/markers";
    launch.kernel_command_line = "console=ttyS0 panic=-1 tinyx_channel=ttyS1";
    auto argv = qemu_argv(launch);

    CHECK(argv.front() == "qemu-system-x86_64");
    for (const char* flag : {"-nodefaults", "-no-user-config", "-no-reboot"}) CHECK(has(argv, flag));
    CHECK(value_of(argv, "-display") == "none");
    CHECK(value_of(argv, "-accel") == "tcg");
    CHECK_FALSE(has(argv, "-cpu"));
    CHECK(value_of(argv, "-m") == "128");
    CHECK(value_of(argv, "-chardev") == "file,id=console,path=/tmp/logs,, odd/console.log");
    CHECK(value_of(argv, "-serial") == "chardev:console");
    // The marker channel is the second serial port, after the console (ttyS0, then ttyS1).
    auto serial = std::find(argv.begin(), argv.end(), "-serial");
    auto second = std::find(serial + 1, argv.end(), "-serial");
    REQUIRE(second != argv.end());
    CHECK(*(second + 1) == "chardev:markers");
    CHECK(has(argv, "socket,id=markers,path=/tmp/tinyx-channel-x/markers"));
    CHECK(value_of(argv, "-kernel") == "/k/bzImage");
    CHECK(value_of(argv, "-initrd") == "/i/initramfs.cpio.gz");
    CHECK(value_of(argv, "-append") == "console=ttyS0 panic=-1 tinyx_channel=ttyS1");
    CHECK_FALSE(has(argv, "-drive"));
    CHECK(value_of(argv, "-netdev") ==
          "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:80,hostfwd=tcp:127.0.0.1:40002-:6379");
    CHECK(value_of(argv, "-device") == "virtio-net-pci,netdev=n0,romfile=");
}

TEST_CASE("qemu_argv for a qcow2 disk under KVM") {
    QemuLaunch launch;
    launch.qemu = "/opt/qemu/bin/qemu-system-x86_64";
    launch.kernel = "bzImage";
    launch.disk = "out/disk.qcow2";
    launch.accel = Accelerator::kvm;
    launch.console_log = "c.log";
    auto argv = qemu_argv(launch);
    CHECK(argv.front() == "/opt/qemu/bin/qemu-system-x86_64");
    CHECK(value_of(argv, "-accel") == "kvm");
    CHECK(value_of(argv, "-cpu") == "host");
    CHECK(value_of(argv, "-drive") == "file=out/disk.qcow2,format=qcow2,if=virtio,snapshot=on");
    CHECK_FALSE(has(argv, "-initrd"));
    CHECK(value_of(argv, "-m") == "256");
    CHECK(value_of(argv, "-netdev") == "user,id=n0,restrict=on");
    CHECK_FALSE(has(argv, "chardev:markers")); // no channel asked for

    launch.outbound_network = true; // the opt-out for apps that need the outside
    CHECK(value_of(qemu_argv(launch), "-netdev") == "user,id=n0");

    launch.disk = "disk.raw";
    CHECK(value_of(qemu_argv(launch), "-drive") == "file=disk.raw,format=raw,if=virtio,snapshot=on");
}

TEST_CASE("qemu_argv appends extra arguments last, unchanged") {
    QemuLaunch launch;
    launch.kernel = "bzImage";
    launch.console_log = "c.log";
    launch.extra_args = {"-d", "in_asm", "-D", "/tmp/a,b.log"};
    auto argv = qemu_argv(launch);
    REQUIRE(argv.size() > 4);
    CHECK(std::vector<std::string>(argv.end() - 4, argv.end()) == launch.extra_args);
    CHECK(value_of(argv, "-device") == "virtio-net-pci,netdev=n0,romfile="); // the usual arguments are still there
}

TEST_CASE("qemu_argv on a machine without PCI: virtio devices on MMIO, the channel on an ISA serial port") {
    QemuLaunch launch;
    launch.qemu = "qemu-system-x86_64";
    launch.machine = "microvm,x-option-roms=off,rtc=on,acpi=off";
    launch.mmio_devices = true;
    launch.kernel = "vmlinux";
    launch.disk = "disk.raw";
    launch.console_log = "c.log";
    launch.marker_socket = "/tmp/m/markers";
    launch.forwards = {{40001, 80}};
    auto argv = qemu_argv(launch);
    CHECK(value_of(argv, "-M") == "microvm,x-option-roms=off,rtc=on,acpi=off");
    CHECK(value_of(argv, "-serial") == "chardev:console"); // the console is still the first UART
    CHECK(has(argv, "isa-serial,chardev=markers,index=1"));
    CHECK(std::count(argv.begin(), argv.end(), "-serial") == 1);
    CHECK(has(argv, "virtio-net-device,netdev=n0"));
    CHECK_FALSE(has(argv, "virtio-net-pci,netdev=n0,romfile="));
    CHECK(value_of(argv, "-drive") == "file=disk.raw,format=raw,snapshot=on,if=none,id=disk0");
    CHECK(has(argv, "virtio-blk-device,drive=disk0"));
}
