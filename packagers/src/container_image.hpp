// Container images as a source of apps: a local image in one of skopeo's transports
// (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]) is checked
// blob by blob against its digests and its layers are applied in order (gzip, zstd or
// plain tar; whiteouts and opaque directories as the OCI image spec defines them) into
// a private root with libarchive. No container runtime and no root privileges: owners
// the unpacking user cannot set are kept in a side table (the SourceRoot's owners).
// Pulling from a registry is the user's `skopeo copy docker://… oci:DIR:TAG`.
#pragma once

#include "core/result.hpp"
#include "source_root.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::packagers {

struct ImageReference {
    std::string transport; // "oci", "oci-archive", "docker-archive"
    std::filesystem::path path;
    std::string tag;       // empty: the only image there
    std::string text;      // as given
};

// The transports tinyx reads, for messages and --help.
const std::vector<std::string>& image_transports();
Result<ImageReference> parse_image_reference(std::string_view text);

// What the image's config says about running it (the defaults of --run, --env, ...).
struct ContainerConfig {
    std::vector<std::string> entrypoint, cmd, env;
    std::string working_dir;
    std::string user;             // "name", "uid", "name:group", "uid:gid" or empty
    std::vector<int> exposed_tcp_ports;
    std::string architecture, os; // "amd64", "linux"
};

struct UnpackedImage {
    ImageReference reference;
    std::string manifest_digest; // "sha256:<hex>": what a profile records and checks
    std::uint64_t image_bytes = 0; // the image as stored: the layout directory or the archive
    std::size_t layers = 0;
    ContainerConfig config;
    SourceRoot root;             // the unpacked files, with their owners
};

// Verifies and unpacks the image for `arch` (core/arch.hpp names) into `cache`
// (cache/<manifest hex>/, reused when complete). Bad input (exit 2) for an unknown
// transport, a missing file or blob, a digest or size mismatch, a layer that escapes
// its root, or an image for another architecture or OS. `check` sees the verified
// image (digest, config) before anything is unpacked, and can refuse it.
using ImageCheck = std::function<Result<void>(const UnpackedImage&)>;
Result<UnpackedImage> unpack_container_image(std::string_view reference, std::string_view arch, const std::filesystem::path& cache,
                                             const ImageCheck& check = {});

// Applies one layer (a tar, compressed or not) onto `root`, updating `owners`
// (paths inside the root). Exposed for tests.
Result<void> apply_layer(const std::filesystem::path& layer, const std::filesystem::path& root,
                         std::map<std::string, FileOwner>& owners);

} // namespace tinyx::packagers
