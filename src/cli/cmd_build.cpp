// tinyx build: one command from application to minimal VM image (src/build/pipeline.hpp).
#include "pipeline/pipeline.hpp"
#include "app_flags.hpp"
#include "boot_flags.hpp"
#include "scale_out_flags.hpp"
#include "commands.hpp"
#include "core/compression.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

namespace tinyx::cli {
namespace {

struct BuildOptions {
    pipeline::BuildRequest request;
    std::string app, run, compression, kernel_compression, optimize, profile, kernel_src, baselet, pool, hint_profile, out;
    std::vector<std::string> includes, excludes;
    std::vector<std::string> prune_what{"kernel", "files", "boot"};
    BootFlags boot;
    ScaleOutFlags scale_out;
    AppFlags app_flags;
    bool no_busybox = false, json = false;
};

Result<int> run_build(BuildOptions& options) {
    auto& request = options.request;
    request.out_dir = options.out;
    request.prune_kernel = std::find(options.prune_what.begin(), options.prune_what.end(), "kernel") != options.prune_what.end();
    request.prune_files = std::find(options.prune_what.begin(), options.prune_what.end(), "files") != options.prune_what.end();
    request.prune_boot_options = std::find(options.prune_what.begin(), options.prune_what.end(), "boot") != options.prune_what.end();
    if (!options.profile.empty()) request.profile = fs::path(options.profile);
    if (!options.hint_profile.empty()) request.hint_profile = fs::path(options.hint_profile);
    if (!options.kernel_src.empty()) request.kernel_src = fs::path(options.kernel_src);
    if (!options.scale_out.image_store.empty()) request.image_store = fs::path(options.scale_out.image_store);
    request.scale_out.distcc_hosts = options.scale_out.distcc_hosts;
    request.scale_out.cache_url = options.scale_out.cache_url;
    request.jobs = options.scale_out.jobs;
    if (!options.baselet.empty()) request.baselet = fs::path(options.baselet);
    if (!options.pool.empty()) request.pool = fs::path(options.pool);
    request.accel = accel_choice(options.boot.accel);
    request.platform = options.boot.platform;
    if (!options.optimize.empty()) request.optimize = options.optimize;
    if (!options.compression.empty()) request.compression = options.compression;
    if (!options.kernel_compression.empty()) request.kernel_compression = options.kernel_compression;

    const bool names_app = !options.app.empty() || !options.app_flags.image.empty();
    if (!names_app && (!options.run.empty() || !options.includes.empty() || !options.excludes.empty() || options.no_busybox ||
                       options.app_flags.any()))
        return Error::bad_input("--run, --include, --exclude, --env, --user, --workdir and --no-busybox describe an app: give --app or --image too");
    if (names_app) {
        profiles::AppSpec app;
        app.app = options.app;
        app.image = options.app_flags.image;
        app.env = options.app_flags.env;
        app.user = options.app_flags.user;
        app.workdir = options.app_flags.workdir;
        app.run = options.run;
        app.includes = options.includes;
        app.excludes = options.excludes;
        app.busybox = !options.no_busybox;
        if (!options.compression.empty()) app.compression = options.compression;
        request.app = app;
    }
    if (options.boot.any_test_flag()) {
        const auto& flags = options.boot;
        profiles::TestSpec test;
        test.guest_test = flags.guest_test;
        test.host_test = flags.host_test;
        test.forward = flags.forwards;
        if (flags.memory_mb) test.memory_mb = *flags.memory_mb;
        if (flags.timeout_seconds) test.timeout_seconds = int(*flags.timeout_seconds);
        test.append = flags.append;
        test.outbound_network = flags.outbound_network;
        request.test = test;
    }
    TRY_ASSIGN(auto result, pipeline::run_build(request));
    if (options.json)
        std::cout << dump_json(result.report);
    else
        std::cout << result.summary_markdown;
    return result.passed ? 0 : 1;
}

} // namespace

void setup_build(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("build", "Build a minimal VM image for an app: gather, configure, (prune), build, verify");
    auto options = std::make_shared<BuildOptions>();
    auto* app_option = cmd->add_option("--app", options->app, "Debian package name, ELF path or directory");
    add_app_flags(cmd, options->app_flags);
    app_option->excludes(cmd->get_option("--image"));
    cmd->get_option("--image")->excludes(app_option);
    cmd->add_option("--run", options->run, "The app's command line in the guest");
    cmd->add_option("--include", options->includes, "HOST[:GUEST] file or directory to add (repeatable)");
    cmd->add_option("--exclude", options->excludes, "Glob of guest paths to leave out (repeatable)");
    cmd->add_flag("--no-busybox", options->no_busybox, "No BusyBox in the image (tests run on the host)");
    std::vector<std::string> goals, image_compressions, kernel_compressions;
    std::string goals_help;
    for (const auto& [name, what] : pipeline::optimize_goals()) {
        goals.push_back(name);
        goals_help += str(goals_help.empty() ? "" : "; ", name, ": ", what);
    }
    for (const auto& kind : compressions()) {
        image_compressions.emplace_back(kind.name);
        if (!kind.kernel_symbol.empty()) kernel_compressions.emplace_back(kind.name);
    }
    cmd->add_option("--optimize", options->optimize,
                    str("How the initramfs and kernel compressions are chosen, by boots of the final kernel (default balanced; "
                        "a --profile rebuild takes the profile's choice). ", goals_help))
        ->check(CLI::IsMember(goals));
    cmd->add_option("--compression", options->compression, "Initramfs compression, instead of measuring (" + join(image_compressions, ", ") + ")")
        ->check(CLI::IsMember(image_compressions));
    cmd->add_option("--kernel-compression", options->kernel_compression,
                    "The kernel image's compression, instead of measuring (" + join(kernel_compressions, ", ") + ")")
        ->check(CLI::IsMember(kernel_compressions));
    add_boot_flags(cmd, options->boot, "Seconds per verifying and trial boot (default 120)");
    cmd->add_option("--profile", options->profile, "Rebuild from an app profile (no pruning)")->check(CLI::ExistingFile);
    cmd->add_flag("--prune", options->request.prune,
                  "Prune against the test: the kernel config, then the image's files, then the command line");
    cmd->add_option("--prune-what", options->prune_what,
                    "What --prune prunes (default: kernel,files,boot = the config, the image's files, the command line)")
        ->delimiter(',')
        ->check(CLI::IsMember({"kernel", "files", "boot"}));
    cmd->add_option("--strategy", options->request.strategy,
                    "Kernel pruning strategy: group (default), sequential (one option a build, like ktest) or trace "
                    "(one coverage boot first; options whose code never ran are tried first, in one group)")
        ->check(CLI::IsMember({"sequential", "group", "trace"}));
    std::vector<std::string> searches;
    std::string searches_help;
    for (const auto& [name, what] : pipeline::file_searches()) {
        searches.push_back(name);
        searches_help += str(searches_help.empty() ? "" : "; ", name, ": ", what);
    }
    cmd->add_option("--file-search", options->request.file_search,
                    str("How --prune-what files searches (default traced). ", searches_help,
                        ". The test decides what stays: a file the app reads only on a request the test does not make is removed"))
        ->check(CLI::IsMember(searches));
    cmd->add_option("--hint-profile", options->hint_profile,
                    "With --prune: an earlier pruning's profile (a similar app); what it did not keep is tried first as "
                    "one group, then what it kept one option at a time. A few builds instead of a search over the pool; "
                    "a wrong guess costs builds, not correctness")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--resume", options->request.resume, "Continue an interrupted --prune from --out's journal");
    cmd->add_option("--kernel-src", options->kernel_src, "Kernel tree or linux-source tarball (default: linux-source-6.1)");
    add_scale_out_flags(cmd, options->scale_out);
    add_arch_option(cmd, options->request.arch, str("the profile's, else ", kDefaultArch));
    cmd->add_option("--baselet", options->baselet, "Platform baselet profile (default: profiles/baselets/qemu-x86_64.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--pool", options->pool, "Candidate pool profile (default: profiles/pools/server.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--verify", options->request.verify_boots, "Verifying boots with the test (default 3)")
        ->check(CLI::Range(1, 100));
    cmd->add_flag("--kernel-only", options->request.kernel_only,
                  "Only build the kernel of the start config (baselet + pool or profile options), always with make, in the kept build dir");
    cmd->add_option("--out", options->out, "Output directory")->required();
    cmd->add_flag("--json", options->json, "Print report.json on stdout instead of the summary");
    cmd->footer("Examples:\n"
                "  tinyx build --profile profiles/apps/busybox-httpd.json --out out/httpd\n"
                "  tinyx build --app nginx-light --run \"nginx -g 'daemon off;'\" --no-busybox --forward 80 \\\n"
                "              --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --out out/nginx\n"
                "  tinyx build --app lighttpd --include my.conf:/etc/lighttpd/lighttpd.conf --no-busybox --forward 80 \\\n"
                "              --run 'lighttpd -D -f /etc/lighttpd/lighttpd.conf' --host-test 'curl -fsI http://$TINYX_HOST:$TINYX_PORT_80/' \\\n"
                "              --out out/lighttpd   an --include replaces the package's config file\n"
                "  tinyx build --profile profiles/apps/nginx.json --out out/nginx   the shipped nginx profile: no pruning\n"
                "  tinyx build --profile profiles/apps/nginx.json --optimize size --out out/nginx-small\n"
                "              the compressions decided again, for the fewest bytes (balanced: the fastest boot within 1.15x)\n"
                "  tinyx build --profile profiles/apps/nginx.json --app angie --out out/angie   reuse nginx's options\n"
                "  tinyx build --profile out/nginx/profile.json --prune --prune-what files --out out/nginx-slim\n"
                "  tinyx build --app ./site/serve.py --forward 80 --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' \\\n"
                "              --prune --prune-what files --out out/py   a script app (its interpreter's package comes along);\n"
                "              its files pruned after one traced boot (--file-search untraced: without the trace)\n"
                "  tinyx build --app redis-server ... --prune --hint-profile profiles/apps/nginx.json --out out/redis\n"
                "              prune redis's own kernel, trying what nginx's pruning removed first\n"
                "  skopeo copy docker://docker.io/library/nginx:1.25 oci:images/nginx:1.25   (the registry pull is skopeo's)\n"
                "  tinyx build --image oci:images/nginx:1.25 --host-test 'curl -fs http://$TINYX_HOST:$TINYX_PORT_80/' --out out/nginx\n"
                "              the image's Entrypoint+Cmd, Env, WorkingDir, User and ExposedPorts (the forwards) are the defaults\n"
                "  tinyx build --profile profiles/apps/arm64/nginx.json --out out/nginx-arm64\n"
                "              arm64 (QEMU virt): packages fetched for arm64, the kernel cross-built, booted under emulation\n"
                "Outputs in --out: bzImage (arm64: Image.gz), initramfs.cpio.*, manifest.json, config, profile.json, report.json, summary.md.\n"
                "Exit status: 0 the image passed its test (3 verifying boots), 1 it failed, 2 bad input,\n"
                "75 the machine failed (full disk, killed build, QEMU could not start; --resume continues a pruning).");
    cmd->callback([options, &runner] { runner = [options] { return run_build(*options); }; });
}

} // namespace tinyx::cli
