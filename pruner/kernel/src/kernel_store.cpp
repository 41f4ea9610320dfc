#include "pruner/kernel_store.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <vector>

namespace tinyx::pruner {

std::optional<fs::path> KernelStore::find(const std::string& config_hash) const {
    const fs::path path = entry(config_hash);
    std::error_code ec;
    if (config_hash.empty() || !fs::is_regular_file(path, ec)) return std::nullopt;
    // The modification time is the "last used" mark eviction goes by.
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
    return path;
}

std::optional<std::string> KernelStore::config(const std::string& config_hash) const {
    if (config_hash.empty()) return std::nullopt;
    auto text = read_file(config_entry(config_hash));
    if (!text) return std::nullopt;
    return std::move(*text);
}

void KernelStore::remember_resolution(const std::string& input_key, const std::string& config_hash) const {
    // Best effort: without it the next build only resolves under the lock again.
    if (make_directories(resolution_entry(input_key).parent_path()))
        (void)write_file_atomic(resolution_entry(input_key), config_hash);
}

std::optional<std::string> KernelStore::recall_resolution(const std::string& input_key) const {
    auto hash = read_file(resolution_entry(input_key));
    if (!hash || hash->empty()) return std::nullopt;
    return std::move(*hash);
}

Result<fs::path> KernelStore::put(const std::string& config_hash, const fs::path& image, std::string_view config_text) const {
    if (config_hash.empty()) return Error::internal("storing a kernel image without its config hash");
    TRY(make_directories(m_dir));
    const fs::path path = entry(config_hash);
    TRY(write_file_atomic(config_entry(config_hash), config_text)); // first: an image is never without its config
    TRY(copy_file_atomic(image, path));

    std::vector<std::pair<fs::file_time_type, fs::path>> images;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(m_dir, ec)) {
        if (item.path().extension() != m_suffix) continue;
        images.emplace_back(item.last_write_time(ec), item.path());
    }
    if (images.size() > m_capacity) {
        std::sort(images.begin(), images.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        for (std::size_t i = m_capacity; i < images.size(); ++i)
            if (images[i].second != path) { // best effort: a cache
                fs::remove(images[i].second, ec);
                fs::remove(fs::path(images[i].second).replace_extension(".config"), ec);
            }
    }
    return path;
}

} // namespace tinyx::pruner
