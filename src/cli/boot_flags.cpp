#include "boot_flags.hpp"

#include "core/arch.hpp"

#include "core/strings.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace tinyx::cli {

CLI::Validator in_range(const NumberRange& range) {
    return CLI::Validator(
        [range](std::string& input) -> std::string {
            errno = 0;
            char* end = nullptr;
            double value = std::strtod(input.c_str(), &end);
            if (input.empty() || end == input.c_str() || *end != '\0') return str("'", input, "' is not a number");
            if (errno == ERANGE) value = value < 0 ? -HUGE_VAL : HUGE_VAL;
            auto checked = check_range("", value, range);
            return checked ? std::string() : str(input, ": expected ", describe_range(range));
        },
        describe_range(range));
}

harness::AccelChoice accel_choice(const std::string& name) {
    if (name == "kvm") return harness::AccelChoice::kvm;
    if (name == "tcg") return harness::AccelChoice::tcg;
    return harness::AccelChoice::automatic;
}

bool BootFlags::any_test_flag() const {
    return !guest_test.empty() || !host_test.empty() || !forwards.empty() || memory_mb || timeout_seconds ||
           !append.empty() || outbound_network;
}

void BootFlags::apply_to(harness::BootRequest& request) const {
    request.test.guest_test = guest_test;
    request.test.host_test = host_test;
    request.test.forwards = forwards;
    request.target.append = append;
    request.target.accel = accel_choice(accel);
    request.target.outbound_network = outbound_network;
    if (!platform.empty()) request.target.platform = platform;
    if (memory_mb) request.target.memory_mb = *memory_mb;
    if (timeout_seconds) request.test.timeout_seconds = *timeout_seconds;
}

void add_arch_option(CLI::App* cmd, std::string& arch, const std::string& default_help) {
    cmd->add_option("--arch", arch,
                    str("The guest's architecture: ", join(arch_names(), ", "), " (default ", default_help,
                        "; another than the host's is cross-built and emulated)"))
        ->check(CLI::IsMember(arch_names()));
}

void add_boot_flags(CLI::App* cmd, BootFlags& flags, const std::string& timeout_help) {
    cmd->add_option("--guest-test", flags.guest_test, "A /bin/sh script run in the guest once the app started");
    cmd->add_option("--host-test", flags.host_test,
                    "A /bin/sh command run on the host once the app started, with TINYX_HOST and "
                    "TINYX_PORT_<guestport> set");
    cmd->add_option("--forward", flags.forwards,
                    "Forward this guest TCP port from a free port on 127.0.0.1 (repeatable); the app counts as "
                    "started once it accepts in the guest")
        ->check(in_range(harness::kPortRange));
    cmd->add_option("--memory", flags.memory_mb, "Guest memory in MB (default 256)")->check(in_range(harness::kMemoryRangeMb));
    cmd->add_option("--timeout", flags.timeout_seconds, timeout_help)->check(in_range(harness::kTimeoutRangeSeconds));
    cmd->add_option("--append", flags.append, "Extra kernel command-line arguments");
    cmd->add_option("--accel", flags.accel, "auto (probe KVM once per host, else TCG), kvm or tcg")
        ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
    cmd->add_option("--platform", flags.platform,
                    str("The machine the image runs on: ", join(harness::platform_names(), ", "), " (default ",
                        harness::kDefaultPlatform, "; the microVMs have no PCI: virtio devices over MMIO)"))
        ->check(CLI::IsMember(harness::platform_names()));
    cmd->add_flag("--outbound-network", flags.outbound_network,
                  "Let the guest reach the network outside (default: QEMU user networking with restrict=on, the guest "
                  "reaches nothing; forwarded ports still reach it)");
}

} // namespace tinyx::cli
