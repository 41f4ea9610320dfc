#include "core/fs.hpp"
#include "guest_tree.hpp"
#include "source_root.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::packagers;

namespace {

// An image-like root: merged /usr, an absolute link as images have them, a link that
// tries to climb out, and a loop.
fs::path make_root(const fs::path& dir) {
    REQUIRE(make_directories(dir / "usr/lib/x86_64-linux-gnu"));
    REQUIRE(make_directories(dir / "etc"));
    REQUIRE(write_file_atomic(dir / "usr/lib/x86_64-linux-gnu/ld.so", "loader"));
    REQUIRE(write_file_atomic(dir / "etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
    fs::create_symlink("usr/lib", dir / "lib");
    REQUIRE(make_directories(dir / "lib64-dir"));
    fs::create_symlink("lib64-dir", dir / "lib64");
    fs::create_symlink("/lib/x86_64-linux-gnu/ld.so", dir / "lib64-dir/ld-linux.so.2");
    fs::create_symlink("../../../../etc/passwd", dir / "usr/lib/climb");
    fs::create_symlink("loop-b", dir / "loop-a");
    fs::create_symlink("loop-a", dir / "loop-b");
    return dir;
}

} // namespace

TEST_CASE("SourceRoot resolves links inside the root, never on the host") {
    auto temp = TempDir::create("tinyx-root-");
    REQUIRE(temp);
    SourceRoot root(make_root(temp->path() / "rootfs"));
    CHECK_FALSE(root.is_host());
    CHECK(root.real("/usr/lib") == temp->path() / "rootfs/usr/lib");
    auto loader = root.canonical("/lib64/ld-linux.so.2");
    REQUIRE(loader);
    CHECK(*loader == "/usr/lib/x86_64-linux-gnu/ld.so"); // the absolute target is the root's, not the host's /lib
    auto climbed = root.canonical("/usr/lib/climb");
    REQUIRE(climbed);
    CHECK(*climbed == "/etc/passwd"); // ".." stops at the root's top
    auto loop = root.canonical("/loop-a");
    REQUIRE_FALSE(loop);
    CHECK(loop.error().message.find("too many levels") != std::string::npos);
    CHECK_FALSE(root.exists("/lib/missing.so"));
}

TEST_CASE("SourceRoot: the host is /, and recorded owners override the disk's") {
    SourceRoot host;
    CHECK(host.is_host());
    CHECK(host.real("/etc/passwd") == "/etc/passwd");
    auto temp = TempDir::create("tinyx-root-");
    REQUIRE(temp);
    SourceRoot root(temp->path(), {{"/srv/data", FileOwner{33, 34}}});
    REQUIRE(root.owner("/srv/data"));
    CHECK(root.owner("/srv/data")->uid == 33);
    CHECK_FALSE(root.owner("/srv"));
}

TEST_CASE("GuestTree over an image root: guest paths are the root's, sources are under it") {
    auto temp = TempDir::create("tinyx-root-");
    REQUIRE(temp);
    const fs::path dir = make_root(temp->path() / "rootfs");
    SourceRoot root(dir, {{"/usr/lib/x86_64-linux-gnu/ld.so", FileOwner{5, 6}}});
    GuestTree tree(root);
    REQUIRE(tree.add_host("/lib64/ld-linux.so.2", "closure", true));
    // The directory link and the file link come along, the file at its resolved path.
    REQUIRE(tree.find("/lib64"));
    CHECK(tree.find("/lib64")->kind == EntryKind::symlink);
    REQUIRE(tree.find("/lib64-dir/ld-linux.so.2"));
    const TreeEntry* loader = tree.find("/usr/lib/x86_64-linux-gnu/ld.so");
    REQUIRE(loader);
    CHECK(loader->source == (dir / "usr/lib/x86_64-linux-gnu/ld.so").string());
    CHECK(loader->uid == 5);
    CHECK(loader->gid == 6);
}
