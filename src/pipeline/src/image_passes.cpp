// The image passes: gathering the app, pruning the image's files and the kernel command line
// with boots of the final kernel, and the verifying boots.
#include "context.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

namespace tinyx::pipeline {

namespace {

// The kernel's image and early reservations; nginx's image (3 MB archive, 10 MB of files) passes in 48 MB.
constexpr int kReservedMb = 16;
constexpr std::uint64_t kPage = 4096, kPerEntry = 1024, kCpioHeader = 512;

int rounded_up_mb(int mb, int step = 64) { return (mb + step - 1) / step * step; }

std::uint64_t uncompressed_archive_bytes(const packagers::RootfsResult& image) {
    return image.content_bytes + image.entries * kCpioHeader;
}

} // namespace

int initramfs_memory_mb(std::uint64_t archive_bytes, const Json& manifest) {
    std::uint64_t unpacked = 0;
    for (const auto& entry : manifest.value("files", Json::array()))
        unpacked += (entry.value("size", std::uint64_t(0)) + kPage - 1) / kPage * kPage + kPerEntry;
    const auto mb = [](std::uint64_t bytes) { return int((bytes + (1 << 20) - 1) >> 20); };
    // A tmpfs root (CONFIG_TMPFS) is sized at mount, early: half of the memory the kernel manages
    // then, which excludes the archive (still reserved) and the kernel's own reservations. So the
    // files need twice their size beside the archive (more than the two copies at once).
    return (2 * mb(unpacked) + mb(archive_bytes) + kReservedMb) * 100 / 95 + 1;
}

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

    // An image that cannot unpack in the guest's memory would panic the kernel ("System is
    // deadlocked on memory"): the boots get enough, and the summary says so.
    auto& memory = context.memory;
    memory.requested_mb = context.boot.target.memory_mb;
    memory.needed_mb = initramfs_memory_mb(image.image_bytes, image.manifest_json);
    memory.trial_needed_mb = initramfs_memory_mb(uncompressed_archive_bytes(image), image.manifest_json);
    memory.gathering_mb = memory.requested_mb;
    if (memory.needed_mb > memory.requested_mb) {
        memory.gathering_mb = rounded_up_mb(memory.needed_mb);
        log::warn(str("the image (", human_bytes(image.image_bytes), ", ", human_bytes(image.content_bytes),
                      " unpacked) needs about ", memory.needed_mb, " MB of guest memory to unpack, more than the ",
                      memory.requested_mb, " MB asked: its boots get ", memory.gathering_mb,
                      " MB (--format raw|qcow2 would need no copy in memory)"));
        context.boot.target.memory_mb = memory.gathering_mb;
        context.test.memory_mb = memory.gathering_mb; // what a profile rebuild boots with, unless pruning shrinks the image
    }
    memory.verified_mb = context.boot.target.memory_mb;
    return success();
}

Result<void> prune_files(BuildContext& context) {
    const auto& request = context.request;
    FilePruneRequest files_request;
    files_request.rootfs = context.rootfs;
    files_request.manifest = context.image.manifest_json;
    files_request.boot = context.boot;
    // Trials boot the archive uncompressed: it takes more room than the compressed one.
    if (context.memory.trial_needed_mb > files_request.boot.target.memory_mb) {
        files_request.boot.target.memory_mb = rounded_up_mb(context.memory.trial_needed_mb);
        log::info(str("file trials boot the image uncompressed: they get ", files_request.boot.target.memory_mb, " MB"));
    }
    files_request.out_dir = request.out_dir / "prune-files";
    files_request.strategy = request.strategy == "trace" ? "group" : request.strategy; // the kernel's trace is not the files'
    files_request.search = request.file_search;
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
    // The pruned image may fit the memory the test asked for again.
    auto& memory = context.memory;
    memory.final_needed_mb = initramfs_memory_mb(context.image.image_bytes, context.image.manifest_json);
    context.boot.target.memory_mb = *memory.final_needed_mb <= memory.requested_mb ? memory.requested_mb
                                                                                    : rounded_up_mb(*memory.final_needed_mb);
    context.test.memory_mb = context.boot.target.memory_mb; // what the profile records: the pruned image's
    memory.verified_mb = context.boot.target.memory_mb;
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
    // Then the smallest memory that passes (summary.md, report.json memory.min_mb), starting
    // from what the image needs to unpack.
    boot.find_min_memory = true;
    boot.min_memory_hint_mb = initramfs_memory_mb(context.image.image_bytes, context.image.manifest_json);
    TRY(make_directories(*boot.log_dir));
    log::info(str("verifying: ", request.verify_boots, " boots with the test, then the smallest memory that passes"));
    TRY_ASSIGN(context.verified, harness::boot(boot));
    return success();
}

} // namespace tinyx::pipeline
