// `tinyx build` as a flat list of passes over one context (context.hpp): each pass reads what
// the earlier ones left in the context and adds its own typed result; ship renders them once.
// The passes live in inputs.cpp, kernel_passes.cpp, image_passes.cpp and ship.cpp.
#include "pipeline/pipeline.hpp"

#include "context.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"

namespace tinyx::pipeline {

namespace {

bool always(const BuildContext&) { return true; }
bool prunes_kernel(const BuildContext& c) { return c.request.prune && c.request.prune_kernel; }
bool prunes_files(const BuildContext& c) { return c.request.prune && c.request.prune_files; }
bool prunes_command_line(const BuildContext& c) { return c.request.prune && c.request.prune_boot_options; }
bool measures_compression(const BuildContext& c) { return c.compression.measured(); }

Result<void> run_pass(const Pass& pass, BuildContext& context) {
    const auto start = std::chrono::steady_clock::now();
    TRY(pass.run(context));
    context.seconds[pass.name] = seconds_since(start);
    return success();
}

// --kernel-only: the start config's kernel, really built (no image, no test).
Result<BuildResult> build_kernel_only(BuildContext& context) {
    for (const Pass& pass : build_passes())
        if (pass.run == compose_start_config || pass.run == build_kernel) TRY(run_pass(pass, context));
    const auto image = context.request.out_dir / kernel_file_name(context);
    BuildResult result;
    result.passed = true;
    result.out_dir = context.request.out_dir;
    result.report = {{"kernel", {{"version", context.tree.version}, {"arch", context.tree.arch->name},
                                 {"bytes", fs::file_size(image)}, {"config_hash", sha256_hex(context.kernel.config)},
                                 {"build", kernel_build_report(context)}}}};
    result.summary_markdown = str("kernel ", context.tree.version, ": ", image.string(), " (", human_bytes(fs::file_size(image)), ")\n");
    return result;
}

} // namespace

const std::vector<Pass>& build_passes() {
    static const std::vector<Pass> passes = {
        {"gather", always, gather},                                       // the app's files into an image
        {"config", always, compose_start_config},                         // tinyconfig + baselet + candidates
        {"prune", prunes_kernel, prune_kernel},                           // options off against the test
        {"build", always, build_kernel},                                  // the final kernel
        {"prune_files", prunes_files, prune_files},                       // the image's files
        {"prune_boot_options", prunes_command_line, prune_command_line},  // the kernel command line
        {"optimize", measures_compression, optimize_compression},         // the compressions, by measured boots
        {"verify", always, verify},                                       // --verify boots with the test
    };
    return passes;
}

std::function<void(const std::string&)> progress_line(std::optional<log::Progress>& progress, std::string title) {
    return [&progress, title = std::move(title)](const std::string& status) {
        if (!progress) progress.emplace(title);
        progress->update(status);
    };
}

Result<BuildResult> run_build(const BuildRequest& request) {
    BuildContext context(request);
    TRY(resolve_inputs(context));
    if (request.kernel_only) return build_kernel_only(context);
    for (const Pass& pass : build_passes())
        if (pass.runs(context)) TRY(run_pass(pass, context));
    context.seconds["total"] = seconds_since(context.started);
    return ship(context);
}

} // namespace tinyx::pipeline
