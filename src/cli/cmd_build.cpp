#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_build(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("build", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx build' is not implemented yet")); }; });
}

} // namespace tinyx::cli
