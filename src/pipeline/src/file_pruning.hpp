// Test-driven removal of files from an application's image (issue 10): the
// gathered root filesystem's files are the items of a minimize::SetDomain, and a
// trial repacks the image without the removed ones (uncompressed: a trial costs
// seconds, no kernel build) and boots it with the final kernel and the user's
// test. The app's program, its ELF closure and tinyx's init are protected: they
// are never candidates, whatever a test says.
//
// The file trace (issue 25, `search` = "traced", the default): one boot of the whole
// image with the harness's file trace says which files the app and the test touched.
// That boot is also the search's first trial (the start state). Untouched files are
// tried first, all in one trial; a failure falls back to the group search over them.
// Touched files are kept without trials ("traced"), or tried one at a time after the
// untouched ones ("full"). "untraced" is the group search over every candidate.
// A byte-code cache (a manifest entry "byte-code cache of SRC") is not an item of its
// own: it goes with its source, and a touched cache counts as a touched source.
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
#include "pipeline/pipeline.hpp"
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
    std::string search = "traced"; // traced | full | untraced (file_searches())
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
    std::set<std::string> kept_by_trace;   // touched in the traced boot, kept without a trial ("traced")
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
