// Writing a GuestTree with libarchive: a cpio "newc" initramfs (optionally
// compressed) and a tar for the disk-image path. Entries come out in path
// order, owned by root unless the tree says otherwise, with inode numbers
// assigned in that order and every mtime clamped to the build's epoch, so the
// same inputs give the same bytes.
#pragma once

#include "core/result.hpp"
#include "guest_tree.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tinyx::packagers {

enum class Compression { none, gzip, xz, zstd };

// "gzip", "xz", "zstd", "none"; anything else is a bad-input error naming the value.
Result<Compression> parse_compression(std::string_view name);
const char* compression_name(Compression compression);
// ".gz", ".xz", ".zst" or "".
const char* compression_suffix(Compression compression);

// What the guest's kernel allocates to unpack a compressed initramfs, at most: xz's dictionary
// and zstd's window (gzip's is 32 KiB). Chosen against bytes for nginx (docs/optimize.md).
inline constexpr std::uint32_t kXzDictionaryBytes = 4u << 20;
inline constexpr int kZstdWindowLog = 21; // 2 MiB

// The kernel-readable stream of `raw` (gzip -9, xz as below, zstd -19 with a 2 MiB window; none:
// as is), and back (any of them, recognised by its header).
Result<std::string> compress_bytes(std::string_view raw, Compression compression);
Result<std::string> decompress_bytes(std::string_view data);

Result<void> write_cpio(const GuestTree& tree, const std::filesystem::path& output, Compression compression, std::int64_t epoch);
Result<void> write_tar(const GuestTree& tree, const std::filesystem::path& output, std::int64_t epoch);

// xz as the kernel's decompressor accepts it: CRC32 check (it rejects CRC64, xz's
// default), LZMA2 only, dictionary no larger than the data nor kXzDictionaryBytes. zstd at
// level 19 with a window of 2^kZstdWindowLog. Exposed for tests.
Result<std::string> xz_compress(std::string_view data);
Result<std::string> zstd_compress(std::string_view data);

} // namespace tinyx::packagers
