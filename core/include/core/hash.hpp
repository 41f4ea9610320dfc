// Content hashes (SHA-256), used to memoise trials by resolved config and to name cache entries.
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>

namespace tinyx {

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_file_hex(const fs::path& path);

} // namespace tinyx
