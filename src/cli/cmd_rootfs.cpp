#include "cli/commands.hpp"

namespace tinyx::cli {

void setup_rootfs(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("rootfs", "TODO");
    cmd->callback([&runner] { runner = [] { return Result<int>(Error::internal("'tinyx rootfs' is not implemented yet")); }; });
}

} // namespace tinyx::cli
