// tinyx: build a minimal Linux VM image for one application.
// This file parses the command line and is the one place errors become
// "tinyx: error: ..." and an exit code (../docs/ARCHITECTURE.md).
#include "commands.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "core/version.hpp"

#include <cstdio>
#include <iostream>
#include <set>

namespace {

int report(const tinyx::Error& error) {
    tinyx::log::error(error.message);
    for (const auto& line : error.details) std::fprintf(stderr, "  %s\n", line.c_str());
    return int(error.exit);
}

} // namespace

int main(int argc, char** argv) {
    using namespace tinyx;
    interrupt::install_handlers();

    CLI::App app{"tinyx builds a minimal Linux VM image (kernel + initramfs or disk) for one application:\n"
                 "it gathers the app's files, prunes the kernel configuration against your test, and\n"
                 "ships the kernel, the image, the .config, a reusable profile and a JSON report.",
                 "tinyx"};
    app.set_version_flag("--version", "tinyx " TINYX_VERSION);
    int verbosity = 0;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbosity, "More output (-vv for debug output)");
    app.add_flag("-q,--quiet", quiet, "Only errors");
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  tinyx build --profile profiles/apps/busybox-httpd.json --out out/   rebuild an app from its profile\n"
               "  tinyx build --app nginx-light --run 'nginx -g \"daemon off;\"' --forward 80 \\\n"
               "              --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --prune --out out/\n"
               "  tinyx <command> --help                                              options of one command\n"
               "Exit codes: 0 pass, 1 the test failed, 2 bad input, 3 the guest did not boot, 4 timeout,\n"
               "75 the machine failed (nothing decided; rerun, or --resume a pruning), 130 interrupted.");

    cli::Runner runner;
    cli::setup_build(app, runner);
    cli::setup_rootfs(app, runner);
    cli::setup_boot(app, runner);
    cli::setup_prune(app, runner);
    cli::setup_kconfig(app, runner);
    cli::setup_profile(app, runner);

    // CLI11 reports an unknown command as "arguments were not expected"; say what it is.
    if (argc > 1 && argv[1][0] != '-') {
        std::set<std::string> known;
        for (auto* sub : app.get_subcommands({})) known.insert(sub->get_name());
        if (!known.count(argv[1]))
            return report(Error::bad_input(str("unknown command '", argv[1], "' (commands: ", join({known.begin(), known.end()}, ", "),
                                               "; see tinyx --help)")));
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        return report(Error::bad_input(message + " (see --help)"));
    }

    log::set_level(quiet ? log::Level::quiet
                   : verbosity >= 2 ? log::Level::debug
                   : verbosity == 1 ? log::Level::verbose
                                    : log::Level::normal);
    if (!runner) return report(Error::bad_input("no command given (see tinyx --help)"));
    try {
        auto result = runner();
        if (!result) return report(result.error());
        return *result;
    } catch (const std::exception& e) {
        // A bug: an exception escaped a module's adapter.
        return report(Error::internal(str("internal error: ", e.what())));
    }
}
