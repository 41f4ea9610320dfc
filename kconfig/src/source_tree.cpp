#include "kconfig/source_tree.hpp"

#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <system_error>

namespace tinyx::kconfig {

namespace {

constexpr const char* marker_name = ".tinyx-extracted";

bool is_tree(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "Makefile", ec) && fs::is_regular_file(dir / "Kconfig", ec) &&
           fs::is_directory(dir / "scripts" / "kconfig", ec);
}

std::string tarball_stem(const fs::path& tarball) {
    std::string name = tarball.filename().string();
    for (const char* ext : {".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tar", ".txz", ".tgz"}) {
        if (ends_with(name, ext)) return name.substr(0, name.size() - std::string_view(ext).size());
    }
    return name;
}

// Extract into a temporary sibling, mark it complete, then rename into place: a crash or a
// concurrent run never leaves (or sees) a half-extracted tree under the final name.
Result<fs::path> extract_tarball(const fs::path& tarball) {
    TRY_ASSIGN(auto cache, cache_dir());
    fs::path parent = cache / "kernel-src";
    fs::path target = parent / tarball_stem(tarball);
    std::error_code ec;
    if (fs::exists(target / marker_name, ec)) return target;
    TRY(make_directories(parent));
    TRY_ASSIGN(TempDir tmp, TempDir::create(".extract-", parent));
    log::Progress progress(str("extracting ", tarball.filename().string()));
    ProcessSpec spec;
    spec.argv = {"tar", "-xf", tarball.string(), "-C", tmp.path().string()};
    TRY_ASSIGN(ProcessResult run, run_process(spec));
    if (!run.success()) {
        Error error = Error::bad_input(str("cannot extract ", tarball.string(), ": tar ", run.describe()));
        for (auto& line : last_lines(run.err, 5)) error.details.push_back(line);
        return error;
    }
    // The tarball holds one top directory (linux-source-6.1/); accept a flat tree too.
    fs::path extracted = tmp.path();
    if (!is_tree(extracted)) {
        for (const auto& entry : fs::directory_iterator(tmp.path(), ec)) {
            if (entry.is_directory() && is_tree(entry.path())) extracted = entry.path();
        }
    }
    if (!is_tree(extracted)) return Error::bad_input(str(tarball.string(), " does not contain a kernel source tree"));
    TRY(write_file_atomic(extracted / marker_name, ""));
    fs::rename(extracted, target, ec);
    if (ec) {
        // Another run may have finished first; its tree is as good as ours.
        if (fs::exists(target / marker_name)) return target;
        return Error::internal(str("cannot move the extracted tree to ", target.string(), ": ", ec.message()));
    }
    progress.finish(str("extracted to ", target.string()));
    return target;
}

std::string make_variable(const std::string& makefile, const std::string& name) {
    for (const auto& line : split_lines(makefile)) {
        std::string_view l = line;
        if (!starts_with(l, name)) continue;
        auto rest = trim(l.substr(name.size()));
        if (rest.empty() || rest[0] != '=') continue;
        return std::string(trim(rest.substr(1)));
    }
    return "";
}

} // namespace

Result<std::string> read_kernel_version(const fs::path& root) {
    TRY_ASSIGN(std::string makefile, read_file(root / "Makefile"));
    std::string version = make_variable(makefile, "VERSION");
    std::string patchlevel = make_variable(makefile, "PATCHLEVEL");
    std::string sublevel = make_variable(makefile, "SUBLEVEL");
    std::string extra = make_variable(makefile, "EXTRAVERSION");
    if (version.empty()) return Error::bad_input(str((root / "Makefile").string(), ": no VERSION line"));
    std::string out = version;
    if (!patchlevel.empty()) {
        out += "." + patchlevel;
        if (!sublevel.empty()) out += "." + sublevel;
    }
    return out + extra;
}

std::string SourceTree::describe() const {
    std::error_code ec;
    if (given.empty() || fs::equivalent(given, root, ec)) return root.string();
    return str(given.string(), " (extracted to ", root.string(), ")");
}

Result<SourceTree> locate_source_tree(const std::optional<fs::path>& kernel_src, std::string_view arch_name) {
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    fs::path given = kernel_src ? *kernel_src : fs::path(default_kernel_tarball);
    std::error_code ec;
    fs::path root;
    if (fs::is_directory(given, ec)) {
        if (!is_tree(given))
            return Error::bad_input(str("--kernel-src ", given.string(), " is not a kernel source tree (no Makefile, Kconfig and scripts/kconfig)"));
        root = fs::absolute(given, ec);
    } else if (fs::is_regular_file(given, ec)) {
        TRY_ASSIGN(root, extract_tarball(fs::absolute(given, ec)));
    } else {
        return Error::bad_input(str("--kernel-src ", given.string(), ": no such file or directory"));
    }
    root = fs::weakly_canonical(root, ec);
    SourceTree tree;
    tree.root = root;
    tree.given = given;
    tree.arch = arch;
    if (!fs::is_regular_file(root / "arch" / arch->srcarch / "Kconfig", ec))
        return Error::bad_input(str("--arch ", arch->name, ": this kernel tree has no arch/", arch->srcarch, " (", tree.describe(), ")"));
    TRY_ASSIGN(tree.version, read_kernel_version(root));
    return tree;
}

} // namespace tinyx::kconfig
