#include "package_fetch.hpp"

#include "dpkg.hpp"

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

// The dependency relations that make a package work; Recommends and Suggests are left
// out, as `apt-get install --no-install-recommends` would.
const char* const k_depends_args[] = {"depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                                      "--no-breaks", "--no-replaces", "--no-enhances"};
// Accounts every Debian system has (www-data, nobody, ...): base-passwd's master files.
const char* const k_accounts_package = "base-passwd";

Result<ProcessResult> run(std::vector<std::string> argv, const std::optional<fs::path>& cwd = std::nullopt) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    spec.env_set["LC_ALL"] = "C";
    spec.timeout = std::chrono::minutes(20);
    return run_process(spec);
}

Result<std::string> run_checked(std::vector<std::string> argv, const std::optional<fs::path>& cwd = std::nullopt) {
    TRY_ASSIGN(ProcessResult result, run(argv, cwd));
    if (!result.success()) return Error::internal(str(shell_join(argv), " ", result.describe(), ": ", trim(result.err)));
    return std::move(result.out);
}

// apt as if `arch` were the host's only architecture: unqualified names and dependencies, an
// Architecture: all package's included, resolve to that architecture (a "pkg:arm64" query misses
// arch-all packages such as nginx-light, and their dependencies would resolve to the host's). The
// binary cache is built in memory so that the host's own apt cache is never rewritten.
std::vector<std::string> apt_for_arch(const char* program, const Arch& arch) {
    return {program,
            "-o", str("APT::Architecture=", arch.package_arch),
            "-o", str("APT::Architectures=", arch.package_arch),
            "-o", "Dir::Cache::pkgcache=",
            "-o", "Dir::Cache::srcpkgcache="};
}

// Real packages of `apt-cache depends --recurse` (virtual ones are printed as <name>).
std::vector<std::string> package_names(const std::string& output) {
    std::set<std::string> names;
    for (const auto& line : split_lines(output)) {
        if (line.empty() || line[0] == ' ' || line[0] == '<') continue;
        names.insert(std::string(trim(line)));
    }
    return {names.begin(), names.end()};
}

// A package's files as dpkg lists them ("/.", "/usr", "/usr/sbin/x"), from its data tar.
Result<std::string> file_list(const fs::path& deb) {
    TRY_ASSIGN(ProcessResult result, run({"sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh", deb.string()}));
    if (!result.success()) return Error::internal(str("listing ", deb.string(), ": ", result.describe(), ": ", trim(result.err)));
    std::string list;
    for (const auto& raw : split_lines(result.out)) {
        std::string path(trim(raw));
        if (starts_with(path, "./")) path = path.substr(1);
        if (path.size() > 1 && path.back() == '/') path.pop_back();
        if (path == "/" || path.empty()) path = "/.";
        list += path + "\n";
    }
    return list;
}

Result<void> unpack_into(const fs::path& root, const std::vector<fs::path>& debs) {
    const fs::path admin = root / "var/lib/dpkg";
    TRY(make_directories(admin / "info"));
    TRY(make_directories(admin / "updates"));
    std::string status;
    for (const auto& deb : debs) {
        TRY(run_checked({"dpkg-deb", "--extract", deb.string(), root.string()}));
        TRY_ASSIGN(std::string control, run_checked({"dpkg-deb", "--field", deb.string()}));
        std::string name, arch, multi_arch;
        for (const auto& line : split_lines(control)) {
            if (starts_with(line, "Package: ")) name = line.substr(9);
            if (starts_with(line, "Architecture: ")) arch = line.substr(14);
            if (starts_with(line, "Multi-Arch: ")) multi_arch = line.substr(12);
        }
        if (name.empty()) return Error::internal(str(deb.string(), ": no Package field"));
        // The status entry dpkg would write after configuring it.
        std::string entry;
        for (const auto& line : split_lines(control)) {
            if (line.empty()) continue;
            entry += line + "\n";
            if (starts_with(line, "Package: ")) entry += "Status: install ok installed\n";
        }
        status += entry + "\n";
        TRY_ASSIGN(std::string list, file_list(deb));
        const std::string list_name = multi_arch == "same" ? str(name, ":", arch, ".list") : str(name, ".list");
        TRY(write_file_atomic(admin / "info" / list_name, list));
    }
    TRY(write_file_atomic(admin / "status", status));
    TRY(write_file_atomic(admin / "available", ""));
    // base-passwd's preinst copies its master files when /etc has none.
    for (const char* db : {"passwd", "group"}) {
        const fs::path target = root / "etc" / db, master = root / "usr/share/base-passwd" / str(db, ".master");
        std::error_code ec;
        if (!fs::exists(target, ec) && fs::exists(master, ec)) {
            TRY(make_directories(target.parent_path())); // a root of static packages may have no /etc
            TRY(copy_file_atomic(master, target));
        }
    }
    return success();
}

} // namespace

bool installed_on_host(const std::string& name, std::string_view arch_name) {
    auto arch = find_arch(arch_name);
    if (!arch) return false;
    // Another architecture's package only counts when installed as that architecture's (multiarch);
    // an Architecture: all package is the host's: its dependencies were resolved for the host.
    const bool foreign = *arch != &host_arch();
    auto result = run({"dpkg-query", "-W", "-f", "${Status}\t${Architecture}", foreign ? str(name, ":", (*arch)->package_arch) : name});
    if (!result || !result->success()) return false;
    const auto fields = split(result->out, '\t');
    return fields.size() == 2 && fields[0] == "install ok installed" && (!foreign || fields[1] == (*arch)->package_arch);
}

std::optional<std::string> installed_version(const SourceRoot& root, const std::string& name) {
    std::vector<std::string> argv{"dpkg-query"};
    const auto admin = dpkg_admin_args(root);
    argv.insert(argv.end(), admin.begin(), admin.end());
    argv.insert(argv.end(), {"-W", "-f", "${Status}\t${Version}", name});
    auto result = run(argv);
    if (!result || !result->success()) return std::nullopt;
    const auto fields = split(result->out, '\t');
    if (fields.size() != 2 || fields[0] != "install ok installed") return std::nullopt;
    return fields[1];
}

Result<FetchedPackages> fetch_package_root(const std::string& name, std::string_view arch_name, const fs::path& cache) {
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    // Within one run a package resolves the same way each time: a pruning that rebuilds the image
    // for every trial (the app's packages, and BusyBox for another architecture) asks apt once.
    // One fetch at a time: the trials of --jobs pack their images side by side.
    static std::mutex fetching;
    std::lock_guard lock(fetching);
    static std::map<std::string, FetchedPackages> fetched_in_this_run;
    const std::string memo_key = str(name, "\n", arch->name, "\n", cache.string());
    std::error_code exists_ec;
    if (auto it = fetched_in_this_run.find(memo_key);
        it != fetched_in_this_run.end() && fs::exists(it->second.root.dir(), exists_ec))
        return it->second;
    for (const char* tool : {"apt-cache", "apt-get", "dpkg-deb", "tar"})
        if (!find_program(tool)) return Error::bad_input(str("--app ", name, ": not installed, and fetching it needs ", tool));
    std::vector<std::string> argv = apt_for_arch("apt-cache", *arch);
    argv.insert(argv.end(), std::begin(k_depends_args), std::end(k_depends_args));
    argv.push_back(name);
    TRY_ASSIGN(ProcessResult depends, run(argv));
    if (!depends.success())
        return Error::bad_input(str("--app ", name, ": not an installed package, a file or a directory, and apt knows no package '", name,
                                    "' for ", arch->package_arch, " (", trim(depends.err), "; run apt-get update?)"));
    // Only now: a name apt does not know is one error line.
    log::Progress progress("packages");
    progress.update(str(name, " is not installed: apt resolved it and its dependencies"));
    std::vector<std::string> packages = package_names(depends.out);
    packages.push_back(k_accounts_package);
    std::sort(packages.begin(), packages.end());
    packages.erase(std::unique(packages.begin(), packages.end()), packages.end());

    const fs::path debs_dir = cache / "debs";
    TRY(make_directories(debs_dir));
    progress.update(str("downloading ", packages.size(), " packages (apt-get download; nothing is installed)"));
    std::vector<std::string> download = apt_for_arch("apt-get", *arch);
    download.insert(download.end(), {"download", "-q"});
    download.insert(download.end(), packages.begin(), packages.end());
    TRY_ASSIGN(ProcessResult fetched, run(download, debs_dir));
    if (!fetched.success())
        return Error::bad_input(str("--app ", name, ": apt-get download failed: ", fetched.describe(), ": ", trim(fetched.err)));

    // The exact .deb files of this set (the newest file of each package in the download dir, of
    // this architecture or of all: the dir holds other architectures' files of the same packages).
    std::vector<fs::path> debs;
    std::error_code ec;
    for (const auto& package : packages) {
        fs::path newest;
        for (fs::directory_iterator it(debs_dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string file = it->path().filename().string();
            const bool this_arch = ends_with(file, str("_", arch->package_arch, ".deb")) || ends_with(file, "_all.deb");
            if (starts_with(file, package + "_") && this_arch &&
                (newest.empty() || fs::last_write_time(it->path(), ec) > fs::last_write_time(newest, ec)))
                newest = it->path();
        }
        if (newest.empty()) return Error::internal(str("apt-get download left no .deb for ", package, " in ", debs_dir.string()));
        debs.push_back(newest);
    }
    std::string key;
    for (const auto& deb : debs) key += deb.filename().string() + "\n";
    const fs::path root_dir = cache / "roots" / sha256_hex(key).substr(0, 24);
    if (!fs::exists(root_dir / "complete", ec)) {
        progress.update(str("unpacking ", debs.size(), " packages into a private root (dpkg-deb; no maintainer scripts)"));
        TRY(make_directories(cache / "roots"));
        TRY_ASSIGN(TempDir staging, TempDir::create(".unpack-", cache / "roots"));
        TRY(unpack_into(staging.path() / "rootfs", debs));
        TRY(write_file_atomic(staging.path() / "complete", key));
        fs::remove_all(root_dir, ec);
        fs::rename(staging.path(), root_dir, ec);
        if (ec) return Error::from_errno(ec.value(), str("moving the package root to ", root_dir.string()));
        staging.keep();
    }
    progress.finish(str(name, ": ", debs.size(), " packages unpacked in ", root_dir.string(), " (not installed)"));
    FetchedPackages result{SourceRoot(root_dir / "rootfs"), packages};
    fetched_in_this_run[memo_key] = result;
    return result;
}

} // namespace tinyx::packagers
