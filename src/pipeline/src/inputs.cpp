// Before any pass: what the request asks for, checked once. The profile (and a hint profile),
// the app and the test they give or the flags override, the options of the start config, the
// kernel tree (located once; its Kconfig is loaded by the config pass and kept), and the
// gathering request.
#include "context.hpp"

#include "core/compression.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <set>

namespace tinyx::pipeline {

namespace {

Result<profiles::Profile> load_app_profile(const fs::path& path, const char* flag, const char* why) {
    TRY_ASSIGN(auto loaded, profiles::load_profile(path));
    if (loaded.kind != "app")
        return Error::bad_input(str(path.string(), ": kind is '", loaded.kind, "'; ", flag, " takes an app profile", why));
    return loaded;
}

// A profile is code, like a Makefile: its host test runs on this machine and its includes read
// host files. Before a profile that did not ship with tinyx does either, say what it will do.
void show_what_a_profile_runs(const fs::path& path, const profiles::AppSpec* app, const profiles::TestSpec* test) {
    std::error_code ec;
    const auto shipped = fs::weakly_canonical(profiles::shipped_profiles_dir(), ec);
    const auto file = fs::weakly_canonical(path, ec);
    const auto relative = file.lexically_relative(shipped);
    if (!relative.empty() && *relative.begin() != "..") return; // shipped with tinyx
    std::vector<std::string> actions;
    if (test && !test->host_test.empty()) actions.push_back(str("runs the host test `", test->host_test, "` on this machine"));
    if (app)
        for (const auto& include : app->includes)
            actions.push_back(str("copies host path ", include.substr(0, include.find(':')), " into the image"));
    if (app && fs::path(app->app).is_absolute()) actions.push_back(str("packs host path ", app->app));
    if (actions.empty()) return;
    log::warn(str("profile ", path.string(), " (not shipped with tinyx) ", join(actions, "; ")));
}

} // namespace

Result<WantedOptions> wanted_options(const BuildRequest& request, const std::optional<profiles::Profile>& profile,
                                     const std::string& default_baselet) {
    auto profiles_dir = profiles::shipped_profiles_dir();
    WantedOptions wanted;
    TRY_ASSIGN(wanted.baselet, profiles::load_profile(request.baselet ? *request.baselet
                                                                      : profiles_dir / "baselets" / (default_baselet + ".json")));
    if (profile) {
        wanted.candidates = profile->options;
    } else {
        TRY_ASSIGN(auto pool, profiles::load_profile(request.pool ? *request.pool : profiles_dir / "pools/server.json"));
        wanted.candidates = pool.options;
    }
    wanted.all = wanted.baselet.options;
    wanted.all.insert(wanted.all.end(), wanted.candidates.begin(), wanted.candidates.end());
    // What the profile's pruning removed stays off: some of it would otherwise come
    // back as a default (IPV6 defaults to y once INET is on), and the rebuilt kernel
    // must be the one that was tested.
    if (profile && profile->pruning.is_object() && profile->pruning.contains("removed")) {
        std::set<std::string> chosen;
        for (const auto& option : wanted.all) chosen.insert(option.symbol);
        for (const auto& symbol : profile->pruning["removed"])
            if (symbol.is_string() && !chosen.count(symbol.get<std::string>()))
                wanted.all.push_back({symbol.get<std::string>(), "n", "removed by the profile's pruning"});
    }
    return wanted;
}

namespace {

// What decides the compressions: a flag fixes one; a --profile rebuild (without --optimize) takes
// the profile's record and measures nothing; the rest is the optimize pass's to measure.
Result<void> plan_compression(BuildContext& context) {
    const auto& request = context.request;
    const auto& profile = context.profile;
    auto& plan = context.compression;
    const bool rebuild = profile && !request.optimize;
    if (request.optimize) {
        plan.goal = *request.optimize;
    } else if (profile && profile->compression && !profile->compression->goal.empty()) {
        plan.goal = profile->compression->goal;
    }
    if (request.compression) {
        TRY_ASSIGN(plan.initramfs, find_compression(*request.compression, "--compression"));
        plan.initramfs_from = "--compression";
    } else if (rebuild) {
        TRY_ASSIGN(plan.initramfs, find_compression(context.app.compression, "the profile's app.compression"));
        plan.initramfs_from = "the profile";
    }
    if (request.kernel_compression) {
        TRY_ASSIGN(plan.kernel, find_compression(*request.kernel_compression, "--kernel-compression"));
        if (plan.kernel->kernel_symbol.empty())
            return Error::bad_input(str("--kernel-compression ", *request.kernel_compression, ": a kernel image is compressed (xz, zstd or gzip)"));
        plan.kernel_from = "--kernel-compression";
    } else if (rebuild && profile->compression) {
        if (profile->compression->kernel.empty()) {
            plan.kernel_kept = true; // its architecture has no choice
        } else {
            TRY_ASSIGN(plan.kernel, find_compression(profile->compression->kernel, "the profile's compression.kernel"));
        }
        plan.kernel_from = "the profile";
    } else if (rebuild) {
        plan.legacy = plan.kernel_kept = true;
        plan.kernel_from = "the profile, made before compressions were recorded";
    }
    if (context.platform->kernel_format != harness::KernelFormat::boot_image) {
        plan.kernel = nullptr;
        plan.kernel_kept = true;
        plan.kernel_from = str(context.platform->name, " boots the uncompressed vmlinux");
    }
    if (!plan.initramfs) plan.initramfs_from = "measured";
    if (!plan.kernel && !plan.kernel_kept) plan.kernel_from = "measured";
    // The image is gathered (and pruned) with the fixed compression, else xz until measured.
    if (plan.initramfs) context.app.compression = std::string(plan.initramfs->name);
    return success();
}

} // namespace

Result<void> resolve_inputs(BuildContext& context) {
    const auto& request = context.request;
    if (request.profile) {
        TRY_ASSIGN(context.profile, load_app_profile(*request.profile, "--profile",
                                                     " (merge baselets/pools into one with `tinyx profile merge`)"));
    }
    if (request.hint_profile) {
        if (!request.prune || !request.prune_kernel)
            return Error::bad_input("--hint-profile guides kernel pruning: give --prune (with kernel in --prune-what)");
        if (request.profile)
            return Error::bad_input("--hint-profile and --profile: --profile's options are already the candidates; "
                                    "to prune over the pool with that profile as a guess, give it as --hint-profile only");
        if (request.strategy == "sequential")
            return Error::bad_input("--hint-profile guides group testing: use --strategy group or trace");
        TRY_ASSIGN(context.hint_profile, load_app_profile(*request.hint_profile, "--hint-profile", " (what a pruning kept)"));
    }
    const auto& profile = context.profile;
    if (!request.kernel_only) {
        if (request.app) {
            context.app = *request.app;
            if (profile && profile->app && profiles::app_label(*profile->app) != profiles::app_label(context.app))
                log::info(str("reusing the kernel options of profile '", profile->name, "' (built for ",
                              profiles::app_label(*profile->app), ") for ", profiles::app_label(context.app)));
        } else if (profile && profile->app) {
            context.app = profiles::rebase_host_paths(*profile->app, fs::absolute(*request.profile).parent_path());
        } else {
            return Error::bad_input("nothing to build: give --app APP, --image REF or --profile FILE");
        }
        context.test = request.test ? *request.test : (profile && profile->test ? *profile->test : profiles::TestSpec{});
        if (profile)
            show_what_a_profile_runs(*request.profile, request.app ? nullptr : &context.app,
                                     request.test ? nullptr : &context.test);
    }
    // The platform: as asked, else the profile's, else qemu-pc. A profile decided for another
    // platform is not reused silently: its options would carry that platform's devices (PCI) or
    // lack this one's (virtio-mmio). With --prune it is the start of a pruning for this platform.
    std::string platform_name = request.platform;
    if (platform_name.empty()) platform_name = profile && !profile->platform.empty() ? profile->platform : std::string(harness::kDefaultPlatform);
    TRY_ASSIGN(context.platform, harness::find_platform(platform_name));
    // The architecture: as asked, else the profile's. A profile's options are for its architecture
    // (arm64 has no IA32_EMULATION, x86 no PL011): another one is only a start for --prune.
    const std::string arch_name = !request.arch.empty() ? request.arch : profile ? profile->arch : std::string(kDefaultArch);
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    context.arch = arch;
    if (profile && profile->arch != arch->name && !(request.prune && request.prune_kernel))
        return Error::bad_input(str("profile '", profile->name, "' was made for ", profile->arch, "; this build is for ", arch->name,
                                    " (give --arch ", profile->arch, ", or --prune to decide the options for ", arch->name, ")"));
    TRY(harness::check_platform_arch(*context.platform, *arch));
    if (profile && !profile->platform.empty()) {
        TRY_ASSIGN(const harness::Platform* made_for, harness::find_platform(profile->platform));
        if (made_for != context.platform && made_for->baselet(*arch) == context.platform->baselet(*arch))
            log::info(str("profile '", profile->name, "' was made for ", made_for->name, "; ", context.platform->name,
                          " takes the same kernel options (baselet ", context.platform->baselet(*arch), ")"));
        else if (made_for != context.platform && !(request.prune && request.prune_kernel))
            return Error::bad_input(str("profile '", profile->name, "' was made for platform ", made_for->name, "; this build is for ",
                                        context.platform->name, ": its kernel options do not fit (give --platform ",
                                        made_for->name, ", or --prune to decide them for ", context.platform->name,
                                        ", starting from the profile's options)"));
    }
    TRY(plan_compression(context));
    TRY_ASSIGN(context.wanted, wanted_options(request, profile, context.platform->baselet(*arch)));
    if (request.prune && profile) log::info("--prune with --profile: pruning starts from the profile's options");

    if (!request.kernel_only) {
        auto& rootfs = context.rootfs;
        rootfs.app = context.app.app;
        if (!context.app.image.empty()) rootfs.image = context.app.image;
        if (!context.app.image_digest.empty()) rootfs.image_digest = context.app.image_digest;
        rootfs.env = context.app.env;
        if (!context.app.user.empty()) rootfs.user = context.app.user;
        if (!context.app.workdir.empty()) rootfs.workdir = context.app.workdir;
        rootfs.arch = std::string(arch->name);
        if (!context.app.run.empty()) rootfs.run = context.app.run;
        rootfs.includes = context.app.includes;
        rootfs.excludes = context.app.excludes;
        rootfs.busybox = context.app.busybox;
        rootfs.compression = context.app.compression;
        rootfs.format = "initramfs";
        rootfs.out_dir = request.out_dir;
        TRY(packagers::validate_rootfs_request(rootfs));
        // An image is checked (digests, platform, what to run) before anything is written; its
        // ExposedPorts are the forwards when the test names none.
        if (rootfs.image) {
            TRY_ASSIGN(auto image, packagers::inspect_container_image(rootfs));
            if (context.test.forward.empty() && !image.exposed_ports.empty()) {
                context.test.forward = image.exposed_ports;
                std::vector<std::string> ports;
                for (int port : image.exposed_ports) ports.push_back(std::to_string(port));
                log::info(str("forwarding the image's exposed ports: ", join(ports, ", ")));
            }
        }
        if (!context.test.host_test.empty() && context.test.forward.empty())
            return Error::bad_input("--host-test needs at least one --forward GUESTPORT");
    }

    TRY(make_directories(request.out_dir));
    std::error_code ignored;
    fs::remove(request.out_dir / "report.json", ignored); // never leave an old success behind

    TRY_ASSIGN(context.tree, kconfig::locate_source_tree(request.kernel_src, context.arch->name));
    if (profile && !profile->kernel_version.empty() && profile->kernel_version != context.tree.version)
        log::warn(str("profile '", profile->name, "' was made on Linux ", profile->kernel_version, "; this tree is ",
                      context.tree.version));
    return success();
}

} // namespace tinyx::pipeline
