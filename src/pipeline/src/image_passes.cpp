// The image passes: gathering the app, pruning the image's files and the kernel command line
// with boots of the final kernel, and the verifying boots.
#include "context.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

namespace tinyx::pipeline {

Result<void> gather(BuildContext& context) {
    log::verbose(str("gathering ", context.app.app)); // packagers reports its own progress, after input errors
    TRY_ASSIGN(context.image, packagers::build_rootfs(context.rootfs));
    const auto& image = context.image;
    log::info(str("image: ", image.image.filename().string(), " ", human_bytes(image.image_bytes), " (", image.entries,
                  " entries)"));
    // The boot every kernel of this build gets: trials, and the final verification.
    context.boot.target.initrd = image.image;
    context.boot.target.accel = context.request.accel;
    context.boot.target.platform = std::string(context.platform->name);
    context.boot.target.arch = std::string(context.tree.arch->name);
    profiles::apply_test(context.test, context.boot);
    return success();
}

Result<void> prune_files(BuildContext& context) {
    const auto& request = context.request;
    FilePruneRequest files_request;
    files_request.rootfs = context.rootfs;
    files_request.manifest = context.image.manifest_json;
    files_request.boot = context.boot;
    files_request.out_dir = request.out_dir / "prune-files";
    files_request.strategy = request.strategy == "trace" ? "group" : request.strategy; // no trace for files
    files_request.resume = request.resume;
    files_request.jobs = request.jobs;
    std::optional<log::Progress> progress;
    files_request.on_progress = progress_line(progress, "pruning files");
    log::info(str("pruning the image's files with boots of the final kernel (journal: ",
                  (files_request.out_dir / "journal.jsonl").string(), ")"));
    TRY_ASSIGN(auto files, prune_image_files(files_request));
    if (progress)
        progress->finish(str(files.removed.size(), " files removed, ", files.kept_by_trial.size(), " needed, ",
                             files.engine.test_runs, " trials"));
    FilePruning result;
    result.bytes_before = context.image.image_bytes;
    for (const auto& glob : files.excludes) context.app.excludes.push_back(glob);
    context.rootfs.excludes = context.app.excludes;
    TRY_ASSIGN(context.image, packagers::build_rootfs(context.rootfs));
    annotate_manifest(context.image.manifest_json, files);
    TRY(write_file_atomic(context.image.manifest, dump_json(context.image.manifest_json)));
    context.boot.target.initrd = context.image.image;
    result.bytes_after = context.image.image_bytes;
    result.result = std::move(files);
    log::info(str("image: ", context.image.image.filename().string(), " ", human_bytes(result.bytes_after), " (was ",
                  human_bytes(result.bytes_before), ")"));
    context.file_pruning = std::move(result);
    return success();
}

Result<void> prune_command_line(BuildContext& context) {
    const auto& request = context.request;
    BootOptionPruneRequest options_request;
    options_request.boot = context.boot;
    options_request.out_dir = request.out_dir / "prune-boot";
    options_request.strategy = request.strategy == "trace" ? "group" : request.strategy;
    options_request.resume = request.resume;
    options_request.jobs = request.jobs;
    std::optional<log::Progress> progress;
    options_request.on_progress = progress_line(progress, "pruning boot options");
    log::info(str("pruning the kernel command line '", context.boot.target.append, "' and timing ",
                  default_boot_savers().size(), " boot-time savers"));
    TRY_ASSIGN(auto pruned, prune_boot_options(options_request));
    if (progress) progress->finish(str("command line: '", pruned.append, "'"));
    context.test.append = pruned.append;
    context.boot.target.append = pruned.append;
    context.boot_option_pruning = std::move(pruned);
    return success();
}

Result<void> verify(BuildContext& context) {
    const auto& request = context.request;
    auto boot = context.boot;
    boot.repeat = request.verify_boots;
    boot.log_dir = request.out_dir / "logs";
    TRY(make_directories(*boot.log_dir));
    log::info(str("verifying: ", request.verify_boots, " boots with the test"));
    TRY_ASSIGN(context.verified, harness::boot(boot));
    return success();
}

} // namespace tinyx::pipeline
