// The outputs of a build, rendered once from the context: profile.json, report.json (the
// contract's fields; written last, its presence means the run finished) and summary.md.
#include "context.hpp"

#include "core/compression.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "core/version.hpp"
#include "kconfig/config_text.hpp"
#include "pruner/prune.hpp"

#include <cmath>
#include <map>

namespace tinyx::pipeline {

namespace {

// A cache URL as reports may show it: "redis://:secret@host" has its user part replaced.
std::string without_password(const std::string& url) {
    const auto scheme = url.find("://");
    const auto at = url.find('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
    return url.substr(0, scheme + 3) + "***" + url.substr(at);
}

// When the options came from another app's profile and the test failed, they are the usual
// suspect: how to decide this app's own.
std::optional<std::string> foreign_profile_advice(const BuildContext& context) {
    const auto& profile = context.profile;
    if (!profile || !profile->app || profile->app->app == context.app.app) return std::nullopt;
    return str("the kernel options come from profile ", profile->name, ", pruned for ", profile->app->app, ": build ",
               context.app.app, " without --profile, with --prune, to decide its own");
}

// A profile's default name: the package or file name, or the image's path and tag (oci:images/nginx:1 -> nginx-1).
std::string image_name(const profiles::AppSpec& app) {
    if (app.image.empty()) return fs::path(app.app).filename().string();
    std::string rest = app.image.substr(app.image.find(':') + 1);
    std::string tag;
    if (auto colon = rest.find(':'); colon != std::string::npos) {
        tag = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
    }
    std::string name = fs::path(rest).lexically_normal().filename().string();
    if (name.empty()) name = fs::path(rest).lexically_normal().parent_path().filename().string();
    name = fs::path(name).stem().string(); // nginx.tar -> nginx
    return tag.empty() ? name : name + "-" + tag;
}

bool passed(const BuildContext& context) { return context.verified.verdict == harness::Verdict::pass; }

// The final kernel's compression, from its config ("" when its architecture has no choice).
std::string kernel_compression(const std::string& config) {
    const auto values = kconfig::parse_config_values(config);
    for (const auto& kind : compressions()) {
        const auto it = kind.kernel_symbol.empty() ? values.end() : values.find(std::string(kind.kernel_symbol));
        if (it != values.end() && it->second == "y") return std::string(kind.name);
    }
    return "";
}

Json compression_report(const BuildContext& context) {
    const auto& plan = context.compression;
    Json candidates = Json::array();
    for (const auto& row : plan.table)
        candidates.push_back(Json{{"part", row.part}, {"compression", row.name}, {"bytes", row.bytes},
                                  {"setting_bytes", row.setting_bytes}, {"boot_seconds", row.boot_seconds},
                                  {"median_seconds", row.median ? Json(*row.median) : Json()}, {"chosen", row.chosen},
                                  {"note", row.note}});
    std::string rule;
    for (const auto& [goal, what] : optimize_goals())
        if (goal == plan.goal) rule = what;
    const std::string kernel = kernel_compression(context.kernel.config);
    return Json{{"goal", plan.goal}, {"rule", rule}, {"measured", plan.measured()},
                {"kernel", kernel.empty() ? Json() : Json(kernel)}, {"kernel_from", plan.kernel_from},
                {"initramfs", context.image.compression}, {"initramfs_from", plan.initramfs_from},
                {"why", plan.why}, {"candidates", candidates}, {"seconds", plan.seconds}};
}

profiles::Profile output_profile(const BuildContext& context, const std::vector<profiles::OptionSetting>& kept) {
    const auto& profile = context.profile;
    profiles::Profile out;
    out.kind = "app";
    out.name = profile ? profile->name : image_name(context.app);
    out.description = profile ? profile->description : "";
    out.kernel_version = context.tree.version;
    out.arch = std::string(context.tree.arch->name);
    out.platform = std::string(context.platform->name);
    out.tinyx_version = TINYX_VERSION;
    out.options = kept;
    out.app = profiles::rebase_host_paths(context.app, fs::current_path());
    if (context.image.container_image) out.app->image_digest = context.image.container_image->digest;
    out.test = context.test;
    out.sizes = {{"kernel_bytes", context.kernel.bytes}, {"initramfs_bytes", context.image.image_bytes}};
    out.pruning = profile ? profile->pruning : (context.kernel_pruning ? context.kernel_pruning->pruning : Json(nullptr));
    if (context.file_pruning) {
        const auto& files = context.file_pruning->result.report;
        out.file_pruning = Json{{"search", files["search"]},
                                {"candidates", files["candidates"]},
                                {"trials", files["trials"]},
                                {"removed", files["removed"].size()},
                                {"seconds", files["seconds"]},
                                {"image_bytes_before", context.file_pruning->bytes_before},
                                {"image_bytes_after", context.file_pruning->bytes_after}};
    } else if (profile) {
        out.file_pruning = profile->file_pruning;
    }
    const auto& plan = context.compression;
    if (!plan.legacy) {
        // What decided it: this build's measurement, else the rebuilt profile's (flags alone: no goal).
        const auto* before = profile && profile->compression ? &*profile->compression : nullptr;
        out.compression = profiles::CompressionChoice{plan.measured() ? plan.goal : before ? before->goal : "",
                                                      kernel_compression(context.kernel.config), context.image.compression,
                                                      plan.measured() ? plan.why : before ? before->why : ""};
    }
    return out;
}

} // namespace

Json firecracker_config(const BuildContext& context) {
    // Firecracker's --config-file: paths relative to the output directory (run it from there).
    // The args Firecracker's guides use (reboot=k: a reboot is the i8042 reset Firecracker
    // stops on; pci=off: there is none), then what the image's test boots with.
    std::string boot_args = "console=ttyS0 reboot=k panic=1 pci=off";
    if (!context.test.append.empty()) boot_args += " " + context.test.append;
    return Json{
        {"boot-source", {{"kernel_image_path", kernel_file_name(context)},
                         {"initrd_path", context.image.image.filename().string()},
                         {"boot_args", boot_args}}},
        {"drives", Json::array()},
        {"machine-config", {{"vcpu_count", 1}, {"mem_size_mib", context.test.memory_mb}, {"smt", false}}},
        // The init gives eth0 10.0.2.15/24 with 10.0.2.2 as the gateway (QEMU's user network):
        // give the tap device 10.0.2.2/24 on the host (docs/platforms.md).
        {"network-interfaces", Json::array({Json{{"iface_id", "eth0"}, {"guest_mac", "06:00:0a:00:02:0f"},
                                                  {"host_dev_name", "tap0"}}})},
    };
}

std::vector<profiles::OptionSetting> kept_options(const BuildContext& context) {
    auto kept = enabled_options(context.wanted.candidates, context.final_config, "");
    const auto* evidence = context.kernel_pruning ? &context.kernel_pruning->evidence : nullptr;
    for (auto& option : kept) {
        if (evidence && evidence->count(option.symbol))
            option.why = evidence->at(option.symbol);
        else if (context.profile)
            option.why = option.why.empty() ? str("from profile ", context.profile->name) : option.why;
        else
            option.why = str("candidate pool (not pruned): ", option.why);
    }
    return kept;
}

Json kernel_build_report(const BuildContext& context) {
    const auto& built = context.kernel_build;
    const auto& farm = context.request.scale_out;
    return Json{{"from_store", built.from_store},
                {"seconds", built.seconds},
                {"compiles", built.compiles ? pruner::compile_stats_json(*built.compiles) : Json(nullptr)},
                {"distcc_hosts", farm.distcc_hosts.empty() ? Json(nullptr) : Json(farm.distcc_hosts)},
                {"cache_url", farm.cache_url.empty() ? Json(nullptr) : Json(without_password(farm.cache_url))}};
}

Json render_report(const BuildContext& context) {
    const auto& verified = context.verified;
    const auto& image = context.image;
    const auto kept = kept_options(context);
    Json report;
    report["verdict"] = passed(context) ? "pass" : "fail";
    if (!passed(context)) {
        report["reason"] = verified.reason;
        if (auto advice = foreign_profile_advice(context)) report["reason"] = str(verified.reason, " (", *advice, ")");
    }
    report["app"] = {{"app", profiles::app_label(context.app)}, {"run", context.app.run.empty() ? shell_join(image.init.run) : context.app.run}};
    if (!context.app.env.empty()) report["app"]["env"] = context.app.env;
    if (image.init.run_as_user) report["app"]["user"] = {{"uid", image.init.uid}, {"gid", image.init.gid}};
    report["kernel"] = {{"version", context.tree.version}, {"arch", context.tree.arch->name},
                        {"image", kernel_file_name(context)}, {"bytes", context.kernel.bytes},
                        {"config_hash", context.kernel.config_hash}, {"options_on_top_of_tinyconfig", kept.size()}};
    if (!context.start.pool_absent.empty()) report["kernel"]["pool_absent"] = context.start.pool_absent;
    report["kernel"]["build"] = kernel_build_report(context);
    report["image"] = {{"file", image.image.filename().string()}, {"initramfs_bytes", image.image_bytes},
                       {"content_bytes", image.content_bytes}, {"entries", image.entries},
                       {"compression", image.compression}};
    if (image.container_image) {
        // The survey's comparison: the container image as stored beside the VM built from it.
        const auto& from = *image.container_image;
        const std::uint64_t vm_bytes = context.kernel.bytes + image.image_bytes;
        report["container_image"] = {{"reference", from.reference}, {"digest", from.digest}, {"bytes", from.bytes},
                                     {"layers", from.layers}, {"vm_bytes", vm_bytes},
                                     {"vm_to_container", from.bytes ? double(vm_bytes) / double(from.bytes) : 0.0}};
    }
    int passed_boots = 0;
    for (const auto& run : verified.boots) passed_boots += run.verdict == harness::Verdict::pass;
    Json verify = {{"boots", verified.boots.size()}, {"passed", passed_boots},
                   {"accel", harness::accelerator_name(verified.accel)}};
    if (!verified.boots.empty() && verified.boots.front().seconds.app_started >= 0)
        verify["boot_seconds"] = verified.boots.front().seconds.app_started;
    // Where the boot's time goes: each phase's median over the verifying boots that passed.
    std::map<std::string, std::vector<double>> phases;
    std::vector<double> to_app;
    for (const auto& run : verified.boots) {
        if (run.verdict != harness::Verdict::pass) continue;
        if (run.seconds.app_started >= 0) to_app.push_back(run.seconds.app_started);
        const Json measured = harness::boot_phases_json(harness::boot_phases(run));
        for (const auto& [phase, seconds] : measured.items())
            if (seconds.is_number()) phases[phase].push_back(seconds.get<double>());
    }
    if (!to_app.empty()) {
        verify["boot_seconds_median"] = median(to_app);
        Json medians = harness::boot_phases_json(harness::BootPhases{});
        for (const auto& [phase, values] : phases) medians[phase] = median(values);
        verify["phases"] = medians;
    }
    report["verify"] = verify;
    report["boot"] = harness::boot_report_json(verified);
    report["pruning"] = context.kernel_pruning ? context.kernel_pruning->pruning : Json(nullptr);
    Json file_pruning = nullptr;
    if (context.file_pruning) {
        const auto& files = *context.file_pruning;
        file_pruning = files.result.report;
        file_pruning["image_bytes_before"] = files.bytes_before;
        file_pruning["image_bytes_after"] = files.bytes_after;
        file_pruning["image_bytes_saved"] = files.bytes_before > files.bytes_after ? files.bytes_before - files.bytes_after : 0;
    }
    report["file_pruning"] = file_pruning;
    const auto& memory = context.memory;
    report["memory"] = Json{{"requested_mb", memory.requested_mb},
                            {"image_needs_mb", memory.needed_mb},
                            {"uncompressed_image_needs_mb", memory.trial_needed_mb},
                            {"gathering_boots_mb", memory.gathering_mb},
                            {"pruned_image_needs_mb", memory.final_needed_mb ? Json(*memory.final_needed_mb) : Json()},
                            {"verified_mb", memory.verified_mb},
                            {"min_mb", verified.min_memory_mb ? Json(*verified.min_memory_mb) : Json()},
                            {"min_mb_boots", verified.memory_trials.size()}};
    report["compression"] = compression_report(context);
    report["boot_option_pruning"] = context.boot_option_pruning ? context.boot_option_pruning->report : Json(nullptr);
    report["trials"] = context.kernel_pruning ? context.kernel_pruning->trials : Json::array();
    report["seconds"] = context.seconds;
    report["platform"] = context.platform->name;
    report["outputs"] = {kernel_file_name(context), image.image.filename().string(), "manifest.json", "config",
                         "profile.json", "report.json", "summary.md"};
    if (context.platform->monitor_config == harness::MonitorConfig::firecracker) report["outputs"].push_back("vm-config.json");
    return report;
}

namespace {

// The compression decision: the rule, the measured table and the choice (or where the fixed ones came from).
std::string compression_summary(const Json& compression) {
    const auto text = [&](const char* key) { return compression[key].is_string() ? compression[key].get<std::string>() : std::string("as built"); };
    std::string md = str("## Compression\n\nKernel ", text("kernel"), " (", text("kernel_from"), "), initramfs ", text("initramfs"), " (",
                         text("initramfs_from"), ").");
    if (!compression.value("measured", false)) return md + " Not measured: `--optimize size|boot|balanced` decides again.\n\n";
    md += str(" `--optimize ", text("goal"), "`: ", text("rule"), "; the initramfs is decided first, on the pruned kernel, then the "
              "kernel's compression with that initramfs.\n\n");
    md += "| part | compression | bytes | kernel + image | boot to app started (median) | |\n|---|---|---|---|---|---|\n";
    for (const auto& row : compression["candidates"]) {
        std::string boot = "–";
        if (row["median_seconds"].is_number()) {
            std::vector<std::string> each;
            for (const auto& s : row["boot_seconds"]) each.push_back(human_seconds(s.get<double>()));
            boot = str(human_seconds(row["median_seconds"].get<double>()), " (", join(each, ", "), ")");
        }
        md += str("| ", row.value("part", std::string()), " | ", row.value("compression", std::string()), " | ",
                  human_bytes(row.value("bytes", 0ull)), " | ", human_bytes(row.value("setting_bytes", 0ull)), " | ", boot, " | ",
                  row.value("chosen", false) ? std::string("**chosen**") : row.value("note", std::string()), " |\n");
    }
    return md + str("\nDecision: ", text("why"), " (", human_seconds(compression.value("seconds", 0.0)), ").\n\n");
}

} // namespace

std::string render_summary(const Json& report, const std::vector<profiles::OptionSetting>& kept) {
    std::string md = "# tinyx build: " + report["app"].value("app", std::string()) + "\n\n";
    md += str("Result: **", report["verdict"].get<std::string>(), "**", report.contains("reason") ? " — " + report["reason"].get<std::string>() : "", "\n\n");
    md += "| what | size |\n|---|---|\n";
    md += str("| kernel (", report["kernel"].value("image", std::string("bzImage")), ") | ", human_bytes(report["kernel"]["bytes"].get<unsigned long long>()), " |\n");
    md += str("| image (", report["image"]["file"].get<std::string>(), ") | ", human_bytes(report["image"]["initramfs_bytes"].get<unsigned long long>()), " |\n");
    md += str("| kernel + image | ", human_bytes(report["kernel"]["bytes"].get<unsigned long long>() + report["image"]["initramfs_bytes"].get<unsigned long long>()), " |\n");
    if (report.contains("container_image"))
        md += str("| the container image it came from (", report["container_image"]["reference"].get<std::string>(), ", ",
                  report["container_image"]["layers"].get<std::size_t>(), " layers) | ",
                  human_bytes(report["container_image"]["bytes"].get<unsigned long long>()), " |\n");
    md += "\n";
    if (report.contains("verify")) {
        const auto& verify = report["verify"];
        md += str("Verification: ", verify.value("passed", 0), "/", verify.value("boots", 0), " boots passed");
        if (verify.contains("boot_seconds")) md += str(", boot to app started ", verify["boot_seconds"].get<double>(), " s");
        md += str(" (", verify.value("accel", std::string("?")), ").\n\n");
        if (verify.contains("phases")) {
            md += str("Boot to app started, median of the verifying boots: **", human_seconds(verify["boot_seconds_median"].get<double>()),
                      "**\n\n| phase | seconds |\n|---|---|\n");
            for (const auto& phase : harness::boot_phase_names()) {
                const auto& seconds = verify["phases"][phase.key];
                md += str("| ", phase.name, " | ", seconds.is_number() ? str(std::round(seconds.get<double>() * 1000) / 1000) : std::string("–"), " |\n");
            }
            md += "\n";
        }
    }
    if (report.contains("memory") && report["memory"].is_object()) {
        const auto& memory = report["memory"];
        const int requested = memory.value("requested_mb", 0), gathering = memory.value("gathering_boots_mb", 0);
        md += str("Memory: the image needs about ", memory.value("image_needs_mb", 0), " MB of guest memory to unpack (",
                  requested, " MB asked)");
        if (gathering > requested)
            md += str("; it did not fit, so the boots of the gathered image got ", gathering, " MB");
        if (!memory["pruned_image_needs_mb"].is_null())
            md += str("; the pruned image needs about ", memory["pruned_image_needs_mb"].get<int>(), " MB");
        md += str("; verified with ", memory.value("verified_mb", 0), " MB.");
        if (memory.contains("min_mb") && memory["min_mb"].is_number())
            md += str(" **Smallest memory that passes: ", memory["min_mb"].get<int>(), " MB** (", memory.value("min_mb_boots", 0),
                      " more boots, to within 4 MB).");
        md += "\n\n";
    }
    if (report.contains("compression") && report["compression"].is_object()) md += compression_summary(report["compression"]);
    md += str("## Kernel options on top of tinyconfig (", kept.size(), ")\n\n");
    for (const auto& option : kept) md += str("- `", option.symbol, "=", option.value, "` — ", option.why, "\n");
    if (report.contains("file_pruning") && !report["file_pruning"].is_null()) {
        const auto& files = report["file_pruning"];
        // Byte-code caches go with their sources: they count among the files, not the candidates.
        const std::size_t caches = files.value("byte_code_caches", std::size_t(0));
        md += str("\n## Files pruned from the image (", files["removed"].size(), " of ", files.value("candidates", std::size_t(0)) + caches,
                  caches ? str(" files: ", files.value("candidates", 0), " candidates and ", caches, " byte-code caches") : std::string(" candidates"),
                  "; ", files.value("protected", 0), " protected)\n\n");
        md += str("Image ", human_bytes(files.value("image_bytes_before", 0ull)), " -> ",
                  human_bytes(files.value("image_bytes_after", 0ull)), " (", human_bytes(files.value("image_bytes_saved", 0ull)),
                  " saved), ", files.value("trials", 0), " trials of ", human_seconds(files.value("mean_trial_seconds", 0.0)),
                  " on average.\n\n");
        for (const auto& path : files["removed"]) md += str("- removed `", path.get<std::string>(), "`\n");
        for (const auto& kept_file : files["kept"])
            md += str("- kept `", kept_file.value("path", std::string()), "` — trial ", kept_file.value("trial", 0),
                      " failed without it\n");
        if (files.contains("trace") && files["trace"].is_object()) {
            const auto& trace = files["trace"];
            md += str("\nThe file trace (one boot, ", human_seconds(trace.value("boot_seconds", 0.0)), "): ",
                      trace.value("predicted_needed", 0), " candidates touched, ", trace.value("predicted_unneeded", 0),
                      " untouched. Predictions that held: ", trace.value("held", 0), ", wrong: ", trace.value("wrong", 0),
                      ", untested (touched files kept without a trial): ", trace.value("untested", 0), ".\n");
        }
    }
    if (report.contains("boot_option_pruning") && !report["boot_option_pruning"].is_null()) {
        const auto& options = report["boot_option_pruning"];
        md += str("\n## Kernel command line\n\nStart: `", options.value("start", std::string()), "`; final: `",
                  options.value("final", std::string()), "` (", options.value("trials", 0), " trials).\n\n");
        md += "| boot-time saver | passes | without (s) | with (s) | noise (s) | kept |\n|---|---|---|---|---|---|\n";
        for (const auto& m : options["savers"])
            md += str("| `", m.value("option", std::string()), "` | ", m.value("passed", false) ? "yes" : "no", " | ",
                      m.value("baseline_seconds", 0.0), " | ", m.value("seconds", 0.0), " | ", m.value("noise_seconds", 0.0),
                      " | ", m.value("kept", false) ? "**yes**" : "no", " |\n");
    }
    md += str("\nTimes: ");
    std::vector<std::string> parts;
    for (const auto& [phase, seconds] : report["seconds"].items()) parts.push_back(str(phase, " ", human_seconds(seconds.get<double>())));
    md += join(parts, ", ") + "\n";
    return md;
}

Result<BuildResult> ship(BuildContext& context) {
    const auto& out_dir = context.request.out_dir;
    const auto kept = kept_options(context);
    TRY(profiles::save_profile(out_dir / "profile.json", output_profile(context, kept)));
    if (context.platform->monitor_config == harness::MonitorConfig::firecracker) TRY(write_json_file(out_dir / "vm-config.json", firecracker_config(context)));
    if (!passed(context))
        if (auto advice = foreign_profile_advice(context)) log::warn(*advice);
    BuildResult result;
    result.passed = passed(context);
    result.out_dir = out_dir;
    result.report = render_report(context);
    result.summary_markdown = render_summary(result.report, kept);
    TRY(write_file_atomic(out_dir / "summary.md", result.summary_markdown));
    TRY(write_json_file(out_dir / "report.json", result.report)); // last: its presence means the run finished
    if (!result.passed && !context.verified.boots.empty())
        for (const auto& line : harness::failure_details(context.verified.boots.back())) log::info(line);
    return result;
}

} // namespace tinyx::pipeline
