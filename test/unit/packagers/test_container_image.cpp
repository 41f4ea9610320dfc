#include "container_image.hpp"
#include "core/fs.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/strings.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::packagers;

namespace {

struct TarEntry {
    TarEntry(std::string p, char k = 'f', std::string d = {}, unsigned u = 0) : path(std::move(p)), kind(k), data(std::move(d)), uid(u) {}
    std::string path;
    char kind;        // f file, d directory, l symlink, h hardlink
    std::string data; // content, or the link's target
    unsigned uid;
};

void write_tar(const fs::path& file, const std::vector<TarEntry>& entries) {
    archive* out = archive_write_new();
    archive_write_set_format_pax_restricted(out);
    REQUIRE(archive_write_open_filename(out, file.c_str()) == ARCHIVE_OK);
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.path.c_str());
        archive_entry_set_uid(entry, e.uid);
        archive_entry_set_gid(entry, e.uid);
        if (e.kind == 'd') {
            archive_entry_set_filetype(entry, AE_IFDIR);
            archive_entry_set_perm(entry, 0755);
        } else if (e.kind == 'l') {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.data.c_str());
        } else if (e.kind == 'h') {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.data.c_str());
        } else {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, 0644);
            archive_entry_set_size(entry, la_int64_t(e.data.size()));
        }
        REQUIRE(archive_write_header(out, entry) == ARCHIVE_OK);
        if (e.kind == 'f' && !e.data.empty()) archive_write_data(out, e.data.data(), e.data.size());
        archive_entry_free(entry);
    }
    archive_write_close(out);
    archive_write_free(out);
}

bool present(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found;
}

// A one-layer OCI layout with a tag; returns the layer's digest hex.
std::string write_layout(const fs::path& layout, const std::string& architecture) {
    REQUIRE(make_directories(layout / "blobs/sha256"));
    const fs::path layer = layout / "layer.tar";
    write_tar(layer, {{"bin", 'd'}, {"bin/app", 'f', "#!/bin/sh\n"}});
    auto blob = [&](const std::string& content) {
        const std::string hex = sha256_hex(content);
        REQUIRE(write_file_atomic(layout / "blobs/sha256" / hex, content));
        return hex;
    };
    auto layer_bytes = read_file(layer);
    REQUIRE(layer_bytes);
    const std::string layer_hex = blob(*layer_bytes);
    fs::remove(layer);
    const std::string config = dump_json(Json{{"architecture", architecture}, {"os", "linux"},
                                              {"config", {{"Cmd", {"/bin/app"}}, {"Env", {"A=1"}}, {"ExposedPorts", {{"80/tcp", Json::object()}}}}},
                                              {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + layer_hex}}}}});
    const std::string config_hex = blob(config);
    const std::string manifest = dump_json(Json{
        {"schemaVersion", 2},
        {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", "sha256:" + config_hex}, {"size", config.size()}}},
        {"layers", Json::array({Json{{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", "sha256:" + layer_hex},
                                     {"size", layer_bytes->size()}}})}});
    const std::string manifest_hex = blob(manifest);
    REQUIRE(write_file_atomic(layout / "oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}"));
    REQUIRE(write_file_atomic(layout / "index.json",
                              dump_json(Json{{"schemaVersion", 2},
                                             {"manifests", Json::array({Json{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                                                             {"digest", "sha256:" + manifest_hex},
                                                                             {"size", manifest.size()},
                                                                             {"annotations", {{"org.opencontainers.image.ref.name", "v1"}}}}})}})));
    return layer_hex;
}

} // namespace

TEST_CASE("apply_layer: whiteouts delete, opaque directories hide the lower layers, owners are recorded") {
    auto temp = TempDir::create("tinyx-layers-");
    REQUIRE(temp);
    const fs::path root = temp->path() / "rootfs";
    REQUIRE(make_directories(root));
    std::map<std::string, FileOwner> owners;
    write_tar(temp->path() / "1.tar", {{"a", 'f', "a1"},
                                       {"d", 'd'},
                                       {"d/x", 'f', "x"},
                                       {"d/sub", 'd'},
                                       {"d/sub/y", 'f', "y"},
                                       {"h", 'h', "a"},
                                       {"s", 'l', "a"},
                                       {"data", 'd', "", 33}});
    write_tar(temp->path() / "2.tar", {{"./.wh.a", 'f'}, {"d/", 'd'}, {"d/z", 'f', "z"}, {"d/.wh..wh..opq", 'f'}, {"e", 'f', "e"}});
    REQUIRE(apply_layer(temp->path() / "1.tar", root, owners));
    CHECK(owners.at("/data").uid == 33);
    CHECK(owners.count("/d/sub/y") == 1);
    REQUIRE(apply_layer(temp->path() / "2.tar", root, owners));
    CHECK_FALSE(present(root / "a"));
    CHECK(*read_file(root / "h") == "a1"); // a hard link keeps the content its twin had
    CHECK(fs::is_symlink(root / "s"));     // now dangling, as in a container
    CHECK(present(root / "d/z"));           // written in the same layer as the opaque marker, before it
    CHECK_FALSE(present(root / "d/x"));
    CHECK_FALSE(present(root / "d/sub"));
    CHECK_FALSE(present(root / "d/.wh..wh..opq"));
    CHECK(*read_file(root / "e") == "e");
    CHECK(owners.count("/a") == 0);
    CHECK(owners.count("/d/sub/y") == 0);
}

TEST_CASE("apply_layer: an entry that leads out of the root is bad input") {
    auto temp = TempDir::create("tinyx-layers-");
    REQUIRE(temp);
    REQUIRE(make_directories(temp->path() / "rootfs"));
    write_tar(temp->path() / "evil.tar", {{"../outside", 'f', "x"}});
    std::map<std::string, FileOwner> owners;
    auto applied = apply_layer(temp->path() / "evil.tar", temp->path() / "rootfs", owners);
    REQUIRE_FALSE(applied);
    CHECK(applied.error().exit == Exit::bad_input);
    CHECK_FALSE(present(temp->path() / "outside"));
}

TEST_CASE("apply_layer: nothing is written, linked or removed through an image's symlink") {
    auto temp = TempDir::create("tinyx-layers-");
    REQUIRE(temp);
    const fs::path root = temp->path() / "rootfs", host = temp->path() / "host";
    REQUIRE(make_directories(root));
    REQUIRE(make_directories(host));
    REQUIRE(write_file_atomic(host / "precious", "keep me"));
    std::map<std::string, FileOwner> owners;
    write_tar(temp->path() / "1.tar", {{"escape", 'l', host.string()}});
    REQUIRE(apply_layer(temp->path() / "1.tar", root, owners));
    for (const auto& evil : std::vector<TarEntry>{{"escape/.wh.precious", 'f'}, {"escape/.wh..wh..opq", 'f'},
                                                  {"escape/precious", 'f', "overwritten"}, {"stolen", 'h', "escape/precious"}}) {
        write_tar(temp->path() / "2.tar", {evil});
        auto applied = apply_layer(temp->path() / "2.tar", root, owners);
        REQUIRE_FALSE(applied);
        CHECK(applied.error().exit == Exit::bad_input);
        CHECK(*read_file(host / "precious") == "keep me");
        CHECK_FALSE(present(root / "stolen"));
    }
}

TEST_CASE("image references: skopeo's local transports, nothing else") {
    auto temp = TempDir::create("tinyx-ref-");
    REQUIRE(temp);
    auto ref = parse_image_reference(str("oci:", temp->path().string(), ":v1"));
    REQUIRE(ref);
    CHECK(ref->transport == "oci");
    CHECK(ref->path == temp->path());
    CHECK(ref->tag == "v1");
    auto untagged = parse_image_reference(str("oci-archive:", temp->path().string()));
    REQUIRE(untagged);
    CHECK(untagged->tag.empty());
    auto registry = parse_image_reference("docker://debian:12");
    REQUIRE_FALSE(registry);
    CHECK(registry.error().exit == Exit::bad_input);
    CHECK(registry.error().message.find("skopeo copy") != std::string::npos);
    CHECK_FALSE(parse_image_reference(str("oci:", temp->path().string(), "/missing")));
}

TEST_CASE("unpack_container_image: verified blobs, the config's defaults, the architecture checked") {
    auto temp = TempDir::create("tinyx-oci-");
    REQUIRE(temp);
    const fs::path layout = temp->path() / "layout";
    const std::string layer = write_layout(layout, "amd64");
    auto image = unpack_container_image(str("oci:", layout.string(), ":v1"), "x86_64", temp->path() / "cache");
    REQUIRE(image);
    CHECK(image->config.cmd == std::vector<std::string>{"/bin/app"});
    CHECK(image->config.env == std::vector<std::string>{"A=1"});
    CHECK(image->config.exposed_tcp_ports == std::vector<int>{80});
    CHECK(image->layers == 1);
    CHECK(image->root.exists("/bin/app"));
    CHECK(starts_with(image->manifest_digest, "sha256:"));

    // One flipped byte in the layer: refused by its digest, never unpacked.
    auto bytes = read_file(layout / "blobs/sha256" / layer);
    REQUIRE(bytes);
    std::string changed = *bytes;
    changed[10] ^= 1;
    REQUIRE(write_file_atomic(layout / "blobs/sha256" / layer, changed));
    auto corrupt = unpack_container_image(str("oci:", layout.string(), ":v1"), "x86_64", temp->path() / "cache2");
    REQUIRE_FALSE(corrupt);
    CHECK(corrupt.error().exit == Exit::bad_input);
    CHECK(corrupt.error().message.find("is corrupt") != std::string::npos);

    const fs::path arm = temp->path() / "arm";
    write_layout(arm, "arm64");
    auto foreign = unpack_container_image(str("oci:", arm.string()), "x86_64", temp->path() / "cache3");
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error().message.find("'arm64'") != std::string::npos);
}
