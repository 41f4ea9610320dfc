#include "file_pruning.hpp"

#include "set_pruning.hpp"

#include "core/fs.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "pruner/prune.hpp"
#include "pruner/boot_trials.hpp"
#include "minimize/prior_hint.hpp"
#include "minimize/set_domain.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <set>

namespace tinyx::pipeline {

namespace {

std::string text_of(const Json& entry, const char* key) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a trial removes: the items absent from its state, and the byte-code caches of those.
std::vector<std::string> removed_paths(const std::vector<std::string>& candidates, const std::set<std::string>& present,
                                       const std::multimap<std::string, std::string>& caches_of) {
    std::vector<std::string> removed;
    for (const auto& path : candidates) {
        if (present.count(path)) continue;
        removed.push_back(path);
        for (auto [it, end] = caches_of.equal_range(path); it != end; ++it) removed.push_back(it->second);
    }
    return removed;
}

class FileTrialEvaluator final : public minimize::TrialEvaluator {
  public:
    FileTrialEvaluator(const FilePruneRequest& request, std::vector<std::string> candidates,
                       const std::multimap<std::string, std::string>& caches_of)
        : m_request(request), m_candidates(std::move(candidates)), m_caches_of(caches_of) {}

    // The traced boot already judged the start state (every candidate present): its outcome
    // answers that trial once instead of a second boot.
    void answer_start_with(minimize::TrialOutcome outcome) { m_start_outcome = std::move(outcome); }

    Result<minimize::TrialOutcome> evaluate(const minimize::TrialInput& trial) override {
        const auto present = minimize::SetDomain::items_of(trial.text);
        if (present.size() == m_candidates.size()) {
            std::lock_guard lock(m_mutex);
            if (m_start_outcome) return *std::exchange(m_start_outcome, std::nullopt);
        }
        const std::set<std::string> kept(present.begin(), present.end());
        auto rootfs = m_request.rootfs;
        for (const auto& path : removed_paths(m_candidates, kept, m_caches_of)) rootfs.excludes.push_back(literal_glob(path));
        auto boot = m_request.boot;
        return packed_boot(rootfs, trial.work_dir, boot, m_request.confirm_runs);
    }

    // Packs `rootfs` uncompressed into `dir` and boots it: the kernel always takes a plain
    // cpio, and compressing would cost more than booting.
    static Result<minimize::TrialOutcome> packed_boot(packagers::RootfsRequest rootfs, const fs::path& dir,
                                                      harness::BootRequest& boot, int confirm_runs,
                                                      harness::BootReport* traced = nullptr) {
        rootfs.format = "initramfs";
        rootfs.compression = "none";
        rootfs.out_dir = dir / "image";
        QuietScope quiet;
        const auto started = std::chrono::steady_clock::now();
        TRY_ASSIGN(auto image, packagers::build_rootfs(rootfs));
        const double pack_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        boot.target.initrd = image.image;
        minimize::TrialOutcome outcome;
        if (traced) {
            boot.repeat = 1;
            boot.find_min_memory = false;
            TRY_ASSIGN(outcome, pruner::judged_boot(boot, traced));
        } else {
            TRY_ASSIGN(outcome, pruner::confirmed_boot(boot, confirm_runs));
        }
        outcome.seconds["pack"] = pack_seconds;
        return outcome;
    }

  private:
    const FilePruneRequest& m_request;
    std::vector<std::string> m_candidates;
    const std::multimap<std::string, std::string>& m_caches_of;
    std::mutex m_mutex;
    std::optional<minimize::TrialOutcome> m_start_outcome;
};

constexpr std::string_view kCachePrefix = "byte-code cache of ";

// The traced boot's touched paths, kept in the prune directory so that --resume
// searches the same candidates without booting again.
struct FileTraceRecord {
    std::set<std::string> touched; // files and symlinks ("f"/"l" entries)
    std::size_t entries = 0;       // everything reported, directories included
    double seconds = 0;
};

Result<std::optional<FileTraceRecord>> load_trace(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::optional<FileTraceRecord>();
    TRY_ASSIGN(auto json, read_json_file(path));
    FileTraceRecord record;
    for (const auto& path_json : json.value("touched", Json::array())) record.touched.insert(path_json.get<std::string>());
    record.entries = json.value("entries", std::size_t(0));
    record.seconds = json.value("seconds", 0.0);
    return std::optional<FileTraceRecord>(std::move(record));
}

// report.json's file_pruning.trace: what the trace predicted for each candidate and whether it held.
Json trace_report(const FileTraceRecord& trace, const std::vector<std::string>& all, const std::set<std::string>& touched,
                  const std::set<std::string>& removed, const std::string& search) {
    Json predictions = Json::array();
    int held = 0, wrong = 0, untested = 0;
    for (const auto& path : all) {
        const bool predicted_needed = touched.count(path) > 0;
        std::string outcome;
        if (!predicted_needed) outcome = removed.count(path) ? "held" : "wrong";
        else if (search == "full") outcome = removed.count(path) ? "wrong" : "held";
        else outcome = "untested";
        (outcome == "held" ? held : outcome == "wrong" ? wrong : untested)++;
        predictions.push_back(Json{{"path", path}, {"predicted", predicted_needed ? "needed" : "unneeded"}, {"outcome", outcome}});
    }
    return Json{{"boot_seconds", trace.seconds},
                {"entries_touched", trace.entries},
                {"predicted_needed", touched.size()},
                {"predicted_unneeded", all.size() - touched.size()},
                {"held", held},
                {"wrong", wrong},
                {"untested", untested},
                {"predictions", predictions}};
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& file_searches() {
    static const std::vector<std::pair<std::string, std::string>> searches{
        {"traced", "one traced boot; the files it saw untouched are tried, first all in one trial; touched files are kept"},
        {"full", "the same order, and then every touched file is tried too, one at a time"},
        {"untraced", "no trace: the group search over every candidate"},
    };
    return searches;
}

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
        if (is_program || starts_with(path, "/etc/tinyx/") || starts_with(reason, "tinyx")) guarded.insert(path);
    }
    // What the guarded files need to start: the targets of their symlinks and their ELF closure.
    // The closure of anything else (an interpreter's extension modules, an app's plugins) is for
    // the test to decide, like the modules themselves.
    auto needed_by = [](const std::string& reason) -> std::string {
        for (const std::string prefix : {"target of symlink ", "ELF closure of ", "interpreter of "}) {
            if (!starts_with(reason, prefix)) continue;
            const std::string rest = reason.substr(prefix.size());
            return rest.substr(0, rest.find(" ("));
        }
        return {};
    };
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& [path, reason] : reason_of)
            if (!guarded.count(path) && guarded.count(needed_by(reason))) grew = guarded.insert(path).second || grew;
    }
    return guarded;
}

Result<FilePruneResult> prune_image_files(const FilePruneRequest& request) {
    FilePruneResult result;
    result.protected_paths = protected_paths(request.manifest);
    const auto& guarded = result.protected_paths;
    std::vector<std::string> all; // every candidate: files and symlinks not protected, caches aside
    std::map<std::string, std::uint64_t> size_of;
    std::multimap<std::string, std::string> caches_of; // source -> its byte-code caches
    for (const auto& entry : request.manifest.value("files", Json::array())) {
        const auto type = text_of(entry, "type");
        const auto path = text_of(entry, "path");
        if ((type != "file" && type != "symlink") || guarded.count(path)) continue;
        size_of[path] = entry.value("size", std::uint64_t(0));
        if (const auto reason = text_of(entry, "reason"); starts_with(reason, kCachePrefix))
            caches_of.emplace(reason.substr(kCachePrefix.size()), path);
        else
            all.push_back(path);
    }
    // A cache whose source is not a candidate (protected, or not in the image) is one itself.
    const std::set<std::string> sources(all.begin(), all.end());
    for (auto it = caches_of.begin(); it != caches_of.end();) {
        if (sources.count(it->first)) {
            ++it;
            continue;
        }
        all.push_back(it->second);
        it = caches_of.erase(it);
    }

    // The traced boot (also the start state's trial), or the trace an interrupted run kept.
    std::optional<FileTraceRecord> trace;
    std::optional<minimize::TrialOutcome> start_outcome;
    if (request.search != "untraced") {
        const fs::path trace_file = request.out_dir / "file-trace.json";
        if (request.resume) {
            TRY_ASSIGN(trace, load_trace(trace_file));
        }
        if (!trace) {
            TRY(make_directories(request.out_dir));
            TRY_ASSIGN(auto dir, TempDir::create("tinyx-file-trace-"));
            auto boot = request.boot;
            boot.test.trace_files = true;
            harness::BootReport report;
            log::info("the traced boot: which files the app and the test touch");
            TRY_ASSIGN(auto outcome, FileTrialEvaluator::packed_boot(request.rootfs, dir.path(), boot, 1, &report));
            if (outcome.verdict != minimize::Verdict::pass) {
                Error error = Error::test_failed(str("the image fails its test before any file was removed (the traced boot: ",
                                                     report.reason, ")"));
                error.details = outcome.evidence;
                return error;
            }
            const auto& run = report.boots.back();
            if (!run.file_trace || !run.file_trace->complete) {
                log::warn("the traced boot passed, but its file trace did not arrive whole: searching without it");
            } else {
                FileTraceRecord record;
                record.entries = run.file_trace->touched.size();
                for (const auto& [phase, seconds] : outcome.seconds)
                    if (phase != "total") record.seconds += seconds;
                for (const auto& entry : run.file_trace->touched)
                    if (entry.type != 'd') record.touched.insert(entry.path);
                TRY(write_file_atomic(trace_file, dump_json(Json{{"entries", record.entries},
                                                                 {"seconds", record.seconds},
                                                                 {"touched", record.touched}})));
                trace = std::move(record);
                start_outcome = std::move(outcome);
            }
        }
    }
    std::set<std::string> touched; // candidates the trace saw touched (a cache's touch counts for its source)
    if (trace) {
        for (const auto& path : all) {
            bool hit = trace->touched.count(path) > 0;
            for (auto [it, end] = caches_of.equal_range(path); it != end; ++it) hit = hit || trace->touched.count(it->second);
            if (hit) touched.insert(path);
        }
    }
    std::vector<std::string> candidates;
    for (const auto& path : all)
        if (!(trace && request.search == "traced" && touched.count(path))) candidates.push_back(path);
        else result.kept_by_trace.insert(path);
    std::optional<minimize::PriorRemovalHint> hint;
    if (trace) hint.emplace(touched); // untouched: one group first; touched (with "full"): one at a time

    minimize::SetDomain domain("files", candidates);
    FileTrialEvaluator evaluator(request, candidates, caches_of);
    if (start_outcome) evaluator.answer_start_with(std::move(*start_outcome));
    SetPruning how;
    how.out_dir = request.out_dir;
    how.journal_header = Json{{"tinyx_prune_journal", 1},
                              {"domain", "files"},
                              {"strategy", request.strategy},
                              {"search", trace ? request.search : std::string("untraced")},
                              {"candidates", candidates},
                              {"excludes", request.rootfs.excludes},
                              {"kernel", request.boot.target.kernel.string()},
                              {"test", request.boot.test.host_test + "\n" + request.boot.test.guest_test}};
    how.strategy = hint ? "group" : request.strategy;
    how.hint = hint ? &*hint : nullptr;
    how.resume = request.resume;
    how.jobs = request.jobs;
    how.on_progress = request.on_progress;
    how.start_failure = "the image fails its test before any file was removed";
    TRY_ASSIGN(result.engine, run_set_pruning(domain, evaluator, how));

    std::uint64_t removed_bytes = 0;
    const std::set<std::string> removed_items(result.engine.removed.begin(), result.engine.removed.end());
    const std::set<std::string> none_present;
    for (const auto& path : removed_paths(result.engine.removed, none_present, caches_of)) {
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
                         {"search", trace ? request.search : std::string("untraced")},
                         {"candidates", all.size()},
                         {"searched", candidates.size()},
                         {"byte_code_caches", caches_of.size()},
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
                         {"kept_as_touched", result.kept_by_trace},
                         {"trace", trace ? trace_report(*trace, all, touched, removed_items, request.search) : Json()},
                         {"seconds", result.engine.seconds + (trace ? trace->seconds : 0.0)}};
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
        else if (files.kept_by_trace.count(path))
            entry["pruning"] = "kept: touched in the traced boot (not tried; --file-search full tries it)";
    }
}

} // namespace tinyx::pipeline
