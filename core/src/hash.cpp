#include "core/hash.hpp"

#include <openssl/evp.h>

#include <memory>

namespace tinyx {
namespace {

std::string hex(const unsigned char* bytes, unsigned length) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned i = 0; i < length; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

} // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    return hex(digest, length);
}

Result<std::string> sha256_file_hex(const fs::path& path) {
    TRY_ASSIGN(auto content, read_file(path));
    return sha256_hex(content);
}

} // namespace tinyx
