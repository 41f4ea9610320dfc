#include "harness/qemu_args.hpp"

#include "markers.hpp"
#include "harness/protocol.h"

#include "core/strings.hpp"

namespace tinyx::harness {

std::string kernel_command_line(const KernelLineParams& params) {
    // panic=-1 with QEMU's -no-reboot: a panic ends QEMU at once instead of at our timeout.
    std::vector<std::string> words = {"console=" + params.console_tty, "panic=-1"};
    if (params.disk_root) {
        words.insert(words.end(), {"root=/dev/vda", "rw", "init=/sbin/tinyx-init"});
    }
    // The channel's name before the user's arguments: an append with " -- " would send what
    // follows to /init as arguments (where the init finds it too), but never hides it.
    words.push_back(std::string(TINYX_PARAM_CHANNEL) + params.channel_tty);
    // After ours, so the user's arguments win (the kernel takes the last root=, init=, ...).
    auto extra = trim(params.append);
    if (!extra.empty()) words.emplace_back(extra);
    return join(words, " ");
}

std::string channel_parameters(const GuestParams& params) {
    std::string text = TINYX_PARAM_NONCE + params.nonce + "\n";
    if (!params.wait_ports.empty()) {
        std::vector<std::string> ports;
        for (int port : params.wait_ports) ports.push_back(std::to_string(port));
        text += TINYX_PARAM_PORTS + join(ports, ",") + "\n";
    }
    text += TINYX_PARAM_WAIT + std::to_string(params.wait_seconds) + "\n";
    if (params.keep_running_after_test) text += std::string(TINYX_PARAM_KEEP) + "1\n";
    for (const auto& entry : params.env) text += TINYX_PARAM_ENV + entry + "\n";
    if (params.trace_files) text += std::string(TINYX_PARAM_TRACE) + "1\n";
    if (!params.guest_test.empty()) text += TINYX_PARAM_TEST + base64_encode(params.guest_test) + "\n";
    return text + TINYX_PARAM_END + "\n";
}

const char* accelerator_name(Accelerator accel) { return accel == Accelerator::kvm ? "kvm" : "tcg"; }

std::string qemu_escape(const std::string& value) {
    std::string out;
    for (char c : value) {
        out += c;
        if (c == ',') out += ',';
    }
    return out;
}

std::vector<std::string> qemu_argv(const QemuLaunch& launch) {
    std::vector<std::string> argv = {launch.qemu.string(),
                                     // Nothing we did not ask for: no VGA, no default NIC or drives, no monitor.
                                     "-nodefaults", "-no-user-config",
                                     // A guest reboot (our init's way to end the VM, or panic=-1) ends QEMU.
                                     "-no-reboot", "-display", "none"};
    if (!launch.machine.empty()) argv.insert(argv.end(), {"-M", launch.machine});
    if (launch.accel == Accelerator::kvm)
        argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
    else {
        argv.insert(argv.end(), {"-accel", "tcg"});
        if (!launch.tcg_cpu.empty()) argv.insert(argv.end(), {"-cpu", launch.tcg_cpu});
    }
    argv.insert(argv.end(), {"-m", std::to_string(launch.memory_mb), "-smp", std::to_string(launch.cpus)});
    argv.insert(argv.end(), {"-chardev", "file,id=console,path=" + qemu_escape(launch.console_log.string()), "-serial",
                             "chardev:console"});
    // The second serial port (ttyS1) is the marker channel: QEMU connects to our socket. A microvm
    // wires only the first -serial to a UART, so there it is an ISA serial device of its own; a
    // machine with one UART only (arm64 virt) gets a virtio console (hvc0).
    if (!launch.marker_socket.empty()) {
        argv.insert(argv.end(), {"-chardev", "socket,id=markers,path=" + qemu_escape(launch.marker_socket.string())});
        if (launch.channel_on_virtio_console)
            argv.insert(argv.end(), {"-device", launch.mmio_devices ? "virtio-serial-device" : "virtio-serial-pci",
                                     "-device", "virtconsole,chardev=markers"});
        else if (launch.mmio_devices)
            argv.insert(argv.end(), {"-device", "isa-serial,chardev=markers,index=1"});
        else
            argv.insert(argv.end(), {"-serial", "chardev:markers"});
    }
    argv.insert(argv.end(), {"-kernel", launch.kernel.string(), "-append", launch.kernel_command_line});
    if (launch.initrd) argv.insert(argv.end(), {"-initrd", launch.initrd->string()});
    if (launch.disk) {
        std::string format = ends_with(launch.disk->string(), ".qcow2") ? "qcow2" : "raw";
        // snapshot=on: a boot never changes the image, so repeated boots test the same bytes.
        const std::string drive = str("file=", qemu_escape(launch.disk->string()), ",format=", format);
        if (launch.mmio_devices)
            argv.insert(argv.end(), {"-drive", drive + ",snapshot=on,if=none,id=disk0", "-device", "virtio-blk-device,drive=disk0"});
        else
            argv.insert(argv.end(), {"-drive", drive + ",if=virtio,snapshot=on"});
    }
    // restrict=on: the guest reaches nothing outside (the host's forwards still reach it).
    std::string netdev = launch.outbound_network ? "user,id=n0" : "user,id=n0,restrict=on";
    for (const auto& forward : launch.forwards)
        netdev += str(",hostfwd=tcp:127.0.0.1:", forward.host_port, "-:", forward.guest_port);
    // romfile= (empty): no PXE option ROM, we boot with -kernel.
    argv.insert(argv.end(), {"-netdev", netdev, "-device",
                             launch.mmio_devices ? "virtio-net-device,netdev=n0" : "virtio-net-pci,netdev=n0,romfile="});
    argv.insert(argv.end(), launch.extra_args.begin(), launch.extra_args.end());
    return argv;
}

} // namespace tinyx::harness
