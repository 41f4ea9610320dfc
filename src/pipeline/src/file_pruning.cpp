#include "file_pruning.hpp"

#include "set_pruning.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"
#include "pruner/prune.hpp"
#include "pruner/boot_trials.hpp"
#include "minimize/set_domain.hpp"

#include <chrono>
#include <set>

namespace tinyx::pipeline {

namespace {

std::string text_of(const Json& entry, const char* key) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

class FileTrialEvaluator final : public minimize::TrialEvaluator {
  public:
    FileTrialEvaluator(const FilePruneRequest& request, std::vector<std::string> candidates)
        : m_request(request), m_candidates(std::move(candidates)) {}

    Result<minimize::TrialOutcome> evaluate(const minimize::TrialInput& trial) override {
        const auto present = minimize::SetDomain::items_of(trial.text);
        const std::set<std::string> kept(present.begin(), present.end());
        auto rootfs = m_request.rootfs;
        for (const auto& path : m_candidates)
            if (!kept.count(path)) rootfs.excludes.push_back(literal_glob(path));
        rootfs.format = "initramfs";
        rootfs.compression = "none"; // the kernel always takes a plain cpio; compressing would cost more than booting
        rootfs.out_dir = trial.work_dir / "image";

        QuietScope quiet;
        const auto started = std::chrono::steady_clock::now();
        TRY_ASSIGN(auto image, packagers::build_rootfs(rootfs));
        const double pack_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        auto boot = m_request.boot;
        boot.target.initrd = image.image;
        TRY_ASSIGN(auto outcome, pruner::confirmed_boot(boot, m_request.confirm_runs));
        outcome.seconds["pack"] = pack_seconds;
        return outcome;
    }

  private:
    const FilePruneRequest& m_request;
    std::vector<std::string> m_candidates;
};

} // namespace

std::string literal_glob(const std::string& path) {
    std::string glob;
    for (char c : path) {
        if (c == '*' || c == '?' || c == '[' || c == '\\') glob += '\\';
        glob += c;
    }
    return glob;
}

std::set<std::string> protected_paths(const Json& manifest) {
    std::set<std::string> guarded{"/init"};
    std::map<std::string, std::string> reason_of;
    const Json files = manifest.contains("files") ? manifest["files"] : Json::array();
    for (const auto& entry : files) reason_of[text_of(entry, "path")] = text_of(entry, "reason");

    // The run program: argv[0] as the init resolves it (an absolute path, or a name on the usual PATH).
    std::string program;
    if (manifest.contains("run") && manifest["run"].is_array() && !manifest["run"].empty() && manifest["run"][0].is_string())
        program = manifest["run"][0].get<std::string>();
    for (const auto& [path, reason] : reason_of) {
        const bool is_program = !program.empty() && (path == program || (program.find('/') == std::string::npos &&
                                                                        fs::path(path).filename() == program &&
                                                                        fs::path(path).parent_path().filename().string().find("bin") != std::string::npos));
        if (is_program || starts_with(path, "/etc/tinyx/") || starts_with(reason, "ELF closure") || starts_with(reason, "tinyx"))
            guarded.insert(path);
    }
    // Symlink chains: "target of symlink X" is as protected as X.
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& [path, reason] : reason_of) {
            static const std::string prefix = "target of symlink ";
            if (guarded.count(path) || !starts_with(reason, prefix)) continue;
            if (guarded.count(reason.substr(prefix.size()))) grew = guarded.insert(path).second || grew;
        }
    }
    return guarded;
}

Result<FilePruneResult> prune_image_files(const FilePruneRequest& request) {
    FilePruneResult result;
    result.protected_paths = protected_paths(request.manifest);
    const auto& guarded = result.protected_paths;
    std::vector<std::string> candidates;
    std::map<std::string, std::uint64_t> size_of;
    for (const auto& entry : request.manifest.value("files", Json::array())) {
        const auto type = text_of(entry, "type");
        const auto path = text_of(entry, "path");
        if ((type != "file" && type != "symlink") || guarded.count(path)) continue;
        candidates.push_back(path);
        size_of[path] = entry.value("size", std::uint64_t(0));
    }

    minimize::SetDomain domain("files", candidates);
    FileTrialEvaluator evaluator(request, candidates);
    SetPruning how;
    how.out_dir = request.out_dir;
    how.journal_header = Json{{"tinyx_prune_journal", 1},
                              {"domain", "files"},
                              {"strategy", request.strategy},
                              {"candidates", candidates},
                              {"excludes", request.rootfs.excludes},
                              {"kernel", request.boot.target.kernel.string()},
                              {"test", request.boot.test.host_test + "\n" + request.boot.test.guest_test}};
    how.strategy = request.strategy;
    how.resume = request.resume;
    how.jobs = request.jobs;
    how.on_progress = request.on_progress;
    how.start_failure = "the image fails its test before any file was removed";
    TRY_ASSIGN(result.engine, run_set_pruning(domain, evaluator, how));

    std::uint64_t removed_bytes = 0;
    for (const auto& path : result.engine.removed) {
        result.removed.push_back(path);
        result.excludes.push_back(literal_glob(path));
        removed_bytes += size_of[path];
    }
    Json kept = Json::array();
    for (const auto& item : result.engine.kept) {
        result.kept_by_trial[item.item] = item.trial_id;
        kept.push_back(Json{{"path", item.item}, {"trial", item.trial_id}, {"evidence", item.evidence}});
    }
    result.report = Json{{"strategy", request.strategy},
                         {"candidates", candidates.size()},
                         {"protected", guarded.size()},
                         {"trials", result.engine.test_runs},
                         {"cache_hits", result.engine.cache_hits},
                         {"inferred", result.engine.inferred},
                         {"mean_trial_seconds", mean_trial_seconds(result.engine)},
                         {"retried", pruner::retried_report(result.engine)},
                         {"parallel", pruner::parallel_report(result.engine)},
                         {"removed", result.removed},
                         {"removed_content_bytes", removed_bytes},
                         {"kept", kept},
                         {"seconds", result.engine.seconds}};
    return result;
}

void annotate_manifest(Json& manifest, const FilePruneResult& files) {
    if (!manifest.contains("files")) return;
    for (auto& entry : manifest["files"]) {
        const auto path = text_of(entry, "path");
        if (auto it = files.kept_by_trial.find(path); it != files.kept_by_trial.end())
            entry["pruning"] = str("needed: trial ", it->second, " of the file pruning failed without it");
        else if (files.protected_paths.count(path))
            entry["pruning"] = "protected (the app's program, its ELF closure or tinyx's init)";
    }
}

} // namespace tinyx::pipeline
