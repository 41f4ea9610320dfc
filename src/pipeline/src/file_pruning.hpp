// Test-driven removal of files from an application's image (issue 10): the
// gathered root filesystem's files are the items of a minimize::SetDomain, and a
// trial repacks the image without the removed ones (uncompressed: a trial costs
// seconds, no kernel build) and boots it with the final kernel and the user's
// test. The app's program, its ELF closure and tinyx's init are protected: they
// are never candidates, whatever a test says.
//
//   FilePruneRequest request{rootfs, image.manifest_json, boot, out / "prune-files"};
//   TRY_ASSIGN(auto files, prune_image_files(request));
//   rootfs.excludes += files.excludes;   // the pruned image, and what a profile records
#pragma once

#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "harness/boot.hpp"
#include "packagers/rootfs.hpp"
#include "minimize/engine.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tinyx::pipeline {

struct FilePruneRequest {
    packagers::RootfsRequest rootfs; // how the image was gathered; trials add excludes
    Json manifest;                   // that image's manifest.json: candidates and their reasons
    harness::BootRequest boot;       // kernel, test, ports, memory; the initrd is set per trial
    fs::path out_dir;                // journal.jsonl
    std::string strategy = "group";
    bool resume = false;
    int confirm_runs = 2; // a pass that removes files must hold this many boots in a row
    std::function<void(const std::string&)> on_progress;
    int jobs = 1; // trials at once (boots side by side; the result is that of 1)
};

struct FilePruneResult {
    std::vector<std::string> removed;  // guest paths
    std::vector<std::string> excludes; // the same, as --exclude globs
    std::map<std::string, int> kept_by_trial; // kept candidate -> the trial that showed it is needed
    std::set<std::string> protected_paths; // never candidates (see protected_paths())
    minimize::EngineResult engine;
    Json report; // report.json's "file_pruning"
};

// Guest paths that are never candidates: /init and tinyx's config, the run
// program, the ELF closure and the symlink chains leading into it.
std::set<std::string> protected_paths(const Json& manifest);

// A literal path as an fnmatch() glob (the form --exclude takes).
std::string literal_glob(const std::string& path);

Result<FilePruneResult> prune_image_files(const FilePruneRequest& request);

// Adds to a manifest's file entries why each kept candidate or protected file stayed ("pruning": ...).
void annotate_manifest(Json& manifest, const FilePruneResult& files);

} // namespace tinyx::pipeline
