// The QEMU command line and the guest's kernel command line for one boot, as pure
// functions of a description (no files touched, no ports opened), so every flag is
// unit-tested without running QEMU.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::harness {

// Linux on x86 cuts the kernel command line at this many bytes (COMMAND_LINE_SIZE).
inline constexpr std::size_t kKernelCommandLineLimit = 2048;

// What the kernel command line carries: nothing secret (any guest process can read it).
struct KernelLineParams {
    bool disk_root = false; // boot a disk: root=/dev/vda, init=/sbin/tinyx-init
    std::string append;     // the user's extra kernel arguments
    // The architecture's devices (core/arch.hpp): its console UART and the marker channel
    // (harness/protocol.h), "ttyAMA0" and "hvc0" on arm64.
    std::string console_tty = "ttyS0";
    std::string channel_tty = "ttyS1";
};

// "console=ttyS0 panic=-1 [root=/dev/vda rw init=/sbin/tinyx-init] tinyx_channel=ttyS1 APPEND".
// The channel's name is an unknown name=value word: the kernel passes it to /init in its
// environment (harness/protocol.h says why not after " -- ").
std::string kernel_command_line(const KernelLineParams& params);

// What the host sends the init on the marker channel once it says hello.
struct GuestParams {
    std::string nonce;
    std::string guest_test;      // a /bin/sh script; empty = none
    std::vector<int> wait_ports; // guest ports that must accept before the app counts as started
    int wait_seconds = 60;
    bool keep_running_after_test = false; // a host test also runs
    std::vector<std::string> env;         // NAME=VALUE over the image's environment
    bool trace_files = false;             // the file trace (the init then keeps running after the test)
};

// The parameter lines, TINYX_PARAM_END last: "tinyx.nonce=...\n...tinyx.end\n".
std::string channel_parameters(const GuestParams& params);

struct PortForward {
    int host_port = 0; // on 127.0.0.1
    int guest_port = 0;
};

enum class Accelerator { kvm, tcg };
const char* accelerator_name(Accelerator accel);

struct QemuLaunch {
    std::filesystem::path qemu; // the QEMU binary (harness::qemu_program)
    std::string machine;        // -M (harness/platform.hpp, else the architecture's); empty: QEMU's default
    bool mmio_devices = false;  // a machine without PCI: virtio devices on MMIO, the channel on a second ISA serial
    std::string tcg_cpu;        // -cpu under TCG (core/arch.hpp); empty: the machine's default
    // The machine has one UART (arm64 virt): the marker channel is a virtio console instead.
    bool channel_on_virtio_console = false;
    std::filesystem::path kernel;
    std::optional<std::filesystem::path> initrd; // with a disk: a loader that mounts it
    std::optional<std::filesystem::path> disk;   // raw, or qcow2 when the name ends in .qcow2
    int memory_mb = 256;
    int cpus = 1;
    Accelerator accel = Accelerator::tcg;
    std::filesystem::path console_log; // the guest's serial console is written here
    std::filesystem::path marker_socket; // a listening Unix socket: the marker channel (second serial port)
    bool outbound_network = false;       // false: restrict=on, the guest reaches nothing but forwarded ports
    std::vector<PortForward> forwards;
    std::string kernel_command_line;
    std::vector<std::string> extra_args; // appended last (e.g. TCG execution logging for a coverage boot)
};

// The full argv, program first.
std::vector<std::string> qemu_argv(const QemuLaunch& launch);

// QEMU's option syntax separates sub-options with commas; a comma inside a value is doubled.
std::string qemu_escape(const std::string& value);

} // namespace tinyx::harness
