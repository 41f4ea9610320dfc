#include "packagers/rootfs.hpp"

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"
#include "harness/protocol.h"
#include "archive.hpp"
#include "container_image.hpp"
#include "dlopen_rules.hpp"
#include "dpkg.hpp"
#include "elf.hpp"
#include "file_rules.hpp"
#include "guest_tree.hpp"
#include "guestfs_disk.hpp"
#include "library_search.hpp"
#include "package_fetch.hpp"
#include "source_root.hpp"
#include "users.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

const char* const k_guest_path_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
const char* const k_guest_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const char* const k_busybox_candidates[] = {"/bin/busybox", "/usr/bin/busybox"};
const char* const k_busybox_package = "busybox-static";
const char* const k_disk_init = "/sbin/tinyx-init";
// Config-named directories whose host contents are copied (the data the app serves or
// keeps); logs, caches and runtime files of the host are never copied.
const char* const k_never_copied_state[] = {"/var/log", "/var/cache", "/var/tmp", "/run", "/var/run"};
constexpr std::uint64_t k_max_copied_state_bytes = 64ull << 20;
// Directories the guest init mounts a fresh filesystem over: an app packed there would be hidden.
const char* const k_init_mounts[] = {"/tmp", "/run", "/dev", "/proc", "/sys"};
// Where a path app from under one of them goes instead.
const char* const k_relocated_app_dir = "/usr/local/bin";
// Where a script app's directory from under one of them goes (/srv/<its name>).
const char* const k_relocated_script_dir = "/srv";
// A script's directory comes with it unless it is one of these or under them: the system's
// directories, and a home directory itself (a script in ~ does not bring the whole home).
const char* const k_shared_script_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/var", "/boot"};

struct Include {
    fs::path host;
    std::string guest;
};

bool under(const std::string& path, std::string_view dir) {
    return path == dir || (starts_with(path, dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

Result<void> check_env(const std::vector<std::string>& env) {
    for (const auto& entry : env) TRY(harness::check_environment_entry(entry, "--env"));
    return success();
}

// "KEY=V" entries, later ones replacing earlier ones with the same KEY, in first-seen order.
std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& over) {
    for (const auto& entry : over) {
        const std::string key = entry.substr(0, entry.find('=') + 1);
        auto it = std::find_if(base.begin(), base.end(), [&](const std::string& e) { return starts_with(e, key); });
        if (it != base.end()) *it = entry;
        else base.push_back(entry);
    }
    return base;
}

Result<void> check_user_syntax(const std::string& user) {
    auto colon = user.find(':');
    const std::string name = user.substr(0, colon), group = colon == std::string::npos ? "" : user.substr(colon + 1);
    if (name.empty() || (colon != std::string::npos && group.empty()) || user.find_first_of(" \t\n") != std::string::npos)
        return Error::bad_input(str("--user '", user, "': expected NAME[:GROUP] or UID[:GID]"));
    return success();
}

// "/", "/usr", "/etc", ...: a run command's word naming one does not bring the whole system.
bool is_system_directory(const fs::path& path) {
    static const std::set<std::string> system = {"/",    "/bin", "/boot", "/dev", "/etc",  "/home", "/lib", "/lib32", "/lib64",
                                                 "/opt", "/proc", "/root", "/run", "/sbin", "/sys",  "/tmp", "/usr",  "/var"};
    return system.count(path.string()) > 0;
}

// A numeric uid or gid ("33"); nothing for a name or a number out of range.
std::optional<unsigned> numeric_id(const std::string& text) {
    if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
    if (value >= 0xffffffffull) return std::nullopt; // (uid_t)-1 means "no change" to setuid()
    return unsigned(value);
}

std::string octal(unsigned mode) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04o", mode);
    return buffer;
}

Result<std::vector<Include>> parse_includes(const std::vector<std::string>& specs) {
    std::vector<Include> includes;
    for (const auto& spec : specs) {
        // HOST[:GUEST]; a host path holding ':' can be given with an explicit ":GUEST".
        std::string host = spec, guest;
        auto colon = spec.rfind(':');
        if (colon != std::string::npos && colon + 1 < spec.size() && spec[colon + 1] == '/') {
            host = spec.substr(0, colon);
            guest = spec.substr(colon + 1);
        }
        if (host.empty()) return Error::bad_input(str("--include '", spec, "': no host path"));
        std::error_code ec;
        if (fs::symlink_status(host, ec).type() == fs::file_type::not_found || ec)
            return Error::bad_input(str("--include '", spec, "': ", host, " does not exist"));
        fs::path absolute = fs::absolute(host).lexically_normal();
        if (guest.empty()) guest = absolute.string();
        guest = fs::path(guest).lexically_normal().string();
        while (guest.size() > 1 && guest.back() == '/') guest.pop_back();
        includes.push_back({absolute, guest});
    }
    return includes;
}

Result<std::int64_t> resolve_epoch(const RootfsRequest& request) {
    if (request.source_date_epoch) return *request.source_date_epoch;
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    if (!env || !*env) return std::int64_t(0);
    char* end = nullptr;
    errno = 0;
    long long value = std::strtoll(env, &end, 10);
    if (errno != 0 || *end != '\0' || value < 0)
        return Error::bad_input(str("SOURCE_DATE_EPOCH='", env, "' is not a non-negative number of seconds"));
    return std::int64_t(value);
}

Result<std::vector<std::string>> split_run(const RootfsRequest& request) {
    if (!request.run) return std::vector<std::string>{};
    if (request.run->find('\n') != std::string::npos) return Error::bad_input("--run: the command may not contain a newline");
    std::vector<std::string> words;
    std::string error;
    if (!shell_split(*request.run, words, error)) return Error::bad_input(str("--run '", *request.run, "': ", error));
    if (words.empty()) return Error::bad_input("--run: empty command");
    return words;
}

Result<Compression> resolve_compression(const RootfsRequest& request, const ImageFormat& format) {
    if (format.is_disk) {
        if (request.compression && *request.compression != "none")
            return Error::bad_input(str("--compression ", *request.compression, " applies to --format initramfs only (", format.name,
                                        " images are not compressed)"));
        return Compression::none;
    }
    return parse_compression(request.compression.value_or("gzip"));
}

// The output directory must be creatable and writable before any work starts.
Result<void> prepare_out_dir(const fs::path& out) {
    if (out.empty()) return Error::bad_input("--out: an output directory is required");
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec))
        return Error::bad_input(str("--out ", out.string(), ": exists and is not a directory"));
    fs::create_directories(out, ec);
    if (ec) return Error::bad_input(str("--out ", out.string(), ": cannot create the directory: ", ec.message()));
    if (::access(out.c_str(), W_OK) != 0)
        return Error::bad_input(str("--out ", out.string(), ": not writable (", std::strerror(errno), ")"));
    return success();
}

class RootfsBuilder {
  public:
    RootfsBuilder(const RootfsRequest& request, const ImageFormat& format, const LibraryResolver& resolver, const UserDb& users)
        : m_request(request), m_format(format), m_root(resolver.root()), m_resolver(resolver), m_closure(resolver), m_users(users),
          m_selection(users), m_tree(resolver.root()) {}

    Result<void> gather_app(std::vector<std::string>& run);
    // The app of a container image (the resolver's root): the run command's program and
    // the packages owning it, the working directory, the paths the command names.
    Result<void> gather_image(std::vector<std::string>& run);
    Result<void> finish(std::vector<std::string>& run, const std::vector<Include>& includes);
    GuestTree& tree() { return m_tree; }
    harness::InitConfig& init() { return m_init; }
    std::vector<std::string>& warnings() { return m_warnings; }
    const std::vector<std::string>& notes() const { return m_notes; }
    const std::map<std::string, std::string>& user_reasons() const { return m_selection.reasons(); }

  private:
    Result<void> gather_package(const std::string& name); // add_package, then the config scan
    // The package's and its application packages' files, closures and maintainer config.
    Result<void> add_package(const std::string& name);
    Result<void> gather_elf(const fs::path& path, const std::string& placed = {});
    // A script or another file an interpreter runs (--app server.py): it, its directory, and the
    // interpreter (its #! line, else --run's program) with the interpreter's package.
    Result<void> gather_script(const fs::path& path, std::vector<std::string>& run);
    // The package an interpreter's files come from: the installed package named like the
    // command (python3), else the one owning it (nodejs for /usr/bin/node); with its
    // application packages (the standard library).
    Result<void> add_interpreter_package(const std::string& program);
    // Python's byte-code caches of the image's .py files, valid for the image's timestamps.
    Result<void> add_byte_code_caches();
    // A directory of the root, its ELF files' closures, its executables as candidate programs.
    Result<void> gather_directory(const fs::path& path, const std::string& reason, bool keep_owner = false);
    Result<void> add_package_file(const PackageInfo& package, const std::string& path);
    Result<void> add_maintainer_config(const std::set<std::string>& config_dirs, const std::string& package);
    Result<void> scan_config_files();
    Result<void> add_state_directory(const std::string& dir, const std::string& reason, bool copy_contents);
    Result<void> add_busybox();
    Result<void> resolve_run(std::vector<std::string>& run);
    Result<void> add_dlopen_files();
    Result<void> add_closure();
    Result<void> add_users(const std::vector<std::string>& run);
    Result<void> add_app_user();
    Result<void> add_program(const std::string& program, const std::string& reason, int depth = 0);
    // The interpreter a #! line of `host` names, and (for script apps) its package.
    Result<void> add_interpreter_of(const fs::path& host, const std::string& program, int depth);
    Result<void> add_init(const std::vector<std::string>& run);
    Result<std::vector<std::string>> default_run() const;

    const RootfsRequest& m_request;
    const ImageFormat& m_format;
    const SourceRoot& m_root;
    const LibraryResolver& m_resolver;
    ElfClosure m_closure;
    const UserDb& m_users;
    UserSelection m_selection;
    GuestTree m_tree;
    harness::InitConfig m_init;
    std::vector<std::string> m_warnings;
    std::vector<std::string> m_notes;
    std::optional<PackageDb> m_db;
    std::string m_root_package;
    // Executables the app ships, for a default --run: {tier, path}; lower tiers win.
    std::vector<std::pair<int, std::string>> m_programs;
    std::set<std::string> m_state_dirs; // from package lists
    std::set<std::string> m_config_named_users;
    std::string m_workdir;
    std::vector<std::string> m_env;
    std::optional<std::string> m_user;
    unsigned m_app_uid = 0, m_app_gid = 0;
    std::set<fs::path> m_relocated; // path apps packed elsewhere than their host path
    bool m_interpreted = false;     // --app is a script or a directory: its run program is an interpreter
    std::set<std::string> m_interpreter_packages;
    std::set<fs::path> m_program_closure; // what the run program needs to start (ElfClosure::needed_by)
    std::string m_program_label;

  public:
    void set_app_context(std::string workdir, std::vector<std::string> env, std::optional<std::string> user) {
        m_workdir = std::move(workdir);
        m_env = std::move(env);
        m_user = std::move(user);
    }
};

Result<void> RootfsBuilder::gather_app(std::vector<std::string>& run) {
    const std::string& app = m_request.app;
    if (app.empty()) return Error::bad_input("--app: required (a package name, an ELF executable or a directory)");
    std::error_code ec;
    // A name with a slash is a path. A bare name is the package dpkg knows by that name,
    // even when the working directory holds an entry of that name (often the --out
    // directory: `tinyx build --app lighttpd --out lighttpd` must not pack its own output).
    bool looks_like_path = app.find('/') != std::string::npos;
    if (!looks_like_path && fs::exists(app, ec)) {
        auto db = PackageDb::load(m_root, m_request.arch); // no dpkg database (not Debian): the path it is
        looks_like_path = !db || db->find(app) == nullptr;
        if (!looks_like_path)
            log::info(str("rootfs: --app ", app, ": the installed package (write ./", app, " for the path)"));
        if (db) m_db = std::move(*db);
    }
    if (looks_like_path) {
        if (!fs::exists(app, ec)) return Error::bad_input(str("--app ", app, ": no such file or directory"));
        fs::path absolute = fs::absolute(app).lexically_normal();
        for (const char* mount : k_init_mounts) {
            if (!under(absolute.string(), mount)) continue;
            if (!fs::is_directory(absolute, ec) && !has_elf_magic(absolute)) break; // a script: gather_script places it
            if (fs::is_directory(absolute, ec))
                return Error::bad_input(str("--app ", app, ": ", absolute.string(), " is under ", mount,
                                            ", which the guest's init mounts a fresh filesystem over; pass it as --include ",
                                            absolute.string(), ":/srv/app and give --run"));
            // An ELF app from there goes where the guest leaves it alone.
            const std::string placed = (fs::path(k_relocated_app_dir) / absolute.filename()).string();
            TRY(gather_elf(absolute, placed));
            m_notes.push_back(str("--app ", absolute.string(), " is under ", mount, " (a fresh filesystem in the guest): packed as ", placed));
            if (run.empty()) run = {placed};
            else if (run[0] == absolute.string()) run[0] = placed;
            return success();
        }
        if (fs::is_directory(absolute, ec)) {
            m_interpreted = true;
            return gather_directory(absolute, str("--app directory ", absolute.string()));
        }
        if (!has_elf_magic(absolute)) return gather_script(absolute, run);
        TRY(gather_elf(absolute));
        if (run.empty()) run = {absolute.string()};
        return success();
    }
    return gather_package(app);
}

Result<void> RootfsBuilder::gather_image(std::vector<std::string>& run) {
    TRY(resolve_run(run));
    if (PackageDb::exists_in(m_root)) {
        TRY_ASSIGN(PackageDb db, PackageDb::load(m_root, m_request.arch));
        m_db = std::move(db);
        // The packages the program comes from (the link as named and the file it resolves to).
        std::set<std::string> paths{run[0]};
        if (auto resolved = m_root.canonical(run[0])) paths.insert(resolved->string());
        std::set<std::string> owners;
        for (const PackageInfo* owner : m_db->owners(paths)) owners.insert(owner->name);
        // The app is what was installed around that package: every package whose application
        // packages include it (nginx-light, which brings nginx and its modules, for /usr/sbin/nginx).
        std::set<std::string> roots;
        for (const PackageInfo* package : m_db->packages())
            for (const PackageInfo* member : m_db->application_packages(*package))
                if (owners.count(member->name)) roots.insert(package->name);
        for (const auto& name : roots) {
            log::verbose(str("rootfs: ", run[0], " comes with package ", name));
            TRY(add_package(name));
        }
    }
    if (!m_workdir.empty() && m_workdir != "/" && m_root.is_directory(m_workdir)) {
        TRY_ASSIGN(fs::path dir, m_root.canonical(m_workdir));
        TRY(gather_directory(dir, "the image's working directory", true));
    }
    // Files and directories the command names (a config file, an app directory).
    for (std::size_t i = 1; i < run.size(); ++i) {
        std::string word = run[i];
        if (auto equals = word.find('='); starts_with(word, "-") && equals != std::string::npos) word = word.substr(equals + 1);
        if (word.empty() || starts_with(word, "-")) continue;
        fs::path path = word[0] == '/' ? fs::path(word) : fs::path(m_workdir.empty() ? "/" : m_workdir) / word;
        path = path.lexically_normal();
        if (is_system_directory(path) || !m_root.exists(path)) continue;
        TRY_ASSIGN(fs::path resolved, m_root.canonical(path));
        if (m_root.is_directory(resolved.string())) {
            TRY(m_tree.add_host_tree(m_root, resolved, resolved.string(), str("named in the run command (", run[i], ")"), true));
        } else {
            TRY(m_tree.add_host(path, str("named in the run command (", run[i], ")"), true));
        }
    }
    return scan_config_files();
}

Result<void> RootfsBuilder::gather_script(const fs::path& path, std::vector<std::string>& run) {
    m_interpreted = true;
    auto head = read_file_prefix(path, 256);
    if (!head) return std::move(head).error().context("--app");
    const bool shebang = starts_with(*head, "#!");
    if (!shebang && run.empty())
        return Error::bad_input(str("--app ", path.string(), ": neither an ELF executable nor a script with a #! line; "
                                    "give --run with its interpreter (--run 'node ", path.filename().string(), "')"));
    // The script's own directory, unless that is a shared one; under a mount of the guest's init it moves to /srv.
    const fs::path dir = path.parent_path();
    bool shared = is_system_directory(dir) || dir.parent_path() == "/home" || dir == "/root";
    for (const char* system : k_shared_script_dirs) shared = shared || under(dir.string(), system);
    std::string guest_dir = dir.string();
    for (const char* mount : k_init_mounts)
        if (under(dir.string(), mount)) guest_dir = (fs::path(k_relocated_script_dir) / dir.filename()).string();
    const std::string reason = str("--app ", path.string(), " (the script and its directory)");
    if (shared && guest_dir == dir.string()) {
        TRY(m_tree.add_host(path, reason));
    } else {
        if (shared) guest_dir = (fs::path(k_relocated_script_dir) / path.stem()).string();
        TRY(m_tree.add_host_tree(SourceRoot(), shared ? path : dir, shared ? (fs::path(guest_dir) / path.filename()).string() : guest_dir,
                                 reason));
        if (guest_dir != dir.string())
            m_notes.push_back(str("--app ", path.string(), ": its directory is under a mount of the guest's init; packed as ", guest_dir));
    }
    const std::string guest_script = (fs::path(guest_dir) / path.filename()).string();
    // --run may name the script by its host path: the guest's is what runs.
    for (auto& word : run)
        if (word == path.string()) word = guest_script;
    if (run.empty()) run = {guest_script};
    if (shebang) TRY(add_interpreter_of(path, guest_script, 0));
    return success();
}

Result<void> RootfsBuilder::add_interpreter_package(const std::string& program) {
    if (!m_db) {
        auto db = PackageDb::load(m_root, m_request.arch);
        if (!db) return success(); // no dpkg database: the interpreter's ELF closure is all we know
        m_db = std::move(*db);
    }
    const std::string name = fs::path(program).filename().string();
    std::string package;
    if (m_db->find(name)) {
        package = name;
    } else {
        std::set<std::string> paths{program};
        if (auto resolved = m_root.canonical(program)) paths.insert(resolved->string());
        for (const PackageInfo* owner : m_db->owners(paths)) package = owner->name;
    }
    if (package.empty() || m_interpreter_packages.count(package)) return success();
    m_interpreter_packages.insert(package);
    m_notes.push_back(str("interpreter ", program, ": package ", package, " and the packages it needs"));
    const std::string root_package = m_root_package;
    TRY(add_package(package));
    m_root_package = root_package;
    return scan_config_files();
}

Result<void> RootfsBuilder::add_byte_code_caches() {
    TRY_ASSIGN(std::int64_t epoch, resolve_epoch(m_request));
    struct Source {
        std::string guest;
        std::int64_t mtime = 0;
        std::uint64_t size = 0;
    };
    // The .py files by host __pycache__ directory and stem: each directory is listed once.
    std::map<fs::path, std::map<std::string, Source>> sources_by_cache_dir;
    for (const auto& [guest, entry] : m_tree.entries()) {
        if (entry.kind != EntryKind::file || entry.source.empty() || !ends_with(guest, ".py")) continue;
        const fs::path host(entry.source);
        sources_by_cache_dir[host.parent_path() / "__pycache__"][host.stem().string()] = {guest, entry.mtime, entry.size};
    }
    std::size_t added = 0;
    for (const auto& [cache_dir, sources] : sources_by_cache_dir) {
        std::error_code ec;
        if (!fs::is_directory(cache_dir, ec)) continue;
        for (const auto& file : fs::directory_iterator(cache_dir, ec)) {
            // <stem>.<interpreter tag>.pyc; the optimised ones (<stem>.<tag>.opt-1.pyc) are not read by default.
            const std::string name = file.path().filename().string();
            if (!ends_with(name, ".pyc") || name.find(".opt-") != std::string::npos) continue;
            const std::string stem_and_tag = name.substr(0, name.size() - 4);
            const auto tag_dot = stem_and_tag.rfind('.');
            if (tag_dot == std::string::npos) continue;
            auto source_it = sources.find(stem_and_tag.substr(0, tag_dot));
            if (source_it == sources.end()) continue;
            const Source& source = source_it->second;
            auto bytes = read_file(file.path());
            if (!bytes || bytes->size() < 16) continue;
            auto word = [&](std::size_t at) {
                return std::uint32_t((unsigned char)(*bytes)[at]) | std::uint32_t((unsigned char)(*bytes)[at + 1]) << 8 |
                       std::uint32_t((unsigned char)(*bytes)[at + 2]) << 16 | std::uint32_t((unsigned char)(*bytes)[at + 3]) << 24;
            };
            // A timestamp cache (flags 0) of exactly this source: its recorded mtime and size match.
            if (word(4) != 0 || word(8) != std::uint32_t(source.mtime) || word(12) != std::uint32_t(source.size)) continue;
            // The image's writers clamp every mtime to SOURCE_DATE_EPOCH: the cache records the source's mtime there.
            const auto image_mtime = std::uint32_t(std::min<std::int64_t>(source.mtime, epoch));
            for (int i = 0; i < 4; ++i) (*bytes)[8 + i] = char((image_mtime >> (8 * i)) & 0xff);
            const std::string guest_cache = (fs::path(source.guest).parent_path() / "__pycache__" / name).string();
            m_tree.add_file(guest_cache, std::move(*bytes), 0644, str("byte-code cache of ", source.guest));
            ++added;
        }
    }
    if (added) log::verbose(str("rootfs: ", added, " byte-code caches, valid for the image's timestamps"));
    return success();
}

Result<void> RootfsBuilder::gather_elf(const fs::path& path, const std::string& placed) {
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    if (ec) return Error::bad_input(str("--app ", path.string(), ": ", ec.message()));
    if (auto elf = read_elf(real, m_request.arch); !elf) return std::move(elf).error().context("--app");
    if (placed.empty()) {
        TRY(m_tree.add_host(path, "--app"));
    } else {
        TRY(m_tree.add_host_tree(SourceRoot(), real, placed, "--app (moved from under a mount of the guest's init)"));
        m_relocated.insert(real); // its closure goes in, the file itself only at `placed`
    }
    return m_closure.add_root(real, str("--app ", path.string()));
}

Result<void> RootfsBuilder::gather_directory(const fs::path& path, const std::string& reason, bool keep_owner) {
    TRY(m_tree.add_host_tree(m_root, path, path.string(), reason, keep_owner));
    const fs::path host = m_root.real(path);
    std::error_code ec;
    for (fs::recursive_directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file() || it->is_symlink() || !has_elf_magic(it->path())) continue;
        const fs::path inside = path / it->path().lexically_relative(host);
        auto elf = read_elf(it->path(), m_request.arch);
        if (!elf) {
            m_warnings.push_back(str("skipping the ELF closure of ", inside.string(), ": ", elf.error().message));
            continue;
        }
        TRY(m_closure.add_root(inside, reason));
        if (elf->is_executable_type && (fs::status(it->path()).permissions() & fs::perms::owner_exec) != fs::perms::none)
            m_programs.emplace_back(0, inside.string());
    }
    return success();
}

Result<void> RootfsBuilder::gather_package(const std::string& name) {
    TRY(add_package(name));
    return scan_config_files();
}

Result<void> RootfsBuilder::add_package(const std::string& name) {
    if (!m_db) {
        TRY_ASSIGN(PackageDb db, PackageDb::load(m_root, m_request.arch));
        m_db = std::move(db);
    }
    const PackageInfo* root = m_db->find(name);
    if (!root)
        return Error::bad_input(str("--app ", name, ": not an installed Debian package (dpkg-query knows no '", name,
                                    "'", m_root.where(), "), nor an existing file or directory"));
    m_root_package = root->name;
    for (const PackageInfo* package : m_db->application_packages(*root)) {
        log::verbose(str("rootfs: package ", package->name));
        TRY_ASSIGN(std::vector<std::string> files, m_db->files(*package));
        std::set<std::string> config_dirs;
        for (const auto& path : files) {
            if (interrupt::requested()) return Error::interrupted();
            TRY(add_package_file(*package, path));
            if (m_root.is_directory(path) && under(path, "/etc") && fs::path(path).parent_path() != "/" &&
                classify_package_path(path) == FileRole::config)
                config_dirs.insert(path);
        }
        TRY(add_maintainer_config(config_dirs, package->name));
    }
    return success();
}

Result<void> RootfsBuilder::add_package_file(const PackageInfo& package, const std::string& path) {
    const FileRole role = classify_package_path(path);
    if (role == FileRole::dropped) return success();
    struct stat st {};
    const fs::path host = m_root.real(path);
    if (::lstat(host.c_str(), &st) != 0) return success(); // listed but not on disk (removed conffile, diverted away)
    const std::string reason = str("package ", package.name, " ", file_role_name(role));
    const int tier_base = package.name == m_root_package ? 0 : 2;
    const bool in_sbin = under(path, "/usr/sbin") || under(path, "/sbin");
    if (S_ISDIR(st.st_mode)) {
        if (role == FileRole::state && !is_shared_state_root(path)) m_state_dirs.insert(path);
        // Directories of config, state and the package's own data trees; /usr/lib and friends come as parents.
        if (role == FileRole::config || role == FileRole::state) return m_tree.add_host(path, reason, true);
        return success();
    }
    if (S_ISLNK(st.st_mode)) {
        if (fs::path(path).parent_path() == "/") return success(); // /lib -> usr/lib: guest_path_for records those
        TRY(m_tree.add_host(path, reason, true));
        std::error_code ec;
        auto resolved = m_root.canonical(path);
        if (!resolved) return success();
        const fs::path target = *resolved;
        if (fs::is_regular_file(m_root.real(target), ec) && has_elf_magic(m_root.real(target))) {
            auto elf = read_elf(m_root.real(target), m_request.arch);
            if (elf) {
                TRY(m_closure.add_root(target, str(reason, " (via ", path, ")")));
                if (role == FileRole::program && elf->is_executable_type) m_programs.emplace_back(tier_base + (in_sbin ? 0 : 1), path);
            }
        }
        return success();
    }
    if (!S_ISREG(st.st_mode)) return success();
    if (has_elf_magic(host)) {
        auto elf = read_elf(host, m_request.arch);
        if (elf) {
            TRY(m_tree.add_host(path, reason, true));
            TRY(m_closure.add_root(path, reason));
            if (role == FileRole::program && elf->is_executable_type && (st.st_mode & 0111))
                m_programs.emplace_back(tier_base + (in_sbin ? 0 : 1), path);
            return success();
        }
        // Firmware, BPF objects and the like: data for this image, not something to resolve.
        log::verbose(str("rootfs: ", path, ": ", elf.error().message, "; kept as a plain file"));
    }
    return m_tree.add_host(path, reason, true);
}

// Files maintainer scripts create in the package's own /etc directories
// (nginx's sites-enabled/default, modules-enabled/*.conf) are in no file list.
Result<void> RootfsBuilder::add_maintainer_config(const std::set<std::string>& config_dirs, const std::string& package) {
    for (const auto& dir : config_dirs) {
        std::error_code ec;
        std::vector<fs::path> children;
        for (fs::directory_iterator it(m_root.real(dir), ec), end; !ec && it != end; it.increment(ec))
            children.push_back(fs::path(dir) / it->path().filename());
        std::sort(children.begin(), children.end());
        for (const auto& child : children) {
            if (classify_package_path(child.string()) == FileRole::dropped || m_tree.contains(child.string())) continue;
            if (config_dirs.count(child.string())) continue;
            TRY(m_tree.add_host_tree(m_root, child, child.string(), str("package ", package, " config (created by its maintainer scripts)"), true));
        }
    }
    return success();
}

Result<void> RootfsBuilder::scan_config_files() {
    std::set<std::string> named_dirs;
    std::vector<std::pair<std::string, std::string>> named_accounts;
    for (const auto& [path, entry] : m_tree.entries()) {
        if (entry.kind != EntryKind::file || entry.source.empty() || !under(path, "/etc") || entry.size > (1u << 20)) continue;
        auto text = read_file(entry.source);
        if (!text || !looks_like_text(*text)) continue;
        for (const auto& name : accounts_named_in_config(*text, m_users)) named_accounts.emplace_back(name, path);
        auto is_directory = [this](const std::string& dir) { return m_root.is_directory(dir); };
        for (const auto& dir : state_directories_in_config(*text, is_directory)) named_dirs.insert(dir + "\n" + path);
    }
    for (const auto& [name, file] : named_accounts) {
        m_selection.add_user(name, str("named in ", file)) || m_selection.add_group(name, str("named in ", file));
    }
    for (const auto& item : named_dirs) {
        auto newline = item.find('\n');
        const std::string dir = item.substr(0, newline), file = item.substr(newline + 1);
        bool copy = std::none_of(std::begin(k_never_copied_state), std::end(k_never_copied_state), [&](const char* d) { return under(dir, d); });
        TRY(add_state_directory(dir, str("state directory named in ", file), copy));
    }
    for (const auto& dir : m_state_dirs) TRY(add_state_directory(dir, "state directory of the package", false));
    return success();
}

Result<void> RootfsBuilder::add_state_directory(const std::string& dir, const std::string& reason, bool copy_contents) {
    for (const auto& existing : m_init.directories)
        if (existing.path == dir) return success();
    harness::GuestDirectory guest{dir, 0755, 0, 0};
    struct stat st {};
    auto resolved = m_root.canonical(dir);
    if (resolved && ::stat(m_root.real(*resolved).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        guest.mode = st.st_mode & 07777;
        auto owner = m_root.owner(resolved->string());
        guest.uid = owner ? owner->uid : st.st_uid;
        guest.gid = owner ? owner->gid : st.st_gid;
        if (copy_contents) {
            std::uint64_t total = 0;
            std::error_code ec;
            for (fs::recursive_directory_iterator it(m_root.real(*resolved), ec), end; !ec && it != end; it.increment(ec))
                if (it->is_regular_file() && !it->is_symlink()) total += it->file_size();
            if (total <= k_max_copied_state_bytes)
                TRY(m_tree.add_host_tree(m_root, *resolved, dir, reason, true));
            else
                m_warnings.push_back(str(dir, ": ", human_bytes(total), " on the host; created empty in the image"));
        }
    }
    // /run is a fresh tmpfs at boot, so the init creates these; the image carries them too.
    if (!under(dir, "/run") && !under(dir, "/var/run")) m_tree.add_directory(dir, guest.mode, guest.uid, guest.gid, reason);
    m_init.directories.push_back(guest);
    return success();
}

Result<std::vector<std::string>> RootfsBuilder::default_run() const {
    if (m_programs.empty())
        return Error::bad_input(str("--run is required: --app ", m_request.app, " ships no executable to start"));
    for (int tier = 0; tier < 4; ++tier) {
        std::set<std::string> candidates;
        for (const auto& [t, path] : m_programs)
            if (t == tier) candidates.insert(path);
        if (candidates.size() == 1) return std::vector<std::string>{*candidates.begin()};
        if (candidates.size() > 1)
            return Error::bad_input(str("--run is required: --app ", m_request.app, " ships several programs (",
                                        join({candidates.begin(), candidates.end()}, ", "), ")"));
    }
    return Error::bad_input(str("--run is required for --app ", m_request.app));
}

Result<void> RootfsBuilder::add_busybox() {
    TRY_ASSIGN(const Arch* arch, find_arch(m_request.arch));
    fs::path host_busybox;
    for (const char* candidate : k_busybox_candidates)
        if (fs::exists(candidate)) {
            host_busybox = candidate;
            break;
        }
    // tinyx's own tool, never the app's: the host's static BusyBox, or for another architecture
    // Debian's busybox-static of that architecture (fetched, not installed).
    SourceRoot from;
    fs::path busybox = host_busybox;
    if (arch != &host_arch()) {
        TRY_ASSIGN(fs::path cache, cache_dir());
        auto fetched = fetch_package_root(k_busybox_package, arch->name, cache / "packages");
        if (!fetched) return std::move(fetched).error().context(str("BusyBox for ", arch->name, " (or pass --no-busybox)"));
        from = fetched->root;
        busybox = "/bin/busybox";
    } else if (busybox.empty()) {
        return Error::bad_input("BusyBox not found (/bin/busybox): install busybox-static, or pass --no-busybox");
    }
    TRY_ASSIGN(ElfFile elf, read_elf(from.real(busybox), arch->name));
    if (!elf.interpreter.empty() || !elf.needed.empty())
        return Error::bad_input(str(busybox.string(), " is not statically linked: install busybox-static, or pass --no-busybox"));
    TRY_ASSIGN(std::string guest_busybox, m_tree.guest_path_for(busybox));
    TRY_ASSIGN(fs::path busybox_file, from.canonical(busybox));
    TRY(m_tree.add_host_tree(from, busybox_file, guest_busybox, "static BusyBox (shell and tools for guest tests)"));
    // The applets: the static BusyBox lists its own (the host's; running it is safe: tinyx's tool,
    // not the app). Another architecture's cannot run here: Debian builds busybox-static of one
    // version from one configuration on every architecture, so the host's list of the same
    // version is its list.
    if (arch != &host_arch()) {
        const auto fetched_version = installed_version(from, k_busybox_package);
        const auto host_version = installed_version(SourceRoot(), k_busybox_package);
        if (!host_version || host_busybox.empty() || fetched_version != host_version)
            return Error::bad_input(str("the ", arch->name, " BusyBox's applets are read from the host's busybox-static of the same version (",
                                        fetched_version.value_or("?"), "; the host has ", host_version.value_or("none"),
                                        "): install it, or pass --no-busybox"));
        busybox = host_busybox;
    }
    ProcessSpec spec;
    spec.argv = {busybox.string(), "--list-full"};
    TRY_ASSIGN(ProcessResult listed, run_process(spec));
    if (!listed.success()) return Error::internal(str(busybox.string(), " --list-full ", listed.describe()));
    for (const auto& line : split_lines(listed.out)) {
        std::string applet(trim(line));
        if (applet.empty() || applet == "linuxrc" || fs::path(applet).filename() == "init") continue; // /init is tinyx's
        TRY_ASSIGN(std::string guest, m_tree.guest_path_for("/" + applet));
        if (m_tree.contains(guest)) continue; // the app's own program wins
        m_tree.add_symlink(guest, guest_busybox, "BusyBox applet");
    }
    return success();
}

Result<void> RootfsBuilder::resolve_run(std::vector<std::string>& run) {
    if (run.empty()) {
        TRY_ASSIGN(run, default_run());
        m_notes.push_back(str("no --run given; the image starts ", shell_join(run)));
    }
    const std::string program = run[0];
    if (program.find('/') != std::string::npos) {
        if (program[0] != '/') {
            // Relative to the working directory, as the app's exec will see it.
            if (m_workdir.empty()) return Error::bad_input(str("--run: '", program, "' must be an absolute path or a command name"));
            run[0] = (fs::path(m_workdir) / program).lexically_normal().string();
        }
        TRY_ASSIGN(std::string guest, m_tree.guest_path_for(run[0]));
        if (m_tree.contains(guest)) return success();
        if (!m_root.exists(run[0]))
            return Error::bad_input(str("--run: ", run[0], " is neither in the image nor ", m_root.is_host() ? "on the host" : "in the container image"));
    } else {
        for (const char* dir : k_guest_path_dirs) {
            TRY_ASSIGN(std::string guest, m_tree.guest_path_for(fs::path(dir) / program));
            if (m_tree.contains(guest)) {
                run[0] = (fs::path(dir) / program).string();
                return success();
            }
        }
        if (m_root.is_host()) {
            auto host = find_program(program);
            if (!host) return Error::bad_input(str("--run: '", program, "' is not in the image and not on the host's PATH"));
            run[0] = host->string();
        } else {
            // The image's PATH (its Env or --env), else the usual directories.
            std::vector<std::string> dirs(std::begin(k_guest_path_dirs), std::end(k_guest_path_dirs));
            for (const auto& entry : m_env)
                if (starts_with(entry, "PATH=")) dirs = split(entry.substr(5), ':');
            std::string found;
            for (const auto& dir : dirs)
                if (!dir.empty() && dir[0] == '/' && m_root.exists(fs::path(dir) / program)) {
                    found = (fs::path(dir) / program).string();
                    break;
                }
            if (found.empty())
                return Error::bad_input(str("--run: '", program, "' is not in the container image's PATH (", join(dirs, ":"), ")"));
            run[0] = found;
        }
    }
    // From outside the image: for a script or directory app, the interpreter, with its package.
    TRY(add_program(run[0], "--run command"));
    return m_interpreted ? add_interpreter_package(run[0]) : success();
}

// A program of the root and what it needs to start: its ELF closure, or the
// interpreter its #! line names (and that one's closure).
Result<void> RootfsBuilder::add_program(const std::string& program, const std::string& reason, int depth) {
    TRY(m_tree.add_host(program, reason));
    auto resolved = m_root.canonical(program);
    if (!resolved) return success();
    const fs::path host = m_root.real(*resolved);
    if (has_elf_magic(host)) {
        TRY_ASSIGN(ElfFile elf, read_elf(host, m_request.arch));
        (void)elf;
        return m_closure.add_root(*resolved, reason);
    }
    return add_interpreter_of(host, program, depth);
}

Result<void> RootfsBuilder::add_interpreter_of(const fs::path& host, const std::string& program, int depth) {
    auto head = read_file_prefix(host, 256);
    if (!head || !starts_with(*head, "#!") || depth > 2) return success();
    std::string line = head->substr(2, head->find('\n') == std::string::npos ? std::string::npos : head->find('\n') - 2);
    auto words = split(std::string(trim(line)), ' ');
    if (words.empty() || words[0].empty() || words[0][0] != '/') return success();
    std::string interpreter = words[0];
    // "#!/usr/bin/env python3": the named program, found in the usual directories.
    if (fs::path(interpreter).filename() == "env" && words.size() > 1) {
        TRY(add_program(interpreter, str("interpreter of ", program), depth + 1));
        interpreter.clear();
        for (const char* dir : k_guest_path_dirs)
            if (m_root.exists(fs::path(dir) / words[1])) {
                interpreter = (fs::path(dir) / words[1]).string();
                break;
            }
        if (interpreter.empty()) return success();
    }
    if (!m_root.exists(interpreter)) return success();
    TRY(add_program(interpreter, str("interpreter of ", program), depth + 1));
    return m_interpreted ? add_interpreter_package(interpreter) : success();
}

Result<void> RootfsBuilder::add_dlopen_files() {
    TRY_ASSIGN(std::vector<DlopenAddition> additions, apply_dlopen_rules(m_closure, m_resolver, m_request.hostname));
    for (const auto& add : additions) {
        const std::string reason = str("dlopen rule: ", add.rule, " (", add.detail, ")");
        if (add.host_path.empty()) {
            m_tree.add_file(add.guest_path, add.content, 0644, reason);
            continue;
        }
        std::error_code ec;
        auto resolved = m_root.canonical(add.host_path);
        const fs::path real = resolved ? m_root.real(*resolved) : fs::path();
        if (resolved && fs::is_regular_file(real, ec) && has_elf_magic(real) && read_elf(real, m_request.arch)) {
            TRY(m_closure.add_root(add.host_path, reason));
        } else {
            TRY(m_tree.add_host(add.host_path, reason));
        }
    }
    return success();
}

Result<void> RootfsBuilder::add_closure() {
    for (const auto& member : m_closure.members()) {
        if (m_relocated.count(member.host_path)) continue;
        // What the app's program needs says so, whichever root reached it first (file pruning protects it).
        const bool program_needs = m_program_closure.count(member.host_path) && !starts_with(member.reason, m_program_label);
        TRY(m_tree.add_host(member.host_path, program_needs ? str(m_program_label, " (first gathered as ", member.reason, ")")
                                                            : member.reason));
    }
    for (const auto& missing : m_closure.missing()) m_warnings.push_back(str("library not found: ", missing));
    return success();
}

Result<void> RootfsBuilder::add_users(const std::vector<std::string>& run) {
    m_selection.add_user("root", "the init and the app run as root unless told otherwise");
    m_selection.add_uid(0, "root");
    m_selection.add_user("nobody", "the conventional unprivileged user");
    m_selection.add_group("nogroup", "the conventional unprivileged group");
    for (const auto& name : accounts_named_in_command(run, m_users))
        m_selection.add_user(name, "named in --run") || m_selection.add_group(name, "named in --run");
    for (const auto& [path, entry] : m_tree.entries()) {
        if (entry.uid != 0) m_selection.add_uid(entry.uid, str("owner of ", path));
        if (entry.gid != 0) m_selection.add_gid(entry.gid, str("group of ", path));
    }
    for (const auto& dir : m_init.directories) {
        if (dir.uid != 0) m_selection.add_uid(dir.uid, str("owner of ", dir.path));
        if (dir.gid != 0) m_selection.add_gid(dir.gid, str("group of ", dir.path));
    }
    TRY(add_app_user());
    m_tree.add_file("/etc/passwd", m_selection.render_passwd(), 0644, "users: root, nobody and the app's system users");
    m_tree.add_file("/etc/group", m_selection.render_group(), 0644, "groups: root, nogroup and the app's system groups");
    return success();
}

// --user (or the image's User): the account, its group and its home, owned by it, exist in the image.
Result<void> RootfsBuilder::add_app_user() {
    if (!m_user || m_user->empty()) return success();
    auto colon = m_user->find(':');
    const std::string name = m_user->substr(0, colon), group = colon == std::string::npos ? "" : m_user->substr(colon + 1);
    const std::string where = m_root.is_host() ? "the host's /etc/passwd" : "the image's /etc/passwd";
    const std::optional<unsigned> uid_number = numeric_id(name), gid_number = numeric_id(group);
    const UserEntry* account = uid_number ? m_users.user(*uid_number) : m_users.user(name);
    if (!account && !uid_number) return Error::bad_input(str("--user ", *m_user, ": no user '", name, "' in ", where));
    unsigned uid = account ? account->uid : *uid_number;
    unsigned gid = account ? account->gid : uid;
    if (!group.empty()) {
        const GroupEntry* entry = gid_number ? m_users.group(*gid_number) : m_users.group(group);
        if (!entry && !gid_number) return Error::bad_input(str("--user ", *m_user, ": no group '", group, "' in the group database"));
        gid = entry ? entry->gid : *gid_number;
        if (entry) m_selection.add_group(entry->name, "the app's group (--user)");
    }
    if (account) {
        m_selection.add_user(account->name, "the app runs as this user (--user)");
        auto fields = split(account->line, ':');
        const std::string home = fields.size() > 5 ? fields[5] : "";
        if (!home.empty() && std::none_of(m_env.begin(), m_env.end(), [](const std::string& e) { return starts_with(e, "HOME="); }))
            m_env.insert(m_env.begin(), "HOME=" + home);
        if (!home.empty() && home[0] == '/' && home != "/" && home != "/nonexistent" && !under(home, "/proc") && !under(home, "/sys")) {
            bool listed = false;
            for (const auto& dir : m_init.directories) listed = listed || dir.path == home;
            if (!listed) m_init.directories.push_back({home, 0755, account->uid, gid});
            if (!under(home, "/run") && !under(home, "/tmp")) m_tree.add_directory(home, 0755, account->uid, gid, "the app user's home");
        }
    }
    m_app_uid = uid;
    m_app_gid = gid;
    return success();
}

Result<void> RootfsBuilder::add_init(const std::vector<std::string>& run) {
    for (const auto& word : run)
        if (word.find('\n') != std::string::npos) return Error::bad_input("--run: arguments may not contain newlines");
    m_init.run = run;
    m_init.hostname = m_request.hostname;
    m_init.environment = merge_env({k_guest_path, "HOME=/root", "TERM=linux", "LANG=C"}, m_env);
    m_init.workdir = m_workdir;
    if (m_user && !m_user->empty()) {
        m_init.uid = m_app_uid;
        m_init.gid = m_app_gid;
        m_init.run_as_user = true;
    }
    TRY_ASSIGN(std::string_view init, harness::guest_init_binary(m_request.arch));
    if (m_format.is_disk) {
        TRY_ASSIGN(std::string guest, m_tree.guest_path_for(k_disk_init));
        m_tree.add_file(guest, std::string(init), 0755, "tinyx guest init (init=/sbin/tinyx-init)");
    } else {
        m_tree.add_file("/init", std::string(init), 0755, "tinyx guest init (the kernel runs /init from an initramfs)");
    }
    m_tree.add_file(TINYX_INIT_CONFIG_PATH, harness::render_init_config(m_init), 0644, "tinyx init configuration: --run, environment, app directories");
    return success();
}

Result<void> RootfsBuilder::finish(std::vector<std::string>& run, const std::vector<Include>& includes) {
    if (m_request.busybox) TRY(add_busybox());
    TRY(resolve_run(run));
    if (auto program = m_root.canonical(run[0]); program && has_elf_magic(m_root.real(*program))) {
        TRY_ASSIGN(m_program_closure, m_closure.needed_by(*program));
        m_program_label = str("ELF closure of ", program->string());
    }
    TRY(add_dlopen_files());
    TRY(add_closure());
    for (const auto& include : includes) {
        TRY_ASSIGN(std::string guest_parent, m_tree.guest_path_for(fs::path(include.guest).parent_path() / "x"));
        std::string guest = (fs::path(guest_parent).parent_path() / fs::path(include.guest).filename()).string();
        if (include.guest == "/") guest = "/";
        TRY(m_tree.add_host_tree(SourceRoot(), include.host, guest, "--include"));
        // An included ELF file's libraries come from the app's root: only when that is the host.
        if (m_root.is_host() && has_elf_magic(include.host)) {
            auto elf = read_elf(include.host, m_request.arch);
            if (elf) TRY(m_closure.add_root(include.host, str("--include ", include.host.string())));
        }
    }
    TRY(add_closure()); // libraries of included ELF files
    TRY(add_byte_code_caches());
    // Mount points and the console the kernel opens for /init before devtmpfs is mounted.
    m_tree.add_directory("/dev", 0755, 0, 0, "mount point (devtmpfs)");
    m_tree.add_char_device("/dev/console", 5, 1, 0600, "console for /init's first output");
    m_tree.add_directory("/proc", 0555, 0, 0, "mount point (proc)");
    m_tree.add_directory("/sys", 0555, 0, 0, "mount point (sysfs)");
    m_tree.add_directory("/tmp", 01777, 0, 0, "mount point (tmpfs)");
    m_tree.add_directory("/run", 0755, 0, 0, "mount point (tmpfs)");
    m_tree.add_directory("/root", 0700, 0, 0, "root's home");
    if (!m_tree.contains("/etc")) m_tree.add_directory("/etc", 0755, 0, 0, "configuration");
    TRY(add_users(run));
    TRY(add_init(run));
    const std::size_t excluded = m_tree.exclude(m_request.excludes);
    if (!m_request.excludes.empty()) log::verbose(str("rootfs: --exclude removed ", excluded, " entries"));
    for (const char* essential : {"/init", TINYX_INIT_CONFIG_PATH})
        if (!m_tree.contains(essential) && (!m_format.is_disk || std::string(essential) != "/init"))
            m_warnings.push_back(str("--exclude removed ", essential, ": the image will not boot the app"));
    m_tree.add_missing_parents();
    return success();
}

Json manifest_json(const RootfsRequest& request, const RootfsResult& result, const GuestTree& tree, std::int64_t epoch,
                   const std::map<std::string, std::string>& user_reasons) {
    Json manifest = Json::object();
    manifest["app"] = request.image ? *request.image : request.app;
    manifest["format"] = result.format;
    manifest["compression"] = result.compression;
    manifest["image"] = result.image.filename().string();
    manifest["image_bytes"] = result.image_bytes;
    manifest["content_bytes"] = result.content_bytes;
    manifest["entries"] = result.entries;
    manifest["source_date_epoch"] = epoch;
    manifest["kernel_args"] = result.kernel_args;
    manifest["run"] = result.init.run;
    manifest["environment"] = result.init.environment;
    if (!result.init.workdir.empty()) manifest["workdir"] = result.init.workdir;
    if (result.init.run_as_user) manifest["user"] = {{"uid", result.init.uid}, {"gid", result.init.gid}};
    if (result.container_image) {
        const auto& image = *result.container_image;
        manifest["container_image"] = {{"reference", image.reference}, {"digest", image.digest}, {"bytes", image.bytes},
                                       {"layers", image.layers}, {"exposed_ports", image.exposed_ports}};
    }
    Json dirs = Json::array();
    for (const auto& d : result.init.directories)
        dirs.push_back({{"path", d.path}, {"mode", octal(d.mode)}, {"uid", d.uid}, {"gid", d.gid}});
    manifest["app_directories"] = dirs;
    Json users = Json::object();
    for (const auto& [name, why] : user_reasons) users[name] = why;
    manifest["accounts"] = users;
    manifest["warnings"] = result.warnings;
    Json files = Json::array();
    for (const auto& [path, entry] : tree.entries()) {
        Json item = Json::object();
        item["path"] = path;
        item["type"] = entry_kind_name(entry.kind);
        item["source"] = entry.source.empty() ? (entry.kind == EntryKind::file ? "generated" : "") : entry.source;
        item["size"] = entry.size;
        item["mode"] = octal(entry.mode);
        item["uid"] = entry.uid;
        item["gid"] = entry.gid;
        if (entry.kind == EntryKind::symlink) item["target"] = entry.link_target;
        item["reason"] = entry.reason;
        files.push_back(std::move(item));
    }
    manifest["files"] = std::move(files);
    return manifest;
}

std::uint64_t disk_size_for(const GuestTree& tree) {
    std::uint64_t bytes = 0;
    for (const auto& [path, entry] : tree.entries()) bytes += (entry.size + 4095) / 4096 * 4096 + 256;
    // ext4 metadata, journal and room for the app's logs and state.
    bytes = bytes + bytes / 4 + (48ull << 20);
    return (bytes + (1ull << 20) - 1) / (1ull << 20) * (1ull << 20);
}

// The request's container image, verified, unpacked (cached) and checked against the profile's digest.
Result<UnpackedImage> load_image(const RootfsRequest& request, bool has_run) {
    TRY_ASSIGN(fs::path cache, cache_dir());
    // Checked before the layers are unpacked: bad input costs no unpacking.
    auto check = [&](const UnpackedImage& image) -> Result<void> {
        if (request.image_digest && !request.image_digest->empty() && *request.image_digest != image.manifest_digest)
            return Error::bad_input(str("--image ", *request.image, " is ", image.manifest_digest, ", but the profile was built from ",
                                        *request.image_digest, " (give the image it names, or build without the profile)"));
        if (!has_run && image.config.entrypoint.empty() && image.config.cmd.empty())
            return Error::bad_input(str("--image ", *request.image, ": its config has neither Entrypoint nor Cmd; give --run"));
        return success();
    };
    return unpack_container_image(*request.image, request.arch, cache / "images", check);
}

ContainerImageInfo image_info(const UnpackedImage& image) {
    return {image.reference.text, image.manifest_digest, image.image_bytes, image.layers, image.config.exposed_tcp_ports};
}

} // namespace

Result<ContainerImageInfo> inspect_container_image(const RootfsRequest& request) {
    if (!request.image) return Error::internal("inspect_container_image: the request names no image");
    TRY(validate_rootfs_request(request));
    TRY_ASSIGN(UnpackedImage image, load_image(request, request.run.has_value()));
    return image_info(image);
}

const std::vector<ImageFormat>& image_formats() {
    static const std::vector<ImageFormat> formats = {
        {"initramfs", "cpio newc archive the kernel unpacks into RAM (--initrd)", false, "", "initramfs.cpio"},
        {"raw", "ext4 filesystem on a raw disk image (--disk; root=/dev/vda)", true, "raw", "disk.raw"},
        {"qcow2", "ext4 filesystem on a qcow2 disk image (--disk; root=/dev/vda)", true, "qcow2", "disk.qcow2"},
    };
    return formats;
}

Result<const ImageFormat*> find_image_format(const std::string& name) {
    std::vector<std::string> names;
    for (const auto& format : image_formats()) {
        if (format.name == name) return &format;
        names.push_back(format.name);
    }
    return Error::bad_input(str("--format: unknown value '", name, "' (expected ", join(names, ", "), ")"));
}

Result<void> validate_rootfs_request(const RootfsRequest& request) {
    TRY_ASSIGN(const ImageFormat* format, find_image_format(request.format));
    TRY(resolve_compression(request, *format));
    TRY(parse_includes(request.includes));
    TRY(resolve_epoch(request));
    TRY(split_run(request));
    TRY(find_arch(request.arch));
    TRY(check_env(request.env));
    if (request.user) TRY(check_user_syntax(*request.user));
    if (request.workdir && (request.workdir->empty() || (*request.workdir)[0] != '/'))
        return Error::bad_input(str("--workdir '", request.workdir.value_or(""), "': expected an absolute guest path"));
    if (request.image) {
        if (!request.app.empty()) return Error::bad_input("--app and --image both name the app: give one");
        TRY(parse_image_reference(*request.image));
    } else if (request.app.empty()) {
        return Error::bad_input("--app or --image: required (a package name, an ELF executable, a directory, or a container image)");
    }
    for (const auto& glob : request.excludes)
        if (glob.empty() || glob[0] != '/') return Error::bad_input(str("--exclude '", glob, "': expected a glob on absolute guest paths"));
    return success();
}

Result<RootfsResult> build_rootfs(const RootfsRequest& request) {
    TRY(validate_rootfs_request(request));
    TRY_ASSIGN(const ImageFormat* format, find_image_format(request.format));
    TRY_ASSIGN(Compression compression, resolve_compression(request, *format));
    TRY_ASSIGN(std::vector<Include> includes, parse_includes(request.includes));
    TRY_ASSIGN(std::int64_t epoch, resolve_epoch(request));
    TRY_ASSIGN(std::vector<std::string> run, split_run(request));

    // A container image: verified and unpacked (cached), its config gives the defaults.
    SourceRoot root;
    std::optional<UnpackedImage> image;
    std::vector<std::string> env;
    std::string workdir = request.workdir.value_or("");
    std::optional<std::string> user = request.user;
    if (request.image) {
        TRY_ASSIGN(UnpackedImage unpacked, load_image(request, !run.empty()));
        const ContainerConfig& config = unpacked.config;
        if (run.empty()) {
            run = config.entrypoint;
            run.insert(run.end(), config.cmd.begin(), config.cmd.end());
        }
        env = config.env;
        if (workdir.empty()) workdir = config.working_dir;
        if (!user && !config.user.empty()) user = config.user;
        root = unpacked.root;
        image = std::move(unpacked);
    } else if (request.app.find('/') == std::string::npos && !fs::exists(request.app) && !installed_on_host(request.app, request.arch)) {
        // A package the host does not have: downloaded with its dependencies, never installed.
        TRY_ASSIGN(fs::path cache, cache_dir());
        TRY_ASSIGN(FetchedPackages fetched, fetch_package_root(request.app, request.arch, cache / "packages"));
        root = fetched.root;
    }
    env = merge_env(env, request.env);
    if (user) TRY(check_user_syntax(*user));

    TRY_ASSIGN(LibraryResolver resolver, LibraryResolver::load(root, request.arch));
    TRY_ASSIGN(UserDb users, UserDb::load(root.dir()));
    RootfsBuilder builder(request, *format, resolver, users);
    builder.set_app_context(workdir, env, user);
    if (image) {
        TRY(builder.gather_image(run));
    } else {
        TRY(builder.gather_app(run));
    }
    TRY(builder.finish(run, includes));
    TRY(prepare_out_dir(request.out_dir)); // only now: bad input leaves --out untouched
    // Printed only now: a bad-input error must be the first line on stderr.
    for (const auto& note : builder.notes()) log::info(str("rootfs: ", note));
    for (const auto& warning : builder.warnings()) log::warn(str("rootfs: ", warning));
    log::Progress progress("rootfs");

    RootfsResult result;
    result.format = format->name;
    result.compression = compression_name(compression);
    result.init = builder.init();
    result.warnings = builder.warnings();
    result.content_bytes = builder.tree().content_bytes();
    if (image) result.container_image = image_info(*image);
    result.entries = builder.tree().entries().size();
    const fs::path out = request.out_dir;
    const std::string file_name = format->file_name + (format->is_disk ? "" : compression_suffix(compression));
    // Staged next to --out, so the final rename stays on one filesystem.
    fs::path parent = fs::absolute(out).parent_path();
    auto staging = TempDir::create(str(".", fs::absolute(out).filename().string(), ".tmp-"), parent);
    if (!staging) return Error::bad_input(str("--out ", out.string(), ": cannot create a staging directory in ", parent.string(), ": ",
                                              staging.error().message));
    const fs::path staged_image = staging->path() / file_name;
    if (format->is_disk) {
        progress.update("writing the filesystem tar");
        const fs::path tar = staging->path() / "rootfs.tar";
        TRY(write_tar(builder.tree(), tar, epoch));
        progress.update(str("making the ", format->name, " ext4 disk with libguestfs"));
        DiskImageSpec spec;
        spec.output = staged_image;
        spec.format = format->disk_format;
        spec.size_bytes = disk_size_for(builder.tree());
        spec.tar = tar;
        TRY(make_ext4_disk(spec));
        std::error_code ec;
        fs::remove(tar, ec);
        result.kernel_args = {"root=/dev/vda", "rw", str("init=", k_disk_init)};
    } else {
        progress.update(str("writing the cpio archive (", compression_name(compression), ")"));
        TRY(write_cpio(builder.tree(), staged_image, compression, epoch));
    }
    std::error_code ec;
    result.image_bytes = fs::file_size(staged_image, ec);
    result.image = out / file_name;
    result.manifest = out / "manifest.json";
    result.manifest_json = manifest_json(request, result, builder.tree(), epoch, builder.user_reasons());
    TRY(write_json_file(staging->path() / "manifest.json", result.manifest_json));
    fs::rename(staged_image, result.image, ec);
    if (ec) return Error::internal(str("moving the image to ", result.image.string(), ": ", ec.message()));
    fs::rename(staging->path() / "manifest.json", result.manifest, ec);
    if (ec) return Error::internal(str("moving manifest.json to ", result.manifest.string(), ": ", ec.message()));
    progress.finish(str(result.image.string(), ": ", human_bytes(result.image_bytes), ", ", result.entries, " entries (",
                        human_bytes(result.content_bytes), " of files)"));
    return result;
}

Result<RootfsResult> recompress_initramfs(const RootfsResult& image, const std::string& compression, const fs::path& directory) {
    if (image.format != "initramfs") return Error::bad_input(str("--compression applies to --format initramfs only (", image.format, ")"));
    TRY_ASSIGN(const Compression to, parse_compression(compression));
    TRY_ASSIGN(const std::string stored, read_file(image.image));
    std::string packed;
    if (image.compression == compression_name(to)) {
        packed = stored; // the same bytes: no second xz of a large image
    } else {
        TRY_ASSIGN(const std::string raw, decompress_bytes(stored));
        TRY_ASSIGN(packed, compress_bytes(raw, to));
    }
    TRY_ASSIGN(const ImageFormat* format, find_image_format(image.format));
    RootfsResult out = image;
    out.compression = compression_name(to);
    out.image = directory / (format->file_name + compression_suffix(to));
    out.image_bytes = packed.size();
    TRY(write_file_atomic(out.image, packed));
    out.manifest_json["compression"] = out.compression;
    out.manifest_json["image"] = out.image.filename().string();
    out.manifest_json["image_bytes"] = out.image_bytes;
    return out;
}

} // namespace tinyx::packagers
