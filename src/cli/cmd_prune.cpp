#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_prune(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("prune", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx prune' is not implemented yet")); }; });
}

} // namespace tinyx::cli
