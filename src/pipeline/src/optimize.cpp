// The optimize pass: each initramfs compression of the final image and each kernel compression of
// the final config, their bytes, boots of those the goal needs, and the choice (optimize.hpp).
#include "context.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"
#include "kconfig/config_text.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace tinyx::pipeline {

namespace {

// Boots per booted candidate: a median of three holds against one slow boot.
constexpr int kMeasuredBoots = 3;

// The candidate's boots with the build's test: QEMU start to the app started, each.
Result<void> time_boots(const BuildContext& context, CompressionCandidate& candidate, const fs::path& kernel,
                        const fs::path& initrd, const fs::path& log_dir) {
    auto boot = context.boot;
    boot.target.kernel = kernel;
    boot.target.initrd = initrd;
    boot.repeat = kMeasuredBoots;
    boot.find_min_memory = false;
    boot.log_dir = log_dir;
    TRY_ASSIGN(auto report, harness::boot(boot));
    for (const auto& run : report.boots)
        if (run.verdict == harness::Verdict::pass && run.seconds.app_started >= 0) candidate.boot_seconds.push_back(run.seconds.app_started);
    if (report.verdict == harness::Verdict::pass && candidate.boot_seconds.size() == report.boots.size())
        candidate.median = median(candidate.boot_seconds);
    else
        candidate.note = str("failed: ", harness::verdict_name(report.verdict), report.reason.empty() ? "" : " (" + report.reason + ")");
    return success();
}

std::string label(const CompressionCandidate& candidate) { return str(candidate.name, " ", candidate.part); }

// Boots the candidate if the goal needs its boot time to decide; else notes why not. True if booted.
Result<bool> weigh(const BuildContext& context, CompressionCandidate& candidate, std::uint64_t smallest_setting,
                   const fs::path& kernel, const fs::path& initrd, const fs::path& log_dir) {
    const auto& goal = context.compression.goal;
    if (!needs_boot(goal, candidate, smallest_setting)) {
        if (goal == "balanced") candidate.note = str("over ", kBalancedSlack, "x the smallest: not booted");
        return false;
    }
    log::info(str("timing ", label(candidate), " (", human_bytes(candidate.bytes), "): ", kMeasuredBoots, " boots"));
    TRY(time_boots(context, candidate, kernel, initrd, log_dir));
    return true;
}

// The fewest bytes among the candidates that exist (a kernel that did not build has none); 0 if none does.
std::uint64_t fewest_bytes(const std::vector<CompressionCandidate>& candidates) {
    std::uint64_t fewest = 0;
    for (const auto& candidate : candidates)
        if (candidate.bytes && (!fewest || candidate.bytes < fewest)) fewest = candidate.bytes;
    return fewest;
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& optimize_goals() {
    static const std::vector<std::pair<std::string, std::string>> goals = {
        {"balanced", str("the fastest boot among settings within ", kBalancedSlack, "x the smallest kernel + image")},
        {"size", "the smallest kernel + image (decided by bytes, without boots)"},
        {"boot", "the fastest boot to the app started, whatever the bytes"},
    };
    return goals;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

bool needs_boot(const std::string& goal, const CompressionCandidate& candidate, std::uint64_t smallest_setting) {
    if (goal == "size") return false;
    if (goal == "boot") return true;
    return double(candidate.setting_bytes) <= kBalancedSlack * double(smallest_setting);
}

std::size_t choose_compression(const std::string& goal, const std::vector<CompressionCandidate>& candidates,
                               std::uint64_t smallest_setting) {
    std::size_t best = candidates.size();
    const auto fewer_bytes = [&](std::size_t i) { return best == candidates.size() || candidates[i].bytes < candidates[best].bytes; };
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& candidate = candidates[i];
        if (goal == "size") {
            if (fewer_bytes(i)) best = i;
            continue;
        }
        if (!candidate.median || !needs_boot(goal, candidate, smallest_setting)) continue;
        if (best == candidates.size() || *candidate.median < *candidates[best].median ||
            (*candidate.median == *candidates[best].median && candidate.bytes < candidates[best].bytes))
            best = i;
    }
    if (best == candidates.size()) // nothing booted and passed: the fewest bytes
        for (std::size_t i = 0; i < candidates.size(); ++i)
            if (fewer_bytes(i)) best = i;
    return best;
}

std::vector<std::pair<std::string, std::string>> compression_settings(const CompressionKind* kernel, const CompressionKind* initramfs) {
    std::vector<std::pair<std::string, std::string>> values;
    if (kernel)
        for (const auto& kind : compressions())
            if (!kind.kernel_symbol.empty()) values.emplace_back(std::string(kind.kernel_symbol), &kind == kernel ? "y" : "n");
    if (initramfs)
        for (auto symbol : initramfs_decompressor_symbols())
            values.emplace_back(std::string(symbol), symbol == initramfs->initramfs_symbol ? "y" : "n");
    return values;
}

std::vector<std::pair<std::string, std::string>> fixed_compression_settings(const BuildContext& context) {
    const auto& plan = context.compression;
    if (plan.legacy) return {};
    return compression_settings(plan.kernel, plan.initramfs);
}

Result<void> optimize_compression(BuildContext& context) {
    auto& plan = context.compression;
    const auto started = std::chrono::steady_clock::now();
    const auto& out_dir = context.request.out_dir;
    const fs::path dir = out_dir / "optimize";
    TRY(make_directories(dir));
    // The candidates' files are for measuring (an uncompressed image can be hundreds of MB);
    // their boots' logs stay in optimize/logs.
    const auto remove_candidates = [&dir] {
        std::error_code ignored;
        std::vector<fs::path> measured;
        for (const auto& entry : fs::directory_iterator(dir, ignored))
            if (entry.path().filename() != "logs") measured.push_back(entry.path());
        for (const auto& path : measured) fs::remove_all(path, ignored);
    };
    log::info(str("choosing the compressions (--optimize ", plan.goal, "): ",
                  plan.initramfs ? str("initramfs ", plan.initramfs->name, " (", plan.initramfs_from, ")") : "initramfs measured", ", ",
                  plan.kernel ? str("kernel ", plan.kernel->name, " (", plan.kernel_from, ")")
                              : plan.kernel_kept ? str("kernel as built (", plan.kernel_from, ")") : "kernel measured"));

    // 1. The initramfs, on the final kernel: the same files packed each way.
    std::vector<CompressionCandidate> images;
    std::map<std::string, packagers::RootfsResult> packed;
    const std::uint64_t kernel_now = context.kernel.bytes;
    for (const auto& kind : compressions()) {
        if (plan.initramfs && plan.initramfs != &kind) continue;
        const fs::path where = dir / str("initramfs-", kind.name);
        TRY(make_directories(where));
        TRY_ASSIGN(auto result, packagers::recompress_initramfs(context.image, std::string(kind.name), where));
        CompressionCandidate candidate;
        candidate.part = "initramfs";
        candidate.name = std::string(kind.name);
        candidate.bytes = result.image_bytes;
        candidate.setting_bytes = result.image_bytes + kernel_now;
        packed[candidate.name] = std::move(result);
        images.push_back(std::move(candidate));
    }
    const std::uint64_t smallest_image = fewest_bytes(images);
    std::size_t image_choice = 0;
    if (!plan.initramfs) {
        const std::uint64_t smallest = smallest_image + kernel_now;
        bool passed_one = false; // a candidate that fails after another passed is only not chosen
        for (auto& candidate : images) {
            TRY_ASSIGN(const bool booted, weigh(context, candidate, smallest, context.boot.target.kernel, packed[candidate.name].image,
                                                dir / "logs" / str("initramfs-", candidate.name)));
            if (!booted) continue;
            passed_one = passed_one || candidate.median.has_value();
            if (!passed_one) {
                // The image does not pass as it is: nothing to weigh. The verification says why.
                log::warn(str("the test failed with the ", label(candidate), " (", candidate.note, "): the compressions stay as gathered"));
                plan.why = str("not measured: the test failed with the ", label(candidate));
                plan.table = std::move(images);
                plan.seconds = seconds_since(started);
                remove_candidates();
                return success();
            }
        }
        image_choice = choose_compression(plan.goal, images, smallest);
    }
    images[image_choice].chosen = true;
    const auto& image = packed.at(images[image_choice].name);
    TRY_ASSIGN(const CompressionKind* image_kind, find_compression(images[image_choice].name, "initramfs"));

    // 2. The kernel: the final config compressed each way, unpacking only that initramfs.
    TRY_ASSIGN(auto builder, pruner::KernelBuilder::create(kernel_build_options(context, true)));
    const auto have = kconfig::parse_config_values(context.kernel.config);
    struct Built {
        pruner::BuildOutcome outcome;
        fs::path copy;
    };
    std::map<std::string, Built> built;
    std::vector<CompressionCandidate> kernels;
    // From the composition, not the resolved final config: an option only the dropped
    // decompressors selected (XZ_DEC for RD_XZ) goes with them, as in a profile rebuild.
    std::vector<std::string> removed;
    if (context.kernel_pruning)
        for (const auto& symbol : context.kernel_pruning->pruning.value("removed", Json::array())) removed.push_back(symbol.get<std::string>());
    const std::string composition = kconfig::force_off(context.start.inputs, removed);
    const auto build = [&](const CompressionKind* kind, const std::string& name) -> Result<void> {
        TRY_ASSIGN(auto outcome, builder.build(kconfig::set_values(composition, compression_settings(kind, image_kind))));
        CompressionCandidate candidate;
        candidate.part = "kernel";
        candidate.name = name;
        if (!outcome.ok) {
            candidate.note = "the build failed";
            log::warn(str("the kernel compressed with ", name, " did not build: ", join(outcome.log_tail, " / ")));
            kernels.push_back(std::move(candidate));
            return success();
        }
        // The build dir's image is the next build's: each candidate keeps a copy.
        const fs::path copy = dir / str("kernel-", name) / kernel_file_name(context);
        TRY(make_directories(copy.parent_path()));
        TRY(copy_file_atomic(outcome.kernel.image, copy));
        candidate.bytes = outcome.kernel.bytes;
        candidate.setting_bytes = outcome.kernel.bytes + image.image_bytes;
        built[name] = {std::move(outcome), copy};
        kernels.push_back(std::move(candidate));
        return success();
    };
    // The kernel's choices: those its architecture has (arm64's Image.gz has none).
    std::vector<const CompressionKind*> kernel_kinds;
    if (!plan.kernel && !plan.kernel_kept)
        for (const auto& kind : compressions()) {
            const auto have_it = have.find(str("HAVE_", kind.kernel_symbol));
            if (!kind.kernel_symbol.empty() && have_it != have.end() && have_it->second == "y") kernel_kinds.push_back(&kind);
        }
    const bool kernel_measured = !kernel_kinds.empty();
    if (kernel_measured) {
        for (const auto* kind : kernel_kinds) {
            log::info(str("building the kernel compressed with ", kind->name));
            TRY(build(kind, std::string(kind->name)));
        }
    } else {
        TRY(build(plan.kernel, plan.kernel ? std::string(plan.kernel->name) : std::string("as built")));
    }
    const std::uint64_t smallest_kernel = fewest_bytes(kernels);
    if (!smallest_kernel)
        return Error::internal(str("no kernel of the final config built with the chosen compressions (", builder.build_dir().string(), ")"));
    const std::uint64_t smallest_setting = smallest_kernel + smallest_image;
    std::size_t kernel_choice = 0;
    if (kernel_measured) {
        for (auto& candidate : kernels)
            if (candidate.bytes)
                TRY(weigh(context, candidate, smallest_setting, built.at(candidate.name).copy, image.image,
                          dir / "logs" / str("kernel-", candidate.name)));
        kernel_choice = choose_compression(plan.goal, kernels, smallest_setting);
        if (!kernels[kernel_choice].bytes) return Error::internal("no kernel compression candidate built");
    }
    kernels[kernel_choice].chosen = true;
    auto& final_kernel = built.at(kernels[kernel_choice].name);

    // 3. The outputs: the chosen kernel and image replace the ones of the earlier passes.
    const std::string kernel_name = kernel_file_name(context);
    TRY(copy_file_atomic(final_kernel.copy, out_dir / kernel_name));
    TRY(write_file_atomic(out_dir / "config", final_kernel.outcome.kernel.config));
    context.final_config = final_kernel.outcome.kernel.config; // resolved: what ship reads the kept options from
    context.kernel = final_kernel.outcome.kernel;
    context.kernel_build = final_kernel.outcome;
    context.boot.target.kernel = out_dir / kernel_name;

    auto chosen_image = image;
    chosen_image.image = out_dir / image.image.filename();
    chosen_image.manifest = context.image.manifest;
    TRY(copy_file_atomic(image.image, chosen_image.image));
    if (context.image.image != chosen_image.image) {
        std::error_code ignored;
        fs::remove(context.image.image, ignored);
    }
    TRY(write_file_atomic(chosen_image.manifest, dump_json(chosen_image.manifest_json)));
    context.image = std::move(chosen_image);
    remove_candidates();
    context.boot.target.initrd = context.image.image;
    context.app.compression = std::string(image_kind->name);
    context.rootfs.compression = context.app.compression;

    // The decision in one sentence, against the smallest setting.
    const auto& kernel_row = kernels[kernel_choice];
    const auto& image_row = images[image_choice];
    const std::uint64_t total = kernel_row.bytes + image_row.bytes;
    plan.why = str(plan.goal, ": kernel ", kernel_row.name, " + initramfs ", image_row.name, ", ", human_bytes(total), " = ",
                   std::round(double(total) / double(smallest_setting) * 1000) / 1000, "x the smallest setting (",
                   human_bytes(smallest_setting), ")");
    // The chosen setting's boot (its last measurement) against the smallest image's on the pruned kernel.
    const std::optional<double> chosen_boot = kernel_measured && kernel_row.median ? kernel_row.median : image_row.median;
    const auto smallest_row = std::min_element(images.begin(), images.end(), [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
    if (chosen_boot) plan.why += str(", boot to app started ", human_seconds(*chosen_boot));
    if (chosen_boot && smallest_row->median && &*smallest_row != &image_row)
        plan.why += str(" = ", std::round(*chosen_boot / *smallest_row->median * 1000) / 1000, "x the smallest image's (",
                        smallest_row->name, ", ", human_seconds(*smallest_row->median), ")");
    plan.table = std::move(images);
    plan.table.insert(plan.table.end(), kernels.begin(), kernels.end());
    plan.seconds = seconds_since(started);
    log::info(str("compression: ", plan.why));
    return success();
}

} // namespace tinyx::pipeline
