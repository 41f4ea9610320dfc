#include "archive.hpp"

#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/strings.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#include <zstd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

Error archive_error(archive* a, const std::string& what) {
    const char* message = archive_error_string(a);
    return Error::internal(str(what, ": ", message ? message : "libarchive error"));
}

// libarchive's write callback: everything lands in a string (images are small
// enough, and xz needs the size to pick its dictionary).
la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return la_ssize_t(length);
}

Result<void> write_entries(archive* a, const GuestTree& tree, std::int64_t epoch) {
    std::int64_t inode = 0;
    std::vector<char> buffer(1 << 16);
    for (const auto& [path, entry] : tree.entries()) {
        if (interrupt::requested()) return Error::interrupted();
        EntryPtr e(archive_entry_new());
        std::string name = path.substr(1); // archives hold relative names
        if (name.empty()) continue;
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_uid(e.get(), entry.uid);
        archive_entry_set_gid(e.get(), entry.gid);
        archive_entry_set_mtime(e.get(), std::min<std::int64_t>(entry.mtime, epoch), 0);
        archive_entry_set_ino64(e.get(), ++inode);
        archive_entry_set_dev(e.get(), 0);
        switch (entry.kind) {
        case EntryKind::file:
            archive_entry_set_filetype(e.get(), AE_IFREG);
            archive_entry_set_nlink(e.get(), 1);
            break;
        case EntryKind::directory:
            archive_entry_set_filetype(e.get(), AE_IFDIR);
            archive_entry_set_nlink(e.get(), 2);
            break;
        case EntryKind::symlink:
            archive_entry_set_filetype(e.get(), AE_IFLNK);
            archive_entry_set_symlink(e.get(), entry.link_target.c_str());
            archive_entry_set_nlink(e.get(), 1);
            break;
        case EntryKind::char_device:
            archive_entry_set_filetype(e.get(), AE_IFCHR);
            archive_entry_set_rdevmajor(e.get(), entry.device_major);
            archive_entry_set_rdevminor(e.get(), entry.device_minor);
            archive_entry_set_nlink(e.get(), 1);
            break;
        }
        archive_entry_set_perm(e.get(), entry.mode & 07777);
        std::string generated;
        std::ifstream in;
        std::uint64_t size = 0;
        if (entry.kind == EntryKind::file) {
            if (entry.source.empty()) {
                size = entry.content.size();
            } else {
                in.open(entry.source, std::ios::binary);
                if (!in) return Error::bad_input(str(entry.source, ": cannot read (", std::strerror(errno), ")"));
                struct stat st {};
                if (::stat(entry.source.c_str(), &st) != 0) return Error::bad_input(str(entry.source, ": ", std::strerror(errno)));
                size = std::uint64_t(st.st_size); // what is there now, in case it changed since it was listed
            }
        }
        archive_entry_set_size(e.get(), la_int64_t(size));
        if (archive_write_header(a, e.get()) != ARCHIVE_OK) return archive_error(a, str("writing ", path));
        if (entry.kind != EntryKind::file) continue;
        if (entry.source.empty()) {
            if (archive_write_data(a, entry.content.data(), entry.content.size()) < 0) return archive_error(a, str("writing ", path));
            continue;
        }
        std::uint64_t left = size;
        while (left > 0) {
            in.read(buffer.data(), std::streamsize(std::min<std::uint64_t>(left, buffer.size())));
            std::streamsize got = in.gcount();
            if (got <= 0) return Error::internal(str(entry.source, ": file shrank while being archived"));
            if (archive_write_data(a, buffer.data(), size_t(got)) < 0) return archive_error(a, str("writing ", path));
            left -= std::uint64_t(got);
        }
    }
    return success();
}

} // namespace

Result<Compression> parse_compression(std::string_view name) {
    if (name == "gzip") return Compression::gzip;
    if (name == "xz") return Compression::xz;
    if (name == "zstd") return Compression::zstd;
    if (name == "none") return Compression::none;
    return Error::bad_input(str("--compression: unknown value '", name, "' (expected gzip, xz, zstd or none)"));
}

const char* compression_name(Compression compression) {
    switch (compression) {
    case Compression::none: return "none";
    case Compression::gzip: return "gzip";
    case Compression::xz: return "xz";
    case Compression::zstd: return "zstd";
    }
    return "none";
}

const char* compression_suffix(Compression compression) {
    switch (compression) {
    case Compression::none: return "";
    case Compression::gzip: return ".gz";
    case Compression::xz: return ".xz";
    case Compression::zstd: return ".zst";
    }
    return "";
}

Result<std::string> xz_compress(std::string_view data) {
    lzma_options_lzma options;
    if (lzma_lzma_preset(&options, 9 | LZMA_PRESET_EXTREME)) return Error::internal("xz: preset 9e unavailable");
    // The kernel allocates the whole dictionary the header declares, in the guest's memory, while
    // it unpacks: no more than the data, and at most kXzDictionaryBytes (nginx's 9.4 MB archive:
    // 0.2 % more bytes than with 16 MiB, 12 MiB less memory; docs/optimize.md).
    std::uint32_t dict = 1u << 20;
    while (dict < data.size() && dict < std::min<std::uint32_t>(options.dict_size, kXzDictionaryBytes)) dict <<= 1;
    options.dict_size = dict;
    // The x86 branch converter makes machine code compress ~5% better; the kernel's
    // xz decoder has it (XZ_DEC_X86, default y on x86).
    lzma_filter filters[] = {{LZMA_FILTER_X86, nullptr}, {LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
    lzma_stream stream = LZMA_STREAM_INIT;
    if (lzma_stream_encoder(&stream, filters, LZMA_CHECK_CRC32) != LZMA_OK) return Error::internal("xz: cannot start the encoder");
    std::string out;
    out.resize(data.size() / 2 + 65536);
    stream.next_in = reinterpret_cast<const std::uint8_t*>(data.data());
    stream.avail_in = data.size();
    std::size_t written = 0;
    lzma_ret ret = LZMA_OK;
    while (ret == LZMA_OK) {
        if (written == out.size()) out.resize(out.size() * 2);
        stream.next_out = reinterpret_cast<std::uint8_t*>(out.data() + written);
        stream.avail_out = out.size() - written;
        ret = lzma_code(&stream, LZMA_FINISH);
        written = out.size() - stream.avail_out;
        if (interrupt::requested()) {
            lzma_end(&stream);
            return Error::interrupted();
        }
    }
    lzma_end(&stream);
    if (ret != LZMA_STREAM_END) return Error::internal(str("xz: compression failed (liblzma code ", int(ret), ")"));
    out.resize(written);
    return out;
}

Result<std::string> zstd_compress(std::string_view data) {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!context) return Error::internal("zstd: cannot create a compression context");
    // Level 19 with a window of kZstdWindowLog: the kernel's decoder allocates the window in the
    // guest's memory while it unpacks (level 19's own is 8 MiB; nginx: 1.1 % more bytes, 6 MiB less).
    for (auto [parameter, value] : {std::pair{ZSTD_c_compressionLevel, 19}, std::pair{ZSTD_c_windowLog, kZstdWindowLog}}) {
        const std::size_t status = ZSTD_CCtx_setParameter(context.get(), parameter, value);
        if (ZSTD_isError(status)) return Error::internal(str("zstd: ", ZSTD_getErrorName(status)));
    }
    std::string out(ZSTD_compressBound(data.size()), '\0');
    const std::size_t written = ZSTD_compress2(context.get(), out.data(), out.size(), data.data(), data.size());
    if (ZSTD_isError(written)) return Error::internal(str("zstd: compression failed: ", ZSTD_getErrorName(written)));
    out.resize(written);
    return out;
}

Result<std::string> compress_bytes(std::string_view raw, Compression compression) {
    if (compression == Compression::none) return std::string(raw);
    if (compression == Compression::xz) return xz_compress(raw);
    if (compression == Compression::zstd) return zstd_compress(raw);
    // gzip through libarchive's "raw" format: one entry whose data is the stream.
    ArchivePtr a(archive_write_new());
    if (archive_write_set_format_raw(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "raw format");
    archive_write_set_bytes_per_block(a.get(), 0);
    if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
        archive_write_set_filter_option(a.get(), "gzip", "compression-level", "9") != ARCHIVE_OK ||
        archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK) // no build time in the header
        return archive_error(a.get(), "gzip");
    std::string out;
    if (archive_write_open(a.get(), &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) return archive_error(a.get(), "compressing");
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), "data");
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), la_int64_t(raw.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return archive_error(a.get(), "compressing");
    for (std::size_t at = 0; at < raw.size(); at += 1 << 20) {
        if (interrupt::requested()) return Error::interrupted();
        const std::size_t n = std::min<std::size_t>(1 << 20, raw.size() - at);
        if (archive_write_data(a.get(), raw.data() + at, n) < 0) return archive_error(a.get(), "compressing");
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "compressing");
    return out;
}

Result<std::string> decompress_bytes(std::string_view data) {
    struct ReadDeleter {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) return archive_error(a.get(), "decompressing");
    archive_entry* entry = nullptr;
    if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) return archive_error(a.get(), "decompressing");
    std::string out;
    std::vector<char> buffer(1 << 20);
    for (;;) {
        const la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
        if (n < 0) return archive_error(a.get(), "decompressing");
        if (n == 0) break;
        out.append(buffer.data(), std::size_t(n));
    }
    return out;
}

Result<void> write_cpio(const GuestTree& tree, const fs::path& output, Compression compression, std::int64_t epoch) {
    ArchivePtr a(archive_write_new());
    if (archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "cpio newc");
    // The kernel reads the archive as a stream: no padding to 10 KiB blocks.
    archive_write_set_bytes_per_block(a.get(), 0);
    std::string bytes;
    if (archive_write_open(a.get(), &bytes, nullptr, append_to_string, nullptr) != ARCHIVE_OK) return archive_error(a.get(), "cpio");
    TRY(write_entries(a.get(), tree, epoch));
    if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "finishing the cpio archive");
    // Compressed apart from the archive, so an image compressed again another way
    // (recompress_initramfs) has the bytes a build with that compression writes.
    TRY_ASSIGN(bytes, compress_bytes(bytes, compression));
    return write_file_atomic(output, bytes);
}

Result<void> write_tar(const GuestTree& tree, const fs::path& output, std::int64_t epoch) {
    ArchivePtr a(archive_write_new());
    // pax keeps long names and numeric ids; no user/group names, so tar in the
    // libguestfs appliance uses the numbers (its passwd is not the guest's).
    if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "tar");
    if (archive_write_open_filename(a.get(), output.c_str()) != ARCHIVE_OK) return archive_error(a.get(), str("creating ", output.string()));
    TRY(write_entries(a.get(), tree, epoch));
    if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "finishing the tar archive");
    return success();
}

} // namespace tinyx::packagers
