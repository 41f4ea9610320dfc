#include "container_image.hpp"

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/hash.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

const char* const k_ref_name_annotation = "org.opencontainers.image.ref.name";
const int k_extract_flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                            ARCHIVE_EXTRACT_SECURE_SYMLINKS;

struct ReadArchive {
    archive* handle = archive_read_new();
    ~ReadArchive() { archive_read_free(handle); }
};
struct DiskWriter {
    archive* handle = archive_write_disk_new();
    ~DiskWriter() { archive_write_free(handle); }
};

bool is_sha256_hex(std::string_view hex) {
    return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

// "./usr/bin/x", "/usr/bin/x" -> "usr/bin/x"; ".." anywhere is refused.
Result<std::string> clean_entry_path(const char* raw, const fs::path& layer) {
    std::string path = raw ? raw : "";
    fs::path normal;
    for (const auto& part : fs::path(path)) {
        if (part == ".." ) return Error::bad_input(str(layer.string(), ": entry '", path, "' leads out of the image's root"));
        if (part.empty() || part == "." || part == "/") continue;
        normal /= part;
    }
    return normal.string();
}

void forget_owners_under(std::map<std::string, FileOwner>& owners, const std::string& inside) {
    auto it = owners.lower_bound(inside);
    while (it != owners.end() && (it->first == inside || (starts_with(it->first, inside) && it->first[inside.size()] == '/')))
        it = owners.erase(it);
}

// Whether a directory on the way to `relative` is a symlink: a layer's entries name real
// paths, and anything written, linked or removed through a link (an image's /etc -> /host/etc)
// could reach the host's files.
Result<void> check_no_links_above(const fs::path& root, const fs::path& relative, const fs::path& layer) {
    fs::path current = root;
    for (const auto& part : relative.parent_path()) {
        current /= part;
        std::error_code ec;
        if (fs::is_symlink(current, ec))
            return Error::bad_input(str(layer.string(), ": entry '", relative.string(), "' lies under the symlink ",
                                        current.lexically_relative(root).string(), " (refused: it could lead out of the image)"));
    }
    return success();
}

Result<void> remove_path(const fs::path& path, const fs::path& layer) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return Error::from_errno(ec.value(), str(layer.string(), ": removing ", path.string()));
    return success();
}

// Every member of an archive into `into` (oci-archive and docker-archive are plain tars of files).
Result<void> extract_all(const fs::path& file, const fs::path& into, const std::string& what) {
    ReadArchive in;
    archive_read_support_filter_all(in.handle);
    archive_read_support_format_all(in.handle);
    if (archive_read_open_filename(in.handle, file.c_str(), 1 << 16) != ARCHIVE_OK)
        return Error::bad_input(str(what, ": ", file.string(), ": ", archive_error_string(in.handle)));
    DiskWriter out;
    archive_write_disk_set_options(out.handle, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    archive_entry* entry = nullptr;
    for (;;) {
        int r = archive_read_next_header(in.handle, &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return Error::bad_input(str(what, ": ", file.string(), ": ", archive_error_string(in.handle)));
        TRY_ASSIGN(std::string name, clean_entry_path(archive_entry_pathname(entry), file));
        const auto type = archive_entry_filetype(entry);
        if (name.empty() || (type != AE_IFREG && type != AE_IFDIR)) continue;
        archive_entry_set_pathname(entry, (into / name).c_str());
        if (archive_write_header(out.handle, entry) < ARCHIVE_WARN)
            return Error::from_errno(archive_errno(out.handle), str(what, ": writing ", name));
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while ((r = archive_read_data_block(in.handle, &block, &size, &offset)) == ARCHIVE_OK)
            if (archive_write_data_block(out.handle, block, size, offset) < ARCHIVE_WARN)
                return Error::from_errno(archive_errno(out.handle), str(what, ": writing ", name));
        if (r < ARCHIVE_WARN) return Error::bad_input(str(what, ": ", file.string(), ": ", archive_error_string(in.handle)));
        archive_write_finish_entry(out.handle);
    }
    archive_write_close(out.handle);
    return success();
}

struct Blob {
    fs::path path;
    std::string digest; // "sha256:<hex>"
    std::uint64_t size = 0;
};

// A descriptor's blob in an OCI layout, checked against its digest and size.
Result<Blob> verified_blob(const fs::path& layout, const Json& descriptor, const std::string& what, const std::string& image) {
    if (!descriptor.is_object() || !descriptor.contains("digest") || !descriptor["digest"].is_string())
        return Error::bad_input(str("image ", image, ": ", what, ": a descriptor without a digest"));
    const std::string digest = descriptor["digest"].get<std::string>();
    if (!starts_with(digest, "sha256:") || !is_sha256_hex(digest.substr(7)))
        return Error::bad_input(str("image ", image, ": ", what, ": unsupported digest '", digest, "' (tinyx checks sha256)"));
    Blob blob{layout / "blobs" / "sha256" / digest.substr(7), digest, 0};
    std::error_code ec;
    if (!fs::is_regular_file(blob.path, ec))
        return Error::bad_input(str("image ", image, ": ", what, " ", digest, " is missing (no ", blob.path.string(), ")"));
    blob.size = fs::file_size(blob.path, ec);
    if (descriptor.contains("size") && descriptor["size"].is_number_unsigned() && descriptor["size"].get<std::uint64_t>() != blob.size)
        return Error::bad_input(str("image ", image, ": ", what, " ", digest, ": ", blob.size, " bytes, the descriptor says ",
                                    descriptor["size"].get<std::uint64_t>()));
    TRY_ASSIGN(std::string actual, sha256_file_hex(blob.path));
    if (actual != digest.substr(7))
        return Error::bad_input(str("image ", image, ": ", what, " ", digest, " is corrupt: its content hashes to sha256:", actual));
    return blob;
}

Result<Json> read_json_blob(const Blob& blob, const std::string& what) {
    TRY_ASSIGN(std::string text, read_file(blob.path));
    return parse_json(text, what);
}

std::vector<std::string> string_list(const Json& value) {
    std::vector<std::string> out;
    if (!value.is_array()) return out;
    for (const auto& item : value)
        if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

std::string string_field(const Json& object, const char* key) {
    return object.is_object() && object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

Result<ContainerConfig> parse_config(const Json& document, const std::string& image) {
    if (!document.is_object()) return Error::bad_input(str("image ", image, ": the image config is not a JSON object"));
    ContainerConfig config;
    config.architecture = string_field(document, "architecture");
    config.os = string_field(document, "os");
    if (document.contains("config") && document["config"].is_object()) {
        const Json& run = document["config"];
        if (run.contains("Entrypoint")) config.entrypoint = string_list(run["Entrypoint"]);
        if (run.contains("Cmd")) config.cmd = string_list(run["Cmd"]);
        if (run.contains("Env")) config.env = string_list(run["Env"]);
        config.working_dir = string_field(run, "WorkingDir");
        config.user = string_field(run, "User");
        if (run.contains("ExposedPorts") && run["ExposedPorts"].is_object())
            for (const auto& [key, unused] : run["ExposedPorts"].items()) {
                (void)unused;
                auto slash = key.find('/');
                const std::string protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
                int port = std::atoi(key.substr(0, slash).c_str());
                if (protocol == "tcp" && port > 0 && port < 65536) config.exposed_tcp_ports.push_back(port);
            }
    }
    return config;
}

Result<void> check_platform(const ContainerConfig& config, const Arch& arch, const std::string& image) {
    if (!config.os.empty() && config.os != "linux")
        return Error::bad_input(str("image ", image, ": built for os '", config.os, "', tinyx builds Linux VMs"));
    if (config.architecture != arch.package_arch)
        return Error::bad_input(str("image ", image, ": built for architecture '", config.architecture, "', but --arch ", arch.name,
                                    " needs ", arch.package_arch, " images"));
    return success();
}

bool is_index(const Json& descriptor) {
    const std::string type = string_field(descriptor, "mediaType");
    return type == "application/vnd.oci.image.index.v1+json" || type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

struct Selected {
    std::string digest;
    std::uint64_t bytes = 0;
    Blob config;
    std::vector<Blob> layers;
};

Result<Selected> select_oci_image(const fs::path& layout, const ImageReference& ref, const Arch& arch) {
    const std::string image = ref.text;
    std::error_code ec;
    if (!fs::is_regular_file(layout / "oci-layout", ec) || !fs::is_regular_file(layout / "index.json", ec))
        return Error::bad_input(str("image ", image, ": ", layout.string(), " is not an OCI image layout (no oci-layout or index.json)"));
    TRY_ASSIGN(std::string index_text, read_file(layout / "index.json"));
    TRY_ASSIGN(Json index, parse_json(index_text, str(layout.string(), "/index.json")));
    std::vector<Json> candidates;
    std::vector<std::string> tags;
    if (index.contains("manifests") && index["manifests"].is_array())
        for (const auto& descriptor : index["manifests"]) {
            std::string tag;
            if (descriptor.contains("annotations")) tag = string_field(descriptor["annotations"], k_ref_name_annotation);
            if (!tag.empty()) tags.push_back(tag);
            if (ref.tag.empty() || tag == ref.tag) candidates.push_back(descriptor);
        }
    if (candidates.empty())
        return Error::bad_input(str("image ", image, ": no image tagged '", ref.tag, "' (tags: ", tags.empty() ? "none" : join(tags, ", "), ")"));
    if (candidates.size() > 1)
        return Error::bad_input(str("image ", image, ": the layout holds ", candidates.size(), " images; name one with :TAG (tags: ",
                                    join(tags, ", "), ")"));
    Selected selected;
    selected.bytes = index_text.size();
    Json descriptor = candidates.front();
    if (is_index(descriptor)) {
        TRY_ASSIGN(Blob blob, verified_blob(layout, descriptor, "image index", image));
        selected.bytes += blob.size;
        TRY_ASSIGN(Json nested, read_json_blob(blob, str("image index ", blob.digest)));
        std::vector<std::string> platforms;
        Json chosen;
        if (nested.contains("manifests") && nested["manifests"].is_array())
            for (const auto& m : nested["manifests"]) {
                const Json platform = m.contains("platform") ? m["platform"] : Json::object();
                const std::string a = string_field(platform, "architecture"), os = string_field(platform, "os");
                platforms.push_back(str(os, "/", a));
                if (a == arch.package_arch && (os.empty() || os == "linux") && chosen.is_null()) chosen = m;
            }
        if (chosen.is_null())
            return Error::bad_input(str("image ", image, ": no linux/", arch.package_arch, " image in its index (has ", join(platforms, ", "),
                                        ")"));
        descriptor = chosen;
    }
    TRY_ASSIGN(Blob manifest_blob, verified_blob(layout, descriptor, "manifest", image));
    selected.digest = manifest_blob.digest;
    selected.bytes += manifest_blob.size;
    TRY_ASSIGN(Json manifest, read_json_blob(manifest_blob, str("manifest ", manifest_blob.digest)));
    if (!manifest.contains("config")) return Error::bad_input(str("image ", image, ": manifest ", manifest_blob.digest, " names no config"));
    TRY_ASSIGN(selected.config, verified_blob(layout, manifest["config"], "config", image));
    selected.bytes += selected.config.size;
    if (manifest.contains("layers") && manifest["layers"].is_array())
        for (const auto& layer : manifest["layers"]) {
            const std::string type = string_field(layer, "mediaType");
            if (type.find("tar") == std::string::npos || type.find("encrypted") != std::string::npos)
                return Error::bad_input(str("image ", image, ": layer media type '", type, "' is not a (gzip/zstd) tar layer"));
            TRY_ASSIGN(Blob blob, verified_blob(layout, layer, "layer", image));
            selected.bytes += blob.size;
            selected.layers.push_back(std::move(blob));
        }
    return selected;
}

// docker-archive: manifest.json names the config and the layers; the config's diff_ids
// are the sha256 of each (uncompressed) layer tar, and the config's own sha256 is the image ID.
Result<Selected> select_docker_image(const fs::path& dir, const ImageReference& ref) {
    const std::string image = ref.text;
    std::error_code ec;
    if (!fs::is_regular_file(dir / "manifest.json", ec))
        return Error::bad_input(str("image ", image, ": not a docker-archive (no manifest.json in it)"));
    TRY_ASSIGN(std::string text, read_file(dir / "manifest.json"));
    TRY_ASSIGN(Json manifest, parse_json(text, "manifest.json"));
    if (!manifest.is_array() || manifest.empty()) return Error::bad_input(str("image ", image, ": manifest.json lists no image"));
    Json chosen;
    std::vector<std::string> names;
    for (const auto& item : manifest) {
        auto tags = item.contains("RepoTags") ? string_list(item["RepoTags"]) : std::vector<std::string>{};
        names.insert(names.end(), tags.begin(), tags.end());
        if (ref.tag.empty() ? manifest.size() == 1 : std::find(tags.begin(), tags.end(), ref.tag) != tags.end()) chosen = item;
    }
    if (chosen.is_null())
        return Error::bad_input(str("image ", image, ": ", ref.tag.empty() ? "several images in the archive; name one" : "no image named " + ref.tag,
                                    " (has ", names.empty() ? "no names" : join(names, ", "), ")"));
    Selected selected;
    const std::string config_name = string_field(chosen, "Config");
    Blob config{dir / config_name, "", 0};
    if (config_name.empty() || !fs::is_regular_file(config.path, ec))
        return Error::bad_input(str("image ", image, ": its config ", config_name, " is missing"));
    TRY_ASSIGN(std::string config_hex, sha256_file_hex(config.path));
    const std::string stem = fs::path(config_name).stem().string();
    const std::string named = is_sha256_hex(stem) ? stem : fs::path(config_name).filename().string();
    if (is_sha256_hex(named) && named != config_hex)
        return Error::bad_input(str("image ", image, ": config ", config_name, " is corrupt: its content hashes to sha256:", config_hex));
    config.digest = "sha256:" + config_hex;
    config.size = fs::file_size(config.path, ec);
    TRY_ASSIGN(std::string config_text, read_file(config.path));
    TRY_ASSIGN(Json config_json, parse_json(config_text, config_name));
    std::vector<std::string> diff_ids;
    if (config_json.contains("rootfs") && config_json["rootfs"].is_object()) diff_ids = string_list(config_json["rootfs"]["diff_ids"]);
    auto layers = chosen.contains("Layers") ? string_list(chosen["Layers"]) : std::vector<std::string>{};
    if (layers.size() != diff_ids.size())
        return Error::bad_input(str("image ", image, ": ", layers.size(), " layers but ", diff_ids.size(), " diff_ids in the config"));
    for (std::size_t i = 0; i < layers.size(); ++i) {
        Blob blob{dir / layers[i], diff_ids[i], 0};
        if (!fs::is_regular_file(blob.path, ec)) return Error::bad_input(str("image ", image, ": layer ", layers[i], " is missing"));
        blob.size = fs::file_size(blob.path, ec);
        TRY_ASSIGN(std::string hex, sha256_file_hex(blob.path));
        if ("sha256:" + hex != diff_ids[i])
            return Error::bad_input(str("image ", image, ": layer ", layers[i], " is corrupt: it hashes to sha256:", hex, ", the config says ",
                                        diff_ids[i]));
        selected.layers.push_back(std::move(blob));
    }
    selected.config = config;
    selected.digest = config.digest;
    return selected;
}

Result<void> save_owners(const fs::path& file, const std::map<std::string, FileOwner>& owners) {
    std::ostringstream out;
    for (const auto& [path, owner] : owners) out << owner.uid << ' ' << owner.gid << ' ' << path << '\n';
    return write_file_atomic(file, out.str());
}

Result<std::map<std::string, FileOwner>> load_owners(const fs::path& file) {
    TRY_ASSIGN(std::string text, read_file(file));
    std::map<std::string, FileOwner> owners;
    for (const auto& line : split_lines(text)) {
        std::istringstream in(line);
        FileOwner owner;
        std::string path;
        if (!(in >> owner.uid >> owner.gid) || !std::getline(in >> std::ws, path)) continue;
        owners[path] = owner;
    }
    return owners;
}

} // namespace

const std::vector<std::string>& image_transports() {
    static const std::vector<std::string> transports = {"oci", "oci-archive", "docker-archive"};
    return transports;
}

Result<ImageReference> parse_image_reference(std::string_view text) {
    ImageReference ref;
    ref.text = std::string(text);
    auto colon = text.find(':');
    const std::string transport(text.substr(0, colon == std::string_view::npos ? 0 : colon));
    if (std::find(image_transports().begin(), image_transports().end(), transport) == image_transports().end())
        return Error::bad_input(str("--image ", text, ": unknown transport '", transport.empty() ? std::string(text) : transport,
                                    "' (tinyx reads local images: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE; "
                                    "pull from a registry first with skopeo copy docker://NAME oci:DIR:TAG)"));
    ref.transport = transport;
    std::string rest(text.substr(colon + 1));
    // PATH[:TAG]: a path that exists as written wins over a tag split.
    std::error_code ec;
    auto tag_colon = rest.find(':');
    if (tag_colon != std::string::npos && !fs::exists(rest, ec)) {
        ref.tag = rest.substr(tag_colon + 1);
        rest = rest.substr(0, tag_colon);
    }
    if (rest.empty()) return Error::bad_input(str("--image ", text, ": no path"));
    ref.path = rest;
    if (!fs::exists(ref.path, ec)) return Error::bad_input(str("--image ", text, ": ", rest, " does not exist"));
    return ref;
}

Result<void> apply_layer(const fs::path& layer, const fs::path& root, std::map<std::string, FileOwner>& owners) {
    ReadArchive in;
    archive_read_support_filter_all(in.handle);
    archive_read_support_format_tar(in.handle);
    archive_read_support_format_gnutar(in.handle);
    if (archive_read_open_filename(in.handle, layer.c_str(), 1 << 16) != ARCHIVE_OK)
        return Error::bad_input(str("layer ", layer.string(), ": ", archive_error_string(in.handle)));
    DiskWriter out;
    archive_write_disk_set_options(out.handle, k_extract_flags);
    std::set<std::string> from_this_layer; // an opaque directory hides lower layers only
    archive_entry* entry = nullptr;
    for (;;) {
        if (interrupt::requested()) return Error::interrupted();
        int r = archive_read_next_header(in.handle, &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return Error::bad_input(str("layer ", layer.string(), ": ", archive_error_string(in.handle)));
        TRY_ASSIGN(std::string name, clean_entry_path(archive_entry_pathname(entry), layer));
        if (name.empty()) continue; // the root itself
        const fs::path relative = name;
        const std::string base = relative.filename().string();
        TRY(check_no_links_above(root, relative, layer));
        if (base == ".wh..wh..opq") {
            const fs::path dir = root / relative.parent_path();
            std::error_code ec;
            std::vector<fs::path> children;
            for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) children.push_back(it->path());
            for (const auto& child : children) {
                const std::string inside = (relative.parent_path() / child.filename()).string();
                if (from_this_layer.count(inside)) continue;
                TRY(remove_path(child, layer));
                forget_owners_under(owners, "/" + inside);
            }
            continue;
        }
        if (starts_with(base, ".wh.")) {
            const fs::path victim = relative.parent_path() / base.substr(4);
            TRY(remove_path(root / victim, layer));
            forget_owners_under(owners, "/" + victim.string());
            continue;
        }
        const auto type = archive_entry_filetype(entry);
        const char* hardlink = archive_entry_hardlink(entry);
        if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue; // devices, fifos: the guest's devtmpfs has them
        const fs::path target = root / relative;
        std::error_code ec;
        auto existing = fs::symlink_status(target, ec);
        // A directory merges with a lower layer's directory; anything else replaces what was there.
        if (fs::exists(existing) && !(type == AE_IFDIR && !hardlink && fs::is_directory(existing))) TRY(remove_path(target, layer));
        archive_entry_set_pathname(entry, target.c_str());
        std::string link_inside;
        if (hardlink) {
            TRY_ASSIGN(link_inside, clean_entry_path(hardlink, layer));
            TRY(check_no_links_above(root, link_inside, layer));
            archive_entry_set_hardlink(entry, (root / link_inside).c_str());
        }
        if (archive_write_header(out.handle, entry) < ARCHIVE_WARN) {
            const int error = archive_errno(out.handle);
            if (is_machine_fault_errno(error)) return Error::from_errno(error, str("layer ", layer.string(), ": ", name));
            return Error::bad_input(str("layer ", layer.string(), ": ", name, ": ", archive_error_string(out.handle)));
        }
        if (type == AE_IFREG && !hardlink) {
            const void* block = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            while ((r = archive_read_data_block(in.handle, &block, &size, &offset)) == ARCHIVE_OK)
                if (archive_write_data_block(out.handle, block, size, offset) < ARCHIVE_WARN)
                    return Error::from_errno(archive_errno(out.handle), str("layer ", layer.string(), ": writing ", name));
            if (r < ARCHIVE_WARN) return Error::bad_input(str("layer ", layer.string(), ": ", name, ": ", archive_error_string(in.handle)));
        }
        if (archive_write_finish_entry(out.handle) < ARCHIVE_WARN)
            return Error::from_errno(archive_errno(out.handle), str("layer ", layer.string(), ": ", name));
        from_this_layer.insert(name);
        FileOwner owner{unsigned(archive_entry_uid(entry)), unsigned(archive_entry_gid(entry))};
        if (hardlink) {
            auto linked = owners.find("/" + link_inside);
            if (linked != owners.end()) owner = linked->second;
        }
        owners["/" + name] = owner;
    }
    if (archive_write_close(out.handle) < ARCHIVE_WARN)
        return Error::from_errno(archive_errno(out.handle), str("layer ", layer.string()));
    return success();
}

Result<UnpackedImage> unpack_container_image(std::string_view reference, std::string_view arch_name, const fs::path& cache,
                                             const ImageCheck& check) {
    TRY_ASSIGN(ImageReference ref, parse_image_reference(reference));
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    TRY(make_directories(cache));
    std::error_code ec;
    const fs::path cache_root = fs::canonical(cache, ec); // SECURE_SYMLINKS checks every component of the target
    if (ec) return Error::from_errno(ec.value(), cache.string());

    UnpackedImage image;
    image.reference = ref;
    Selected selected;
    std::optional<TempDir> extracted; // an archive's members, while its blobs are read
    if (ref.transport == "oci") {
        if (!fs::is_directory(ref.path, ec)) return Error::bad_input(str("--image ", ref.text, ": ", ref.path.string(), " is not a directory"));
        TRY_ASSIGN(selected, select_oci_image(ref.path, ref, *arch));
        image.image_bytes = selected.bytes;
    } else {
        if (!fs::is_regular_file(ref.path, ec)) return Error::bad_input(str("--image ", ref.text, ": ", ref.path.string(), " is not a file"));
        TRY_ASSIGN(TempDir dir, TempDir::create(".archive-", cache_root));
        extracted.emplace(std::move(dir));
        TRY(extract_all(ref.path, extracted->path(), str("--image ", ref.text)));
        if (ref.transport == "oci-archive") {
            TRY_ASSIGN(selected, select_oci_image(extracted->path(), ref, *arch));
        } else {
            TRY_ASSIGN(selected, select_docker_image(extracted->path(), ref));
        }
        image.image_bytes = fs::file_size(ref.path, ec);
    }
    TRY_ASSIGN(std::string config_text, read_file(selected.config.path));
    TRY_ASSIGN(Json config_json, parse_json(config_text, str("image config ", selected.config.digest)));
    TRY_ASSIGN(image.config, parse_config(config_json, ref.text));
    TRY(check_platform(image.config, *arch, ref.text));
    image.manifest_digest = selected.digest;
    image.layers = selected.layers.size();
    if (check) TRY(check(image));

    const fs::path unpacked = cache_root / selected.digest.substr(7);
    if (!fs::is_regular_file(unpacked / "complete", ec)) {
        log::Progress progress("image");
        TRY_ASSIGN(TempDir staging, TempDir::create(".unpack-", cache_root));
        const fs::path root = staging.path() / "rootfs";
        TRY(make_directories(root));
        std::map<std::string, FileOwner> owners;
        for (std::size_t i = 0; i < selected.layers.size(); ++i) {
            progress.update(str("applying layer ", i + 1, "/", selected.layers.size(), " (", human_bytes(selected.layers[i].size), ")"));
            TRY(apply_layer(selected.layers[i].path, root, owners));
        }
        TRY(save_owners(staging.path() / "owners", owners));
        TRY(write_file_atomic(staging.path() / "complete", selected.digest + "\n"));
        fs::remove_all(unpacked, ec); // an incomplete earlier unpack
        fs::rename(staging.path(), unpacked, ec);
        if (ec) return Error::from_errno(ec.value(), str("moving the unpacked image to ", unpacked.string()));
        staging.keep();
        progress.finish(str(ref.text, ": ", selected.layers.size(), " layers unpacked"));
    } else {
        log::verbose(str("image: ", ref.text, ": unpacked before (", unpacked.string(), ")"));
    }
    TRY_ASSIGN(auto owners, load_owners(unpacked / "owners"));
    image.root = SourceRoot(unpacked / "rootfs", std::move(owners));
    return image;
}

} // namespace tinyx::packagers
