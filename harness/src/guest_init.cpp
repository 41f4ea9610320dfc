#include "harness/guest_init.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <sstream>

// Defined in the generated guest_init_<arch>.cpp files (harness/CMakeLists.txt), one per
// architecture of core/arch.cpp; empty when tinyx was built without that compiler.
extern const unsigned char tinyx_guest_init_x86_64[];
extern const std::size_t tinyx_guest_init_x86_64_size;
extern const unsigned char tinyx_guest_init_arm64[];
extern const std::size_t tinyx_guest_init_arm64_size;

namespace tinyx::harness {

std::string render_init_config(const InitConfig& config) {
    std::ostringstream out;
    out << "# tinyx-init configuration: one \"key value\" a line (run, env, dir, hostname, workdir, user)\n";
    out << "hostname " << config.hostname << "\n";
    for (const auto& dir : config.directories)
        out << "dir " << dir.path << " 0" << std::oct << dir.mode << std::dec << " " << dir.uid << " " << dir.gid << "\n";
    for (const auto& entry : config.environment) out << "env " << entry << "\n";
    if (!config.workdir.empty()) out << "workdir " << config.workdir << "\n";
    if (config.run_as_user) out << "user " << config.uid << " " << config.gid << "\n";
    for (const auto& arg : config.run) out << "run " << arg << "\n";
    return out.str();
}

Result<void> check_environment_entry(const std::string& entry, std::string_view where) {
    const auto equals = entry.find('=');
    const std::string_view name = std::string_view(entry).substr(0, equals == std::string::npos ? 0 : equals);
    const bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                            std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (equals == std::string::npos || !valid_name)
        return Error::bad_input(str(where, " '", entry, "': expected NAME=VALUE (NAME: letters, digits, _)"));
    if (entry.find('\n') != std::string::npos) return Error::bad_input(str(where, " '", name, "': a value may not hold a newline"));
    return success();
}

Result<std::string_view> guest_init_binary(std::string_view arch) {
    auto bytes = [](const unsigned char* data, std::size_t size) { return std::string_view(reinterpret_cast<const char*>(data), size); };
    std::string_view init;
    if (arch == "x86_64") init = bytes(tinyx_guest_init_x86_64, tinyx_guest_init_x86_64_size);
    else if (arch == "arm64") init = bytes(tinyx_guest_init_arm64, tinyx_guest_init_arm64_size);
    else return Error::internal(str("no guest init for architecture '", arch, "'"));
    if (init.empty())
        return Error::bad_input(str("this tinyx was built without a compiler for the ", arch, " guest init (scripts/setup installs it; "
                                    "then rebuild tinyx)"));
    return init;
}

} // namespace tinyx::harness
