// One setup function per subcommand (one file each). A setup function adds the
// subcommand and its options to the app; when CLI11 selects it, it stores the
// function main() runs after parsing. Keep these files thin: they turn flags
// into a module's request and a module's result into output.
#pragma once

#include "core/result.hpp"

#include <CLI/CLI.hpp>

#include <functional>

namespace tinyx::cli {

// What a subcommand does once its flags are parsed; returns the process exit code.
using Runner = std::function<Result<int>()>;

void setup_build(CLI::App& app, Runner& runner);
void setup_rootfs(CLI::App& app, Runner& runner);
void setup_boot(CLI::App& app, Runner& runner);
void setup_prune(CLI::App& app, Runner& runner);
void setup_kconfig(CLI::App& app, Runner& runner);
void setup_profile(CLI::App& app, Runner& runner);

} // namespace tinyx::cli
