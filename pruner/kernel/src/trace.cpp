#include "pruner/trace.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "kconfig/kconfig.hpp"

#include <algorithm>
#include <chrono>
#include <set>

namespace tinyx::pruner {

const char* trace_class_name(TraceClass value) {
    switch (value) {
    case TraceClass::ran: return "ran";
    case TraceClass::not_ran: return "not-ran";
    case TraceClass::no_code: return "no-code";
    }
    return "no-code";
}

Coverage classify(CodeMap& map, const ExecutedCode& executed, const std::vector<std::string>& candidates,
                  kconfig::Kconfig* kconfig) {
    Coverage coverage;
    coverage.blocks = executed.blocks;
    coverage.functions_total = map.function_count();
    coverage.objects_total = map.object_count();

    std::set<long> functions;
    for (auto address : executed.addresses) {
        if (map.is_init_code(address)) continue; // initcalls run for every built-in option
        if (auto index = map.function_index(address); index >= 0) functions.insert(index);
    }
    coverage.functions_executed = functions.size();

    const std::set<std::string> wanted(candidates.begin(), candidates.end());
    std::set<std::string> objects_executed;
    for (long index : functions) {
        const auto& owner = map.owner_at(std::size_t(index));
        objects_executed.insert(owner.objects.begin(), owner.objects.end());
        for (const auto& option : owner.options) {
            if (!wanted.count(option)) continue;
            coverage.candidates[option] = TraceClass::ran;
            auto& evidence = coverage.evidence[option];
            if (evidence.size() < 3)
                evidence.push_back(str(owner.function, " (", join(owner.objects, ", "), ")"));
        }
    }
    coverage.objects_executed = objects_executed.size();

    // Options that compile some object of this build, executed or not.
    std::set<std::string> with_code;
    for (const auto& [object, options] : map.object_options())
        for (const auto& option : options)
            if (wanted.count(option)) with_code.insert(option);

    // What a ran option depends on must stay too: the trace counts it as ran.
    if (kconfig) {
        std::vector<std::string> work;
        for (const auto& [option, cls] : coverage.candidates) work.push_back(option);
        while (!work.empty()) {
            auto option = work.back();
            work.pop_back();
            auto explanation = kconfig->explain(option);
            if (!explanation) continue;
            for (const auto& [dependency, value] : explanation->dep_symbols) {
                if (!wanted.count(dependency) || coverage.candidates.count(dependency)) continue;
                coverage.candidates[dependency] = TraceClass::ran;
                coverage.evidence[dependency] = {str("needed by ", option, " (depends on ", dependency, ")")};
                work.push_back(dependency);
            }
        }
    }
    for (const auto& option : candidates)
        if (!coverage.candidates.count(option))
            coverage.candidates[option] = with_code.count(option) ? TraceClass::not_ran : TraceClass::no_code;
    return coverage;
}

Json coverage_json(const Coverage& coverage) {
    Json candidates = Json::object();
    for (const auto& [option, cls] : coverage.candidates) {
        Json entry = {{"class", trace_class_name(cls)}};
        if (auto it = coverage.evidence.find(option); it != coverage.evidence.end()) entry["evidence"] = it->second;
        candidates[option] = entry;
    }
    Json json{{"start_hash", coverage.start_hash},
              {"blocks", coverage.blocks},
              {"functions", {{"executed", coverage.functions_executed}, {"total", coverage.functions_total}}},
              {"objects", {{"executed", coverage.objects_executed}, {"total", coverage.objects_total}}},
              {"boot_seconds", coverage.boot_seconds},
              {"candidates", candidates}};
    if (coverage.start_build_seconds) json["start_build_seconds"] = *coverage.start_build_seconds;
    return json;
}

Result<Coverage> coverage_from_json(const Json& json) {
    try {
        Coverage coverage;
        coverage.start_hash = json.at("start_hash").get<std::string>();
        coverage.blocks = json.at("blocks").get<std::size_t>();
        coverage.functions_executed = json.at("functions").at("executed").get<std::size_t>();
        coverage.functions_total = json.at("functions").at("total").get<std::size_t>();
        coverage.objects_executed = json.at("objects").at("executed").get<std::size_t>();
        coverage.objects_total = json.at("objects").at("total").get<std::size_t>();
        coverage.boot_seconds = json.value("boot_seconds", 0.0);
        if (json.contains("start_build_seconds")) // a resumed run made that build
            coverage.start_build_seconds = json.at("start_build_seconds").get<double>();
        for (const auto& [option, entry] : json.at("candidates").items()) {
            auto name = entry.at("class").get<std::string>();
            if (name != "ran" && name != "not-ran" && name != "no-code")
                return Error::bad_input(str("coverage.json: candidates.", option, ".class: '", name,
                                            "' (expected ran, not-ran or no-code)"));
            coverage.candidates[option] = name == "ran" ? TraceClass::ran
                                          : name == "not-ran" ? TraceClass::not_ran
                                                              : TraceClass::no_code;
            if (entry.contains("evidence")) coverage.evidence[option] = entry["evidence"].get<std::vector<std::string>>();
        }
        return coverage;
    } catch (const std::exception& e) {
        return Error::bad_input(str("coverage.json: ", e.what()));
    }
}

Json coverage_report(const Coverage& coverage, const EngineResult& result) {
    Json json = coverage_json(coverage);
    json.erase("candidates");
    // Only the run's candidates count (the coverage may classify more options).
    std::set<std::string> removed(result.removed.begin(), result.removed.end());
    std::set<std::string> candidates = removed;
    for (const auto& kept : result.kept) candidates.insert(kept.item);
    std::map<TraceClass, std::size_t> count;
    for (const auto& [option, cls] : coverage.candidates)
        if (candidates.count(option)) ++count[cls];
    json["options"] = {{"candidates", candidates.size()},
                       {"ran", count[TraceClass::ran]},
                       {"not_ran", count[TraceClass::not_ran]},
                       {"no_code", count[TraceClass::no_code]}};
    // A prediction is confirmed when the tests agree: not-ran options removed, ran options kept.
    std::size_t not_ran_removed = 0, not_ran_kept = 0, ran_kept = 0, ran_removed = 0;
    Json wrong = Json::array();
    for (const auto& [option, cls] : coverage.candidates) {
        if (!candidates.count(option)) continue;
        if (cls == TraceClass::not_ran) {
            if (removed.count(option)) ++not_ran_removed;
            else {
                ++not_ran_kept;
                wrong.push_back(str(option, ": never ran, but kept"));
            }
        } else if (cls == TraceClass::ran) {
            if (removed.count(option)) ++ran_removed;
            else ++ran_kept;
        }
    }
    json["predictions"] = {{"not_ran_removed", not_ran_removed},
                           {"not_ran_kept", not_ran_kept},
                           {"ran_kept", ran_kept},
                           {"ran_removed", ran_removed},
                           {"confirmed", not_ran_removed + ran_kept},
                           {"made", not_ran_removed + not_ran_kept + ran_kept + ran_removed},
                           {"never_ran_but_needed", wrong}};
    return json;
}

Result<Coverage> coverage_boot(const CoverageRequest& request) {
    const fs::path file = request.out_dir / "coverage.json";
    const std::string start_hash = sha256_hex(request.start_config);
    if (request.reuse && fs::exists(file)) {
        TRY_ASSIGN(auto json, read_json_file(file));
        TRY_ASSIGN(auto saved, coverage_from_json(json));
        if (saved.start_hash == start_hash) {
            log::info(str("coverage: reusing ", file.string()));
            return saved;
        }
        log::warn(str(file.string(), " was made for another start config; booting for coverage again"));
    }

    log::info("coverage: building the start config for the coverage boot");
    KernelBuildOptions build = request.build;
    build.reuse_stored_images = false; // the code map reads this build's objects, so it must really happen
    TRY_ASSIGN(auto builder, KernelBuilder::create(build));
    std::optional<CodeMap> map;
    // Read the build's objects under the build lock, before another run can rebuild them.
    TRY_ASSIGN(auto built, builder.build(request.start_config, [&](const BuildOutcome&) -> Result<void> {
        TRY_ASSIGN(map, CodeMap::load(builder.build_dir(), request.build.tree.root, *request.build.tree.arch));
        return success();
    }));
    if (!built.ok) {
        Error error = Error::test_failed("the start config does not build; no coverage boot");
        error.details = built.log_tail;
        return error;
    }
    const fs::path work = request.out_dir / "coverage";
    TRY(make_directories(work));
    const std::string image_name = harness::kernel_file_name(*request.build.tree.arch, request.build.image_format);
    TRY(copy_file_atomic(built.kernel.image, work / image_name));

    // Every translated guest block into a log; only kernel addresses (the upper half).
    harness::BootRequest boot = request.boot;
    boot.target.kernel = work / image_name;
    boot.target.accel = harness::AccelChoice::tcg; // block logging exists only under TCG
    boot.target.append = trim(str(boot.target.append, " nokaslr"));
    boot.repeat = 1;
    boot.find_min_memory = false;
    boot.test.timeout_seconds *= 3; // logging slows TCG down
    const fs::path log = work / "in_asm.log";
    std::error_code ignored;
    fs::remove(log, ignored);
    boot.target.qemu_extra_args = {"-d", "in_asm", "-D", log.string(), "-dfilter", std::string(request.build.tree.arch->kernel_text_range)};
    log::info("coverage: booting the start config under TCG with block logging");
    const auto started = std::chrono::steady_clock::now();
    TRY_ASSIGN(auto report, harness::boot(boot));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (report.verdict != harness::Verdict::pass) {
        Error error = Error::test_failed(str("the coverage boot of the start config did not pass (", report.reason, ")"));
        if (!report.boots.empty()) error.details = harness::failure_details(report.boots.back());
        return error;
    }
    TRY_ASSIGN(auto executed, read_in_asm_log(log));
    fs::remove(log, ignored); // tens of MB; the figures are kept

    auto coverage = classify(*map, executed, request.candidates, request.kconfig);
    coverage.start_hash = start_hash;
    coverage.boot_seconds = seconds;
    coverage.start_build_seconds = built.seconds;
    TRY(write_json_file(file, coverage_json(coverage)));
    std::map<TraceClass, int> count;
    for (const auto& [option, cls] : coverage.candidates) ++count[cls];
    log::info(str("coverage: ", coverage.functions_executed, " of ", coverage.functions_total, " functions, ",
                  coverage.objects_executed, " of ", coverage.objects_total, " objects executed; candidates: ",
                  count[TraceClass::ran], " ran, ", count[TraceClass::not_ran], " never ran, ",
                  count[TraceClass::no_code], " without code of their own"));
    return coverage;
}

std::vector<std::vector<Item>> TraceHint::initial_groups(const std::vector<Item>& ordered) {
    // Never-ran options and those the trace cannot judge (no code of their own) as one
    // group: the trace predicts the first removable and has nothing against the second;
    // one trial for both when they pass (nginx's real run: 31 options, none needed).
    std::vector<Item> first;
    for (const auto& item : ordered) {
        auto it = m_coverage.candidates.find(item);
        if (it == m_coverage.candidates.end() || it->second != TraceClass::ran) first.push_back(item);
    }
    // Code that ran is not code that is needed (cgroup, SysV IPC and keys hooks run at
    // every fork and exit; nginx's trace marks 42 of 74 server options as ran, 5 were
    // needed), so the options that ran are searched adaptively with their own share.
    if (first.empty()) return {};
    return {first};
}

} // namespace tinyx::pruner
