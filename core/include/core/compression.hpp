// The compressions tinyx can give a kernel image and an initramfs: the one table of their names
// (--compression, --kernel-compression, profiles) and the Kconfig symbols that go with them.
// Nothing else spells a compression's symbols.
//
//   TRY_ASSIGN(const CompressionKind* zstd, find_compression("zstd", "--compression"));
//   zstd->kernel_symbol     // "KERNEL_ZSTD": the kernel image compressed so
//   zstd->initramfs_symbol   // "RD_ZSTD": the kernel can unpack an initramfs compressed so
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx {

struct CompressionKind {
    std::string_view name;             // "xz", "zstd", "gzip", "none"
    std::string_view kernel_symbol;    // the kernel image's compression mode; "" = not one (none)
    std::string_view initramfs_symbol; // the initramfs decompressor; "" = none needed
};

// In the order a tie is broken: smaller streams first.
const std::vector<CompressionKind>& compressions();
// The table's entry, or bad input naming the known ones (`what` names the flag or field).
Result<const CompressionKind*> find_compression(std::string_view name, std::string_view what);
// Every initramfs decompressor the kernel has (RD_GZIP ... RD_ZSTD), those tinyx never writes too:
// a kernel keeps only the one its image needs.
const std::vector<std::string_view>& initramfs_decompressor_symbols();

} // namespace tinyx
