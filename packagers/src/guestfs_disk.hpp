// The libguestfs adapter: the only file that talks to libguestfs. It makes an
// ext4 disk image (raw or qcow2) from a tar of the guest tree without root and
// without loop devices, by booting libguestfs's appliance.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace tinyx::packagers {

struct DiskImageSpec {
    std::filesystem::path output;  // created (replaced) by this call
    std::string format = "raw";    // "raw" or "qcow2"
    std::uint64_t size_bytes = 0;
    std::filesystem::path tar;     // the filesystem's contents
    bool partitioned = false;      // one MBR partition instead of the whole device
    std::string label = "tinyx";
};

// Runs disk_create, add_drive, launch, [part_disk], mkfs ext4, mount, tar_in, shutdown.
// LIBGUESTFS_BACKEND defaults to "direct" and LIBGUESTFS_BACKEND_SETTINGS to
// "force_tcg" (KVM cannot be trusted to work on every machine) unless the user set them.
Result<void> make_ext4_disk(const DiskImageSpec& spec);

} // namespace tinyx::packagers
