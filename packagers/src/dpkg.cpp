#include "dpkg.hpp"

#include "core/fs.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <deque>
#include <set>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

const char* const k_query_format =
    "${Package}\\t${Architecture}\\t${db:Status-Abbrev}\\t${source:Package}\\t${Section}\\t${Priority}\\t${Essential}\\t"
    "${Pre-Depends}\\t${Depends}\\n";

std::string strip_arch(std::string name) {
    auto colon = name.find(':');
    if (colon != std::string::npos) name.resize(colon);
    return name;
}

Result<std::string> run_capture(std::vector<std::string> argv) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env_set["LC_ALL"] = "C";
    TRY_ASSIGN(ProcessResult result, run_process(spec));
    if (!result.success())
        return Error::internal(str(shell_join(spec.argv), " ", result.describe(), ": ", trim(result.err)));
    return std::move(result.out);
}

} // namespace

std::vector<std::vector<std::string>> parse_depends(const std::string& field) {
    std::vector<std::vector<std::string>> groups;
    for (const auto& group_text : split(field, ',')) {
        std::vector<std::string> group;
        for (const auto& alternative : split(group_text, '|')) {
            std::string name(trim(alternative));
            auto cut = name.find_first_of(" (<[");
            if (cut != std::string::npos) name.resize(cut);
            name = strip_arch(name);
            if (!name.empty()) group.push_back(name);
        }
        if (!group.empty()) groups.push_back(std::move(group));
    }
    return groups;
}

bool follows_dependency(const PackageInfo& package) {
    if (package.essential) return false;
    if (package.priority == "required" || package.priority == "important") return false;
    std::string section = package.section;
    auto slash = section.rfind('/');
    if (slash != std::string::npos) section = section.substr(slash + 1);
    return section != "libs" && section != "oldlibs" && section != "libdevel";
}

Result<PackageDb> PackageDb::from_text(const std::string& query_output, const std::string& divert_output,
                                       const std::string& native_arch, fs::path info_dir) {
    PackageDb db;
    db.m_native_arch = native_arch;
    db.m_info_dir = std::move(info_dir);
    for (const auto& line : split_lines(query_output)) {
        auto fields = split(line, '\t');
        if (fields.size() < 9) continue;
        PackageInfo info;
        info.name = fields[0];
        info.architecture = fields[1];
        info.installed = starts_with(fields[2], "ii") || starts_with(fields[2], "hi");
        info.source = fields[3].empty() ? fields[0] : std::string(trim(split(fields[3], ' ')[0]));
        info.section = fields[4];
        info.priority = fields[5];
        info.essential = fields[6] == "yes";
        info.depends = parse_depends(fields[7]);
        auto more = parse_depends(fields[8]);
        info.depends.insert(info.depends.end(), more.begin(), more.end());
        if (info.installed) db.m_packages[info.name].push_back(std::move(info));
    }
    for (const auto& line : split_lines(divert_output)) {
        // "diversion of X to Y by PKG" or "local diversion of X to Y"
        auto of = line.find("diversion of ");
        auto to = line.find(" to ");
        if (of == std::string::npos || to == std::string::npos) continue;
        Diversion d;
        d.from = line.substr(of + 13, to - (of + 13));
        auto by = line.find(" by ", to + 4);
        d.to = line.substr(to + 4, by == std::string::npos ? std::string::npos : by - (to + 4));
        if (by != std::string::npos) d.by = line.substr(by + 4);
        db.m_diversions.push_back(std::move(d));
    }
    return db;
}

bool PackageDb::exists_in(const SourceRoot& root) {
    std::error_code ec;
    return fs::is_regular_file(root.real("/var/lib/dpkg/status"), ec);
}

std::vector<std::string> dpkg_admin_args(const SourceRoot& root) {
    if (root.is_host()) return {};
    return {str("--admindir=", root.real("/var/lib/dpkg").string())};
}

Result<PackageDb> PackageDb::load(const SourceRoot& root, std::string_view arch) {
    if (!find_program("dpkg-query"))
        return Error::bad_input("dpkg-query not found: package names need a Debian system (pass an ELF path or a directory instead)");
    const std::vector<std::string> admin = dpkg_admin_args(root);
    std::vector<std::string> query_argv{"dpkg-query"};
    query_argv.insert(query_argv.end(), admin.begin(), admin.end());
    for (const char* word : {"-W", "-f", k_query_format}) query_argv.push_back(word);
    TRY_ASSIGN(std::string query, run_capture(query_argv));
    std::string diversions;
    if (find_program("dpkg-divert")) {
        std::vector<std::string> divert_argv{"dpkg-divert"};
        divert_argv.insert(divert_argv.end(), admin.begin(), admin.end());
        divert_argv.push_back("--list");
        auto divert = run_capture(divert_argv);
        if (divert) diversions = std::move(*divert);
    }
    TRY_ASSIGN(const Arch* table, find_arch(arch));
    std::string native(table->package_arch);
    if (root.is_host())
        if (auto printed = run_capture({"dpkg", "--print-architecture"})) native = std::string(trim(*printed));
    TRY_ASSIGN(PackageDb db, from_text(query, diversions, native, root.real("/var/lib/dpkg/info")));
    db.m_admin_args = admin;
    return db;
}

std::vector<const PackageInfo*> PackageDb::packages() const {
    std::vector<const PackageInfo*> all;
    for (const auto& [name, versions] : m_packages)
        for (const auto& package : versions) all.push_back(&package);
    return all;
}

std::vector<const PackageInfo*> PackageDb::owners(const std::set<std::string>& paths) const {
    std::vector<const PackageInfo*> found;
    for (const PackageInfo* package : packages()) {
        auto files = this->files(*package);
        if (files && std::any_of(files->begin(), files->end(), [&](const std::string& f) { return paths.count(f) > 0; }))
            found.push_back(package);
    }
    return found;
}

const PackageInfo* PackageDb::find(const std::string& qualified) const {
    std::string name = qualified, arch;
    auto colon = qualified.find(':');
    if (colon != std::string::npos) {
        name = qualified.substr(0, colon);
        arch = qualified.substr(colon + 1);
    }
    auto it = m_packages.find(name);
    if (it == m_packages.end()) return nullptr;
    const PackageInfo* best = nullptr;
    for (const auto& p : it->second) {
        if (!arch.empty() && arch != "any") {
            if (p.architecture == arch) return &p;
            continue;
        }
        if (p.architecture == m_native_arch || p.architecture == "all") return &p;
        if (!best) best = &p;
    }
    return best;
}

Result<std::vector<std::string>> PackageDb::files(const PackageInfo& package) const {
    std::string text;
    bool found = false;
    for (const auto& candidate : {m_info_dir / (package.name + ":" + package.architecture + ".list"), m_info_dir / (package.name + ".list")}) {
        std::error_code ec;
        if (fs::exists(candidate, ec)) {
            TRY_ASSIGN(text, read_file(candidate));
            found = true;
            break;
        }
    }
    if (!found) {
        std::vector<std::string> argv{"dpkg-query"};
        argv.insert(argv.end(), m_admin_args.begin(), m_admin_args.end());
        argv.push_back("-L");
        argv.push_back(package.name + ":" + package.architecture);
        auto listed = run_capture(argv);
        if (!listed) return std::move(listed).error().context(str("listing the files of package ", package.name));
        text = std::move(*listed);
    }
    std::vector<std::string> files;
    for (const auto& raw : split_lines(text)) {
        std::string path(trim(raw));
        if (path.empty() || path == "/." || path[0] != '/') continue;
        for (const auto& d : m_diversions)
            if (d.from == path && d.by != package.name) {
                path = d.to;
                break;
            }
        files.push_back(path);
    }
    return files;
}

std::vector<const PackageInfo*> PackageDb::application_packages(const PackageInfo& root) const {
    std::vector<const PackageInfo*> result{&root};
    std::set<std::string> seen{root.name};
    std::deque<const PackageInfo*> queue{&root};
    while (!queue.empty()) {
        const PackageInfo* current = queue.front();
        queue.pop_front();
        for (const auto& group : current->depends) {
            const PackageInfo* chosen = nullptr;
            for (const auto& alternative : group)
                if ((chosen = find(alternative))) break;
            if (!chosen || seen.count(chosen->name)) continue;
            seen.insert(chosen->name);
            if (!follows_dependency(*chosen)) continue;
            result.push_back(chosen);
            queue.push_back(chosen);
        }
    }
    return result;
}

} // namespace tinyx::packagers
