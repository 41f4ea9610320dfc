// The kernel image store: built images by the hash of their resolved .config, the most recently
// used ones kept, each with its config, and what input configs resolved to.
#include "pruner/kernel_store.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace tinyx;
using namespace tinyx::pruner;

TEST_CASE("kernel store: keeps the most recently used images", "[pruner][store]") {
    auto dir = TempDir::create("tinyx-store-");
    REQUIRE(dir);
    REQUIRE(write_file_atomic(dir->path() / "image", "bzImage bytes"));
    KernelStore store(dir->path() / "images", ".kernel", 2);
    CHECK_FALSE(store.find("aaaa"));
    REQUIRE(store.put("aaaa", dir->path() / "image", "CONFIG_AAAA=y\n"));
    REQUIRE(store.put("bbbb", dir->path() / "image", "CONFIG_BBBB=y\n"));
    // Deterministic ages: aaaa used long ago, bbbb more recently; a lookup refreshes aaaa.
    const auto now = fs::file_time_type::clock::now();
    fs::last_write_time(dir->path() / "images" / "aaaa.kernel", now - std::chrono::hours(2));
    fs::last_write_time(dir->path() / "images" / "bbbb.kernel", now - std::chrono::hours(1));
    REQUIRE(store.find("aaaa"));
    REQUIRE(store.put("cccc", dir->path() / "image", "CONFIG_CCCC=y\n"));
    CHECK(store.find("aaaa"));
    CHECK(store.find("cccc"));
    CHECK_FALSE(store.find("bbbb")); // the least recently used one went
    CHECK(read_file(*store.find("cccc")).value() == "bzImage bytes");
    CHECK(store.config("cccc").value() == "CONFIG_CCCC=y\n");
    CHECK_FALSE(store.config("bbbb")); // evicted with its image
    CHECK_FALSE(store.find(""));

    CHECK_FALSE(store.recall_resolution("input"));
    store.remember_resolution("input", "cccc");
    CHECK(store.recall_resolution("input").value() == "cccc");
}

TEST_CASE("kernel store: an image is never stored without its config, and a lookup of nothing finds nothing", "[pruner][store]") {
    auto dir = TempDir::create("tinyx-store-");
    REQUIRE(dir);
    KernelStore store(dir->path() / "images");
    CHECK_FALSE(store.put("", dir->path() / "missing", "CONFIG_A=y\n")); // no hash: refused
    CHECK_FALSE(store.put("dddd", dir->path() / "missing", "CONFIG_D=y\n")); // no image: an error, nothing half-stored
    CHECK_FALSE(store.find("dddd"));
    REQUIRE(write_file_atomic(dir->path() / "image", "bytes"));
    auto stored = store.put("eeee", dir->path() / "image", "CONFIG_E=y\n");
    REQUIRE(stored);
    CHECK(stored->parent_path() == dir->path() / "images");
    CHECK(store.find("eeee") == *stored);
    CHECK(store.config("eeee").value() == "CONFIG_E=y\n");
    CHECK_FALSE(store.config(""));
    CHECK(store.dir() == dir->path() / "images");
}
