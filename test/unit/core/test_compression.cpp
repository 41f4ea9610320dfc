#include "core/compression.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace tinyx;

TEST_CASE("compressions: one table of names and the Kconfig symbols that go with them") {
    auto zstd = find_compression("zstd", "--compression");
    REQUIRE(zstd);
    CHECK((*zstd)->kernel_symbol == "KERNEL_ZSTD");
    CHECK((*zstd)->initramfs_symbol == "RD_ZSTD");
    auto none = find_compression("none", "--compression");
    REQUIRE(none);
    CHECK((*none)->kernel_symbol.empty());
    CHECK((*none)->initramfs_symbol.empty());
    auto bad = find_compression("lzo", "--kernel-compression");
    REQUIRE(!bad);
    CHECK(bad.error().exit == Exit::bad_input);
    CHECK(bad.error().message == "--kernel-compression: unknown compression 'lzo' (expected xz, zstd, gzip, none)");
    // Every decompressor the table needs is among the kernel's, which a kernel keeps one of.
    std::set<std::string_view> decompressors(initramfs_decompressor_symbols().begin(), initramfs_decompressor_symbols().end());
    CHECK(decompressors.size() == 7);
    for (const auto& kind : compressions())
        if (!kind.initramfs_symbol.empty()) CHECK(decompressors.count(kind.initramfs_symbol) == 1);
}
