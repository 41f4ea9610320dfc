// tinyx rootfs as a library: everything one application needs, nothing else,
// as an initramfs or an ext4 disk image, plus manifest.json.
//
//   RootfsRequest request;
//   request.app = "nginx-light";                 // package name, ELF path or directory
//   request.run = "nginx -g 'daemon off;'";      // optional; derived from the package when unique
//   request.format = "initramfs";                // initramfs | raw | qcow2 (image_formats())
//   request.compression = "xz";                  // initramfs only: gzip (default) | xz | zstd | none
//   request.out_dir = "out";
//   Result<RootfsResult> result = build_rootfs(request);
//   // result->image = out/initramfs.cpio.xz, result->manifest = out/manifest.json,
//   // result->kernel_args = {} for an initramfs, {"root=/dev/vda", "rw", "init=/sbin/tinyx-init"} for disks.
//
// What goes in (docs/packagers.md): the app's files from dpkg (config, data, state
// dirs; docs and init-system glue dropped) and those of its dependencies that belong
// to the app, the ELF closure of every program and plugin (read from ELF headers,
// never executed), the dlopen rules (dlopen_rules.hpp), minimal passwd/group, a static
// BusyBox with applet links, the harness's /init and its config, --include files.
// Bad input (unknown package, non-ELF or foreign ELF, missing --include source,
// unwritable --out, bad --format/--compression/--run) is an Exit::bad_input error
// raised before anything is written; the image is built in a temporary directory
// next to --out and renamed into place, so a failure never leaves half an image.
#pragma once

#include "core/arch.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "harness/guest_init.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::packagers {

struct RootfsRequest {
    std::string app;                       // a package, an ELF path or a directory; empty with `image`
    // A container image instead of --app: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE.
    // Its config gives the defaults of run, env, workdir and user.
    std::optional<std::string> image;
    std::optional<std::string> image_digest; // a profile's record of the image: another image is bad input
    std::optional<std::string> run;        // the app's command line (split like /bin/sh, no expansion)
    std::vector<std::string> env;          // NAME=VALUE for the app and the guest test (over the image's Env)
    std::optional<std::string> user;       // NAME[:GROUP] or UID[:GID] the app runs as (default root)
    std::optional<std::string> workdir;    // the app's working directory (default /, or the image's WorkingDir)
    std::string arch = std::string(kDefaultArch);
    std::vector<std::string> includes;     // "HOST[:GUEST]"
    std::vector<std::string> excludes;     // globs on guest paths
    std::string format = "initramfs";
    std::optional<std::string> compression; // initramfs: default gzip
    bool busybox = true;
    std::filesystem::path out_dir;
    // Unset: $SOURCE_DATE_EPOCH, or 0 when that is unset too (every mtime becomes 1970-01-01).
    std::optional<std::int64_t> source_date_epoch;
    std::string hostname = "tinyx";
};

// The container image an image was built from, as report.json and profiles record it.
struct ContainerImageInfo {
    std::string reference;     // as given
    std::string digest;        // "sha256:…": the manifest's (oci) or the config's (docker-archive)
    std::uint64_t bytes = 0;   // the image as stored (its blobs in the layout, or the archive file)
    std::size_t layers = 0;
    std::vector<int> exposed_ports; // ExposedPorts (tcp): the default forwards of `tinyx build`
};

struct RootfsResult {
    std::filesystem::path image;    // out_dir/initramfs.cpio.gz, out_dir/disk.raw, ...
    std::filesystem::path manifest; // out_dir/manifest.json
    std::string format;
    std::string compression;        // "none" for disks
    std::uint64_t image_bytes = 0;
    std::uint64_t content_bytes = 0; // sum of file sizes in the image
    std::size_t entries = 0;
    std::vector<std::string> kernel_args; // what the kernel command line needs for this image
    harness::InitConfig init;
    std::vector<std::string> warnings;
    Json manifest_json;
    std::optional<ContainerImageInfo> container_image;
};

struct ImageFormat {
    std::string name;        // --format value
    std::string description;
    bool is_disk = false;
    std::string disk_format; // libguestfs format for disks ("raw", "qcow2")
    std::string file_name;   // output file name (an initramfs adds the compression suffix)
};

// The registry of --format values.
const std::vector<ImageFormat>& image_formats();
Result<const ImageFormat*> find_image_format(const std::string& name);

// The checks that need no work (format, compression, --include sources, --run syntax,
// --env and --user syntax, the image reference's transport, SOURCE_DATE_EPOCH);
// build_rootfs runs them first. `tinyx build` can call it early.
Result<void> validate_rootfs_request(const RootfsRequest& request);

Result<RootfsResult> build_rootfs(const RootfsRequest& request);

// The same initramfs with another compression (gzip, xz, zstd or none), written into `directory`
// under its usual name; the manifest's fields follow (writing the manifest is the caller's).
// The bytes are those build_rootfs writes with that compression: `tinyx build` weighs the
// compressions of one image without gathering it again.
Result<RootfsResult> recompress_initramfs(const RootfsResult& image, const std::string& compression,
                                          const std::filesystem::path& directory);

// For a request with an image: verify and unpack it (into the cache build_rootfs then
// reuses) and check the profile's digest and that it says what to run. Lets `tinyx build`
// reject a bad image before it writes anything and take the image's ExposedPorts.
Result<ContainerImageInfo> inspect_container_image(const RootfsRequest& request);

} // namespace tinyx::packagers
