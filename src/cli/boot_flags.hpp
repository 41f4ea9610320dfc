// The flags that describe a boot's test and its guest, declared once for `boot`, `prune` and
// `build`, with the harness's ranges (harness/boot.hpp), so the three commands accept the same
// values and say the same thing about a wrong one.
#pragma once

#include "core/range.hpp"
#include "harness/boot.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tinyx::cli {

struct BootFlags {
    std::string guest_test, host_test, append, accel = "auto";
    std::string platform; // empty: the default (or, for build, the profile's)
    std::vector<int> forwards;
    std::optional<int> memory_mb;
    std::optional<double> timeout_seconds;
    bool outbound_network = false;

    // Any test flag given (build: the test overrides the profile's).
    bool any_test_flag() const;
    // Onto a request: only what was given replaces the request's own defaults.
    void apply_to(harness::BootRequest& request) const;
};

// Adds --guest-test, --host-test, --forward, --memory, --timeout, --append, --accel,
// --outbound-network and --platform. `timeout_help` says what the timeout bounds in this command.
void add_boot_flags(CLI::App* cmd, BootFlags& flags, const std::string& timeout_help);

// A CLI11 check for a NumberRange: finite numbers in range only ("inf", "nan", 1e400 fail).
CLI::Validator in_range(const NumberRange& range);

harness::AccelChoice accel_choice(const std::string& name);

// --arch, the same for every command: the table's names only. `default_help` says what an
// absent --arch means here ("x86_64", "the profile's, else x86_64").
void add_arch_option(CLI::App* cmd, std::string& arch, const std::string& default_help);

} // namespace tinyx::cli
