// tinyx rootfs: flags -> packagers::RootfsRequest; the result -> a summary line (stdout).
#include "app_flags.hpp"
#include "boot_flags.hpp"
#include "commands.hpp"

#include "core/strings.hpp"
#include "packagers/rootfs.hpp"

#include <iostream>
#include <memory>

namespace tinyx::cli {

namespace {

struct RootfsOptions {
    packagers::RootfsRequest request;
    std::string run;
    std::string compression;
    std::string out;
    AppFlags app;
    bool no_busybox = false;
};

Result<int> run_rootfs(RootfsOptions& opts) {
    auto& request = opts.request;
    if (!opts.run.empty()) request.run = opts.run;
    if (!opts.compression.empty()) request.compression = opts.compression;
    request.busybox = !opts.no_busybox;
    request.out_dir = opts.out;
    if (!opts.app.image.empty()) request.image = opts.app.image;
    request.env = opts.app.env;
    if (!opts.app.user.empty()) request.user = opts.app.user;
    if (!opts.app.workdir.empty()) request.workdir = opts.app.workdir;
    TRY_ASSIGN(packagers::RootfsResult result, packagers::build_rootfs(request));
    std::cout << result.image.string() << " (" << human_bytes(result.image_bytes) << ", " << result.entries << " entries)\n"
              << result.manifest.string() << "\n";
    if (!result.kernel_args.empty()) std::cout << "kernel arguments: " << join(result.kernel_args, " ") << "\n";
    std::cout << "runs: " << shell_join(result.init.run) << "\n";
    return 0;
}

} // namespace

void setup_rootfs(CLI::App& app, Runner& runner) {
    auto opts = std::make_shared<RootfsOptions>();
    auto* cmd = app.add_subcommand("rootfs", "Gather one application's files into an initramfs or an ext4 disk image");
    auto* app_option = cmd->add_option("--app", opts->request.app, "An installed Debian package, an ELF executable or a directory");
    add_app_flags(cmd, opts->app);
    app_option->excludes(cmd->get_option("--image"));
    cmd->get_option("--image")->excludes(app_option);
    cmd->add_option("--run", opts->run,
                    "The app's command line in the guest (default: the package's only daemon program, or the image's "
                    "Entrypoint+Cmd; with --image it replaces both)");
    cmd->add_option("--include", opts->request.includes, "Also copy HOST[:GUEST] (a file or a directory); repeatable");
    cmd->add_option("--exclude", opts->request.excludes, "Leave out guest paths matching GLOB (and what is below them); repeatable");
    cmd->add_option("--format", opts->request.format, "initramfs (default), raw or qcow2 (ext4 disk images, via libguestfs)");
    cmd->add_option("--compression", opts->compression, "initramfs compression: gzip (default), xz, zstd or none");
    add_arch_option(cmd, opts->request.arch, std::string(kDefaultArch));
    cmd->add_flag("--no-busybox", opts->no_busybox, "Do not add the static BusyBox shell and tools");
    cmd->add_option("--out", opts->out, "Output directory (gets the image and manifest.json)")->required();
    cmd->footer("Honours SOURCE_DATE_EPOCH (default 0): the same inputs give bit-identical images.\n"
                "Example:\n"
                "  tinyx rootfs --app nginx-light --run \"nginx -g 'daemon off;'\" --compression xz --out out/\n"
                "  tinyx rootfs --app redis-server --run 'redis-server --port 6379' --format qcow2 --out disk/\n"
                "  tinyx rootfs --app ./myserver --include ./static:/srv/www --exclude '/usr/share/zoneinfo*' --out out/\n"
                "  tinyx rootfs --image oci:images/web:1 --env PORT=8080 --user www-data --out out/");
    cmd->callback([opts, &runner] { runner = [opts] { return run_rootfs(*opts); }; });
}

} // namespace tinyx::cli
