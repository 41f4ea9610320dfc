#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_boot(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("boot", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx boot' is not implemented yet")); }; });
}

} // namespace tinyx::cli
