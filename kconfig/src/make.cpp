#include "kconfig/make.hpp"

#include "core/process.hpp"
#include "core/strings.hpp"

#include <chrono>

namespace tinyx::kconfig {

std::vector<std::string> make_argv(const SourceTree& tree, const fs::path& out_dir, const std::string& target) {
    std::vector<std::string> argv = {"make", "-C", tree.root.string(), str("O=", out_dir.string()), str("ARCH=", tree.arch->name)};
    // A kernel for another architecture: its compiler decides Kconfig's $(cc-option) answers too.
    if (auto cross = toolchain_prefix(*tree.arch); !cross.empty()) argv.push_back(str("CROSS_COMPILE=", cross));
    argv.push_back(target);
    return argv;
}

Result<ConfigMake> ConfigMake::create(const SourceTree& tree) {
    if (!find_program("make")) return Error::bad_input("make is not installed (needed to resolve kernel configs)");
    TRY_ASSIGN(auto dir, TempDir::create("tinyx-kconfig-"));
    return ConfigMake(tree, std::move(dir));
}

Result<std::string> ConfigMake::run(const std::string& target, const std::string& output) {
    ProcessSpec spec;
    spec.argv = make_argv(m_tree, m_dir.path(), target);
    spec.argv.insert(spec.argv.begin() + 1, "-s");
    spec.err = Output::same_as_stdout();
    spec.timeout = std::chrono::minutes(5);
    TRY_ASSIGN(auto run, run_process(spec));
    if (run.interrupted) return Error::interrupted();
    if (!run.success()) {
        Error error = Error::internal(str("make ", target, " in ", m_tree.describe(), " ", run.describe()));
        for (auto& line : last_lines(run.out, 15)) error.details.push_back(line);
        return error;
    }
    return read_file(m_dir.path() / output);
}

Result<std::string> ConfigMake::olddefconfig(std::string_view config_text) {
    TRY(write_file_atomic(m_dir.path() / ".config", config_text));
    return run("olddefconfig", ".config");
}

Result<std::string> ConfigMake::savedefconfig(std::string_view resolved_text) {
    TRY(write_file_atomic(m_dir.path() / ".config", resolved_text));
    return run("savedefconfig", "defconfig");
}

Result<std::string> ConfigMake::allnoconfig() { return run("allnoconfig", ".config"); }

Result<std::string> ConfigMake::tinyconfig() { return run("tinyconfig", ".config"); }

std::string ConfigMake::identity() const { return str("make olddefconfig ", m_tree.root.string(), " ", m_tree.arch->name); }

} // namespace tinyx::kconfig
