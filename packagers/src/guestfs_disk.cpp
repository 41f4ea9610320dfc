#include "guestfs_disk.hpp"

#include "core/strings.hpp"

#include <guestfs.h>

#include <cstdlib>
#include <memory>

namespace tinyx::packagers {

namespace {

struct HandleCloser {
    void operator()(guestfs_h* g) const { guestfs_close(g); }
};

Error guestfs_failure(guestfs_h* g, const std::string& step) {
    const char* message = guestfs_last_error(g);
    return Error::internal(str("libguestfs: ", step, ": ", message ? message : "failed",
                               " (set LIBGUESTFS_DEBUG=1 for the appliance log)"));
}

} // namespace

Result<void> make_ext4_disk(const DiskImageSpec& spec) {
    std::unique_ptr<guestfs_h, HandleCloser> handle(guestfs_create());
    if (!handle) return Error::internal("libguestfs: cannot create a handle");
    guestfs_h* g = handle.get();
    guestfs_set_error_handler(g, nullptr, nullptr); // errors come back through guestfs_last_error
    if (!std::getenv("LIBGUESTFS_BACKEND") && guestfs_set_backend(g, "direct") == -1) return guestfs_failure(g, "set_backend");
    if (!std::getenv("LIBGUESTFS_BACKEND_SETTINGS")) {
        char force_tcg[] = "force_tcg";
        char* settings[] = {force_tcg, nullptr};
        if (guestfs_set_backend_settings(g, settings) == -1) return guestfs_failure(g, "set_backend_settings");
    }
    const std::string output = spec.output.string();
    if (guestfs_disk_create(g, output.c_str(), spec.format.c_str(), std::int64_t(spec.size_bytes), -1) == -1)
        return guestfs_failure(g, str("disk_create ", output));
    if (guestfs_add_drive_opts(g, output.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT, spec.format.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY,
                               0, -1) == -1)
        return guestfs_failure(g, "add_drive");
    if (guestfs_launch(g) == -1) return guestfs_failure(g, "launch");
    std::string device = "/dev/sda";
    if (spec.partitioned) {
        if (guestfs_part_disk(g, device.c_str(), "mbr") == -1) return guestfs_failure(g, "part_disk");
        device += "1";
    }
    if (guestfs_mkfs_opts(g, "ext4", device.c_str(), GUESTFS_MKFS_OPTS_LABEL, spec.label.c_str(), -1) == -1)
        return guestfs_failure(g, "mkfs ext4");
    if (guestfs_mount(g, device.c_str(), "/") == -1) return guestfs_failure(g, "mount");
    if (guestfs_tar_in_opts(g, spec.tar.c_str(), "/", GUESTFS_TAR_IN_OPTS_XATTRS, 0, -1) == -1) return guestfs_failure(g, "tar_in");
    if (guestfs_umount_all(g) == -1) return guestfs_failure(g, "umount");
    if (guestfs_shutdown(g) == -1) return guestfs_failure(g, "shutdown");
    return success();
}

} // namespace tinyx::packagers
