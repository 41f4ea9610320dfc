// Choosing QEMU's accelerator. /dev/kvm existing proves nothing (on some CI machines
// KVM aborts or hangs), so `auto` probes KVM once per host with a short real boot of
// QEMU's firmware and caches the verdict.
#pragma once

#include "harness/qemu_args.hpp"

#include "core/arch.hpp"
#include "core/result.hpp"

#include <filesystem>
#include <string>

namespace tinyx::harness {

enum class AccelChoice { automatic, kvm, tcg };

struct AccelDecision {
    Accelerator accel = Accelerator::tcg;
    std::string why; // "KVM probe passed (cached)", "no /dev/kvm", ...
};

// `automatic`: KVM when the cached or fresh probe passed, else TCG. The verdict is cached in
// cache_dir()/accel, keyed by the host kernel and QEMU's version. A guest of another architecture
// than the host's is always TCG (`kvm` for it is bad input). `kvm_device` is for tests.
Result<AccelDecision> choose_accelerator(AccelChoice choice, const Arch& guest, const std::filesystem::path& qemu,
                                         const std::filesystem::path& kvm_device = "/dev/kvm");

// The probe itself (no cache): QEMU with -accel kvm boots its firmware (SeaBIOS) until the
// firmware reports that it found no boot device, on a debug console, within `timeout_seconds`.
// Returns true when that happened; `detail` says what happened otherwise.
bool probe_kvm(const std::filesystem::path& qemu, double timeout_seconds, std::string& detail);

} // namespace tinyx::harness
