// Built kernel images kept by the hash of the .config they were built from.
//
//   KernelStore store(build_dir.parent_path() / (build_dir.filename().string() + "-images"));
//   if (auto hit = store.find(config_hash)) boot(*hit);          // no make at all
//   store.put(config_hash, build_dir / arch.kernel_image_path(), config); // after a successful build
//
// Why: one kept build directory serves every config, so returning to a config built a few
// trials (or runs) ago costs a rebuild of everything that differs since — minutes when core
// options changed. The final build after pruning is such a return (the last passing trial
// built it), and so is rebuilding a profile. A kernel image is ~1–2 MB; the store keeps the most
// recently used `capacity` images. Entries are written atomically, so concurrent readers only
// ever see complete images.
#pragma once

#include "core/fs.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tinyx::pruner {

class KernelStore {
  public:
    // 64 images of 1-3 MB: a whole pruning run of trials fits, so another app's run starting from the
    // same start config, or a profile rebuilt later, finds them (ccache is gigabytes; this is ~100 MB).
    // `suffix` tells the formats apart: a config's bzImage (".kernel") and its vmlinux (".vmlinux").
    explicit KernelStore(fs::path dir, std::string suffix = ".kernel", std::size_t capacity = 64)
        : m_dir(std::move(dir)), m_suffix(std::move(suffix)), m_capacity(capacity) {}

    // The stored image for a resolved config's hash (marked as recently used), if any.
    std::optional<fs::path> find(const std::string& config_hash) const;
    // The resolved .config a stored image was built from (stored next to it), if any.
    std::optional<std::string> config(const std::string& config_hash) const;
    // Stores a copy of `image` and its resolved config, then evicts the least recently
    // used images beyond capacity.
    Result<fs::path> put(const std::string& config_hash, const fs::path& image, std::string_view config_text) const;
    // What `make olddefconfig` made of an input config (key: a hash of the input and the
    // toolchain), so a stored image is found without taking the build lock to resolve again.
    void remember_resolution(const std::string& input_key, const std::string& config_hash) const;
    std::optional<std::string> recall_resolution(const std::string& input_key) const;
    const fs::path& dir() const { return m_dir; }

  private:
    fs::path entry(const std::string& config_hash) const { return m_dir / (config_hash + m_suffix); }
    fs::path config_entry(const std::string& config_hash) const { return m_dir / (config_hash + ".config"); }
    fs::path resolution_entry(const std::string& input_key) const { return m_dir / "resolutions" / input_key; }
    fs::path m_dir;
    std::string m_suffix;
    std::size_t m_capacity;
};

} // namespace tinyx::pruner
