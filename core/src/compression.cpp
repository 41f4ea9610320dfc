#include "core/compression.hpp"

#include "core/strings.hpp"

namespace tinyx {

const std::vector<CompressionKind>& compressions() {
    static const std::vector<CompressionKind> table = {
        {"xz", "KERNEL_XZ", "RD_XZ"},
        {"zstd", "KERNEL_ZSTD", "RD_ZSTD"},
        {"gzip", "KERNEL_GZIP", "RD_GZIP"},
        {"none", "", ""},
    };
    return table;
}

Result<const CompressionKind*> find_compression(std::string_view name, std::string_view what) {
    std::vector<std::string> known;
    for (const auto& compression : compressions()) {
        if (compression.name == name) return &compression;
        known.emplace_back(compression.name);
    }
    return Error::bad_input(str(what, ": unknown compression '", name, "' (expected ", join(known, ", "), ")"));
}

const std::vector<std::string_view>& initramfs_decompressor_symbols() {
    static const std::vector<std::string_view> symbols = {"RD_GZIP", "RD_BZIP2", "RD_LZMA", "RD_XZ", "RD_LZO", "RD_LZ4", "RD_ZSTD"};
    return symbols;
}

} // namespace tinyx
