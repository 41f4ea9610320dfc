// --optimize: the compressions of the initramfs and of the kernel image, decided by measured boots
// of the final kernel against each candidate's bytes (docs/optimize.md).
//
// The rule, per goal, over the candidates of one part (the initramfs first, on the pruned kernel;
// then the kernel's compression, with the chosen initramfs):
//   size      the fewest bytes (no boots needed to decide);
//   boot      the fastest median boot to the app started;
//   balanced  the fastest median boot among the settings whose kernel + image is at most
//             kBalancedSlack times the smallest setting's (the smallest kernel + the smallest image).
// Candidates over that bound are not booted. Ties go to the fewer bytes.
#pragma once

#include "core/compression.hpp"
#include "pipeline/pipeline.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tinyx::pipeline {

inline constexpr double kBalancedSlack = 1.15;

// One measured candidate: a compression of the initramfs or of the kernel.
struct CompressionCandidate {
    std::string part;                  // "initramfs" or "kernel"
    std::string name;                  // core/compression.hpp
    std::uint64_t bytes = 0;           // this part's bytes
    std::uint64_t setting_bytes = 0;   // kernel + image with this candidate and the other part's choice
    std::vector<double> boot_seconds;  // QEMU start to the app started, one per boot; empty: not booted
    std::optional<double> median;      // of boot_seconds, when every boot passed
    std::string note;                  // why it was not booted, or how its boots failed
    bool chosen = false;
};

// The rule above over one part's candidates (bytes and setting_bytes filled; medians of those
// booted). `smallest_setting` is the smallest kernel + image. Returns the index of the choice.
// Which candidates need boots first: needs_boot().
std::size_t choose_compression(const std::string& goal, const std::vector<CompressionCandidate>& candidates,
                               std::uint64_t smallest_setting);
bool needs_boot(const std::string& goal, const CompressionCandidate& candidate, std::uint64_t smallest_setting);

// The .config values of a kernel compressed with `kernel` that unpacks only an initramfs
// compressed with `initramfs` (nullptr: that part left as it is).
std::vector<std::pair<std::string, std::string>> compression_settings(const CompressionKind* kernel,
                                                                      const CompressionKind* initramfs);

double median(std::vector<double> values);

} // namespace tinyx::pipeline
