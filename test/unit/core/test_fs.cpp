#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace tinyx;

TEST_CASE("fs: atomic write replaces content and leaves no temporary files") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto target = dir->path() / "report.json";
    REQUIRE(write_file_atomic(target, "first").ok());
    REQUIRE(write_file_atomic(target, "second", fs::perms(0600)).ok());
    CHECK(*read_file(target) == "second");
    CHECK((fs::status(target).permissions() & fs::perms::all) == fs::perms(0600));
    int entries = 0;
    for ([[maybe_unused]] auto& entry : fs::directory_iterator(dir->path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("fs: an uncommitted AtomicFile leaves the old content") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto target = dir->path() / "config";
    REQUIRE(write_file_atomic(target, "old").ok());
    {
        auto file = AtomicFile::create(target);
        REQUIRE(file.ok());
        REQUIRE(file->write("half of the new").ok());
    }
    CHECK(*read_file(target) == "old");
    int entries = 0;
    for ([[maybe_unused]] auto& entry : fs::directory_iterator(dir->path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("fs: writing into a missing directory is a bad-input error naming the file") {
    auto result = write_file_atomic("/nonexistent-tinyx-dir/x", "data");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().exit == Exit::bad_input);
    CHECK(result.error().message.find("/nonexistent-tinyx-dir/x") != std::string::npos);
}

TEST_CASE("fs: a temporary directory is removed with its contents, unless kept") {
    fs::path removed, kept;
    {
        auto dir = TempDir::create("tinyx-test-");
        REQUIRE(dir.ok());
        removed = dir->path();
        REQUIRE(make_directories(removed / "a" / "b").ok());
        REQUIRE(write_file_atomic(removed / "a" / "b" / "f", "x").ok());
        auto other = TempDir::create("tinyx-test-");
        REQUIRE(other.ok());
        kept = other->path();
        other->keep();
    }
    CHECK_FALSE(fs::exists(removed));
    CHECK(fs::exists(kept));
    fs::remove_all(kept);
}

TEST_CASE("fs: read_file of a missing file names it") {
    auto result = read_file("/nonexistent-tinyx-file");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("/nonexistent-tinyx-file") != std::string::npos);
}
