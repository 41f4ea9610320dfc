#include "core/fs.hpp"
#include "core/process.hpp"
#include "archive.hpp"
#include "guest_tree.hpp"
#include "packagers/rootfs.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::packagers;

TEST_CASE("GuestTree: merged-/usr paths, symlink targets, parents, excludes") {
    GuestTree tree;
    REQUIRE(tree.add_host("/lib/x86_64-linux-gnu/libc.so.6", "test"));
    if (fs::is_symlink("/lib")) {
        REQUIRE(tree.find("/lib"));
        CHECK(tree.find("/lib")->kind == EntryKind::symlink);
        CHECK(tree.contains("/usr/lib/x86_64-linux-gnu/libc.so.6"));
    }
    REQUIRE(tree.add_host("/usr/lib/x86_64-linux-gnu/libz.so.1", "test")); // a symlink: its target comes along
    auto target = fs::canonical("/usr/lib/x86_64-linux-gnu/libz.so.1");
    CHECK(tree.contains(target.string()));
    tree.add_file("/etc/app/app.conf", "x", 0600, "generated");
    tree.add_missing_parents();
    REQUIRE(tree.find("/etc/app"));
    CHECK(tree.find("/etc/app")->kind == EntryKind::directory);
    CHECK(tree.exclude({"/etc/app"}) == 2);
    CHECK_FALSE(tree.contains("/etc/app/app.conf"));
    CHECK(tree.exclude({"*/libz.so*"}) >= 1);
}

TEST_CASE("GuestTree: excluding every file of a directory leaves the directory; excluding the directory does not") {
    GuestTree tree;
    tree.add_file("/usr/lib/app/lib/plugin.so", "x", 0644, "test");
    tree.add_file("/usr/lib/app/share/data", "y", 0644, "test");
    tree.add_missing_parents();
    CHECK(tree.exclude({"/usr/lib/app/lib/plugin.so"}) == 1);
    REQUIRE(tree.find("/usr/lib/app/lib"));
    CHECK(tree.find("/usr/lib/app/lib")->kind == EntryKind::directory);
    CHECK(tree.exclude({"/usr/lib/app/share"}) == 2);
    CHECK_FALSE(tree.contains("/usr/lib/app/share"));
}

TEST_CASE("GuestTree: an explicit file replaces the file gathered at its guest path") {
    auto temp = TempDir::create("tinyx-tree-");
    REQUIRE(temp);
    const auto mine = temp->path() / "my.conf";
    REQUIRE(write_file_atomic(mine, "listen 8080;\n"));
    GuestTree tree;
    REQUIRE(tree.add_host("/etc/hostname", "package config"));
    REQUIRE(tree.add_host_tree(SourceRoot(), mine, "/etc/hostname", "--include"));
    REQUIRE(tree.find("/etc/hostname"));
    CHECK(tree.find("/etc/hostname")->source == mine.string());
    CHECK(tree.find("/etc/hostname")->reason == "--include");
}

TEST_CASE("image formats and compressions are validated by name") {
    CHECK(find_image_format("initramfs"));
    CHECK(find_image_format("qcow2"));
    auto bad = find_image_format("iso");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit == Exit::bad_input);
    CHECK(bad.error().message.find("iso") != std::string::npos);
    CHECK(parse_compression("xz"));
    REQUIRE_FALSE(parse_compression("bzip2"));
    CHECK(parse_compression("bzip2").error().message.find("bzip2") != std::string::npos);
}

TEST_CASE("cpio: sorted newc entries, root-owned unless told, mtimes clamped, reproducible") {
    auto temp = TempDir::create("tinyx-cpio-");
    REQUIRE(temp);
    GuestTree tree;
    tree.add_file("/b/file", "hello\n", 0644, "t");
    tree.add_directory("/a/state", 0750, 33, 33, "t");
    tree.add_symlink("/b/link", "file", "t");
    tree.add_char_device("/dev/console", 5, 1, 0600, "t");
    REQUIRE(tree.add_host("/etc/hostname", "t")); // a host file with a real mtime
    tree.add_missing_parents();
    const auto first = temp->path() / "one.cpio", second = temp->path() / "two.cpio";
    REQUIRE(write_cpio(tree, first, Compression::none, 1000));
    REQUIRE(write_cpio(tree, second, Compression::none, 1000));
    CHECK(*read_file(first) == *read_file(second));

    ProcessSpec list;
    list.argv = {"sh", "-c", "cpio -itvn --quiet < " + first.string()};
    auto listed = run_process(list);
    REQUIRE(listed);
    REQUIRE(listed->success());
    const std::string& out = listed->out;
    CHECK(out.find("a/state") < out.find("b/file"));
    CHECK(out.find("33") != std::string::npos);
    CHECK(out.find("1970") != std::string::npos); // 1000 s after the epoch; nothing newer survives
    CHECK(out.find("2026") == std::string::npos);
}

TEST_CASE("compressed cpio: gzip, zstd and kernel-compatible xz decompress to the same archive") {
    auto temp = TempDir::create("tinyx-cpio-");
    REQUIRE(temp);
    GuestTree tree;
    tree.add_file("/etc/x", std::string(100000, 'x'), 0644, "t");
    tree.add_missing_parents();
    REQUIRE(write_cpio(tree, temp->path() / "plain.cpio", Compression::none, 0));
    for (auto [compression, tool] : {std::pair{Compression::gzip, "gzip -dc"}, std::pair{Compression::xz, "xz -dc"},
                                     std::pair{Compression::zstd, "zstd -dcq"}}) {
        const auto path = temp->path() / (std::string("image.cpio") + compression_suffix(compression));
        REQUIRE(write_cpio(tree, path, compression, 0));
        ProcessSpec cmp;
        cmp.argv = {"sh", "-c", std::string(tool) + " " + path.string() + " | cmp - " + (temp->path() / "plain.cpio").string()};
        auto result = run_process(cmp);
        REQUIRE(result);
        CHECK(result->success());
    }
    // The kernel's xz decoder accepts CRC32 (or none), never CRC64.
    ProcessSpec check;
    check.argv = {"sh", "-c", "xz --robot --list " + (temp->path() / "image.cpio.xz").string() + " | grep ^file | cut -f7"};
    auto result = run_process(check);
    REQUIRE(result);
    CHECK(result->out == "CRC32\n");
}

TEST_CASE("compressed cpio: what the guest's kernel allocates to unpack it is bounded: xz's dictionary, zstd's window") {
    auto temp = TempDir::create("tinyx-window-");
    REQUIRE(temp);
    // 6 MiB that repeats every MiB: a larger dictionary or window would find the repeats further back.
    std::string data;
    for (int i = 0; i < (1 << 20); ++i) data += char((i * 2654435761u) >> 24);
    std::string repeated;
    for (int i = 0; i < 6; ++i) repeated += data;
    for (auto [compress, name] : {std::pair{&xz_compress, "data.xz"}, std::pair{&zstd_compress, "data.zst"}}) {
        auto packed = compress(repeated);
        REQUIRE(packed);
        REQUIRE(write_file_atomic(temp->path() / name, *packed));
    }
    ProcessSpec xz;
    xz.argv = {"sh", "-c", "xz --robot -lvv " + (temp->path() / "data.xz").string() + " | grep ^block | cut -f16"};
    auto xz_list = run_process(xz);
    REQUIRE(xz_list);
    CHECK(xz_list->out == "--x86 --lzma2=dict=4MiB\n");
    ProcessSpec zstd;
    zstd.argv = {"sh", "-c", "zstd -lv " + (temp->path() / "data.zst").string() + " 2>&1 | grep 'Window Size'"};
    auto zstd_list = run_process(zstd);
    REQUIRE(zstd_list);
    CHECK(zstd_list->out.find("(2097152 B)") != std::string::npos);
    // Both still decompress to the data.
    ProcessSpec round_trip;
    round_trip.argv = {"bash", "-c", "xz -dc " + (temp->path() / "data.xz").string() + " | cmp - <(zstd -dcq " +
                                         (temp->path() / "data.zst").string() + ")"};
    auto same = run_process(round_trip);
    REQUIRE(same);
    CHECK(same->success());
    CHECK(decompress_bytes(*zstd_compress(repeated)).value() == repeated);
}

TEST_CASE("recompress_initramfs: another compression of an image has the bytes a build with it writes") {
    auto temp = TempDir::create("tinyx-recompress-");
    REQUIRE(temp);
    GuestTree tree;
    tree.add_file("/etc/x", std::string(100000, 'x'), 0644, "t");
    tree.add_file("/etc/y", "why\n", 0644, "t");
    tree.add_missing_parents();
    REQUIRE(write_cpio(tree, temp->path() / "initramfs.cpio.xz", Compression::xz, 0));
    RootfsResult image;
    image.format = "initramfs";
    image.compression = "xz";
    image.image = temp->path() / "initramfs.cpio.xz";
    image.manifest_json = {{"compression", "xz"}, {"image", "initramfs.cpio.xz"}};
    for (auto [name, compression] : {std::pair{"gzip", Compression::gzip}, std::pair{"zstd", Compression::zstd},
                                     std::pair{"none", Compression::none}, std::pair{"xz", Compression::xz}}) {
        const auto built = temp->path() / "built" / name;
        REQUIRE(make_directories(built));
        REQUIRE(write_cpio(tree, built / "image", compression, 0));
        const auto into = temp->path() / "recompressed" / name;
        REQUIRE(make_directories(into));
        auto again = recompress_initramfs(image, name, into);
        REQUIRE(again);
        CHECK(again->compression == name);
        CHECK(again->image == into / (std::string("initramfs.cpio") + compression_suffix(compression)));
        CHECK(read_file(again->image).value() == read_file(built / "image").value());
        CHECK(again->image_bytes == fs::file_size(again->image));
        CHECK(again->manifest_json["compression"] == name);
        CHECK(again->manifest_json["image_bytes"] == again->image_bytes);
    }
    CHECK(recompress_initramfs(image, "lzo", temp->path()).error().exit == Exit::bad_input);
}
