#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_profile(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("profile", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx profile' is not implemented yet")); }; });
}

} // namespace tinyx::cli
