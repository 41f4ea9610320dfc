#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_kconfig(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("kconfig", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx kconfig' is not implemented yet")); }; });
}

} // namespace tinyx::cli
