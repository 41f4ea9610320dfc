// Trace-guided pruning (the `trace` strategy): one coverage boot of the start config
// under TCG with QEMU logging every translated block, the executed addresses mapped to
// the options that compile them (code_map.hpp), and a SearchHint that tries the
// options whose code never ran first, as one large group, and searches the options
// whose code ran with a higher prior share of needed ones. The test loop still decides
// every option, so a trace that misses something costs trials, never correctness.
//
//   TRY_ASSIGN(auto coverage, coverage_boot(request));   // or load_coverage(file)
//   TraceHint hint(coverage);                            // PruneRequest::hint, strategy "trace"
#pragma once

#include "pruner/terms.hpp"
#include "core/json.hpp"
#include "harness/boot.hpp"
#include "pruner/code_map.hpp"
#include "minimize/engine.hpp"
#include "pruner/kernel_builder.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::kconfig {
class Kconfig;
}

namespace tinyx::pruner {

// What the trace says about a candidate option.
enum class TraceClass {
    ran,     // code it compiles executed (or an option that ran depends on it)
    not_ran, // it compiles code, none of which executed
    no_code, // no object of the build is compiled because of it: the trace cannot tell
};
const char* trace_class_name(TraceClass value);

struct Coverage {
    std::string start_hash; // the config the coverage boot ran (sha256 of the resolved text)
    std::size_t blocks = 0;
    std::size_t functions_total = 0, functions_executed = 0; // executed: outside boot-time init code
    std::size_t objects_total = 0, objects_executed = 0;
    std::map<std::string, TraceClass> candidates;
    // For `ran` candidates: up to three executed functions compiled because of it
    // ("ep_poll (fs/eventpoll.o)"), or "needed by X" when it ran through a dependent.
    std::map<std::string, std::vector<std::string>> evidence;
    double boot_seconds = 0;
    // Seconds of the coverage boot's build of the start config: a kernel build of the run like
    // any trial's (reported in pruning.builds). Empty for classes loaded with --coverage FILE.
    std::optional<double> start_build_seconds;
};

// Classify candidates from executed addresses. `kconfig` (optional) propagates `ran`
// to candidates that a ran candidate depends on.
Coverage classify(CodeMap& map, const ExecutedCode& executed, const std::vector<std::string>& candidates,
                  kconfig::Kconfig* kconfig);

struct CoverageRequest {
    KernelBuildOptions build;
    harness::BootRequest boot; // image and test; kernel, accelerator and logging are set here
    std::string start_config;  // resolved start config text
    std::vector<std::string> candidates;
    kconfig::Kconfig* kconfig = nullptr;
    fs::path out_dir; // coverage.json is kept here and reused by --resume
    bool reuse = false;
};

// Build the start config, boot it once under TCG with block logging (KASLR off),
// run the test, and classify the candidates. With `reuse`, an existing
// out_dir/coverage.json made for the same start config is loaded instead.
Result<Coverage> coverage_boot(const CoverageRequest& request);

Json coverage_json(const Coverage& coverage);
Result<Coverage> coverage_from_json(const Json& json);
// Coverage figures for report.json: what executed, and how many of the trace's
// predictions (not_ran -> removable, ran -> needed) the tests confirmed.
Json coverage_report(const Coverage& coverage, const EngineResult& result);

class TraceHint final : public SearchHint {
  public:
    explicit TraceHint(const Coverage& coverage) : m_coverage(coverage) {}
    // Never-ran options and options without code of their own as one group; the options
    // that ran are left to the engine's adaptive phase.
    std::vector<std::vector<Item>> initial_groups(const std::vector<Item>& ordered) override;
    // nginx needed 5 of the 42 options that ran in its real run; BusyBox httpd needs none.
    // Replaying nginx's run (bench/prune-replay.sh), a prior of 1/16 or 1/4 needs 25 runs
    // (1/8 and 1/32: 27); where nothing that ran is needed, 1/16 clears 40 options in 2
    // runs (16, then 24) where 1/4 takes 4 and the former fixed groups of 4 took 10.
    double expected_needed_share_left() const override { return 1.0 / 16; }

  private:
    const Coverage& m_coverage;
};

} // namespace tinyx::pruner
