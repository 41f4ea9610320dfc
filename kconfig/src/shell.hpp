// $(shell,...) for the macro language, with its results cached per toolchain and tree.
// A private header of the Kconfig reader: only parser.cpp includes it.
#pragma once

#include "parse_support.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace tinyx::kconfig::detail {

// ---------------------------------------------------------------- shell cache

// $(shell,...) results depend on the toolchain and the tree; the cache key fingerprints both
// without running anything (paths, sizes and mtimes), so a warm load spawns no process at all.
class ShellRunner {
  public:
    ShellRunner(const std::map<std::string, std::string>& env, const fs::path& srctree, bool use_cache)
        : m_env(env), m_use_cache(use_cache) {
        if (!use_cache) return;
        std::string fingerprint = "v1\n" + srctree.string() + "\n";
        for (const char* var : {"CC", "LD", "ARCH"}) {
            auto it = env.find(var);
            std::string value = it == env.end() ? "" : it->second;
            fingerprint += std::string(var) + "=" + value + "\n";
            if (auto path = find_program(value)) {
                std::error_code ec;
                fs::path real = fs::canonical(*path, ec);
                struct stat st {};
                if (!ec && ::stat(real.c_str(), &st) == 0)
                    fingerprint += str(real.string(), " ", st.st_size, " ", st.st_mtim.tv_sec, "\n");
            }
        }
        // No cache directory: every $(shell ...) runs, nothing is remembered.
        if (auto cache = cache_dir()) m_cache_file = *cache / "kconfig-shell" / (sha256_hex(fingerprint).substr(0, 32) + ".json");
        auto json = read_json_file(m_cache_file);
        if (json && json->is_object()) {
            for (auto it = json->begin(); it != json->end(); ++it)
                if (it.value().is_string()) m_results[it.key()] = it.value().get<std::string>();
        }
    }

    std::string run(const std::string& command) {
        auto it = m_results.find(command);
        if (it != m_results.end()) return it->second;
        if (!m_workdir) {
            auto dir = TempDir::create("tinyx-kconfig-shell-");
            if (!dir) throw SyntaxError{"", 0, dir.error().message};
            m_workdir.emplace(std::move(*dir));
        }
        ProcessSpec spec = ProcessSpec::shell(command);
        spec.cwd = m_workdir->path(); // cc-option creates .tmp_$$ in the current directory
        spec.env_set = m_env;
        spec.err = Output::inherit();
        auto result = run_process(spec);
        std::string out = result ? result->out : std::string();
        // What the kernel's do_shell keeps: 4095 bytes, trailing newlines dropped, others -> spaces.
        if (out.size() >= 4096) out.resize(4095);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        for (char& c : out)
            if (c == '\n') c = ' ';
        m_results[command] = out;
        m_dirty = true;
        return out;
    }

    void save() {
        if (!m_use_cache || !m_dirty || m_cache_file.empty()) return;
        Json json = Json::object();
        for (const auto& [cmd, out] : m_results) json[cmd] = out;
        if (!make_directories(m_cache_file.parent_path())) return;
        auto written = write_json_file(m_cache_file, json);
        if (!written) log::verbose(str("could not save the shell cache: ", written.error().message));
    }

  private:
    std::map<std::string, std::string> m_env;
    bool m_use_cache;
    fs::path m_cache_file;
    std::map<std::string, std::string> m_results;
    bool m_dirty = false;
    std::optional<TempDir> m_workdir;
};

} // namespace tinyx::kconfig::detail
