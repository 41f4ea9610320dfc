#include "library_search.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <glob.h>

#include <algorithm>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

// The trusted directories glibc searches after ld.so.cache on Debian: the architecture's
// multiarch ones first, then the traditional ones.
std::vector<fs::path> default_dirs(const Arch& arch) {
    return {fs::path("/lib") / arch.multiarch, fs::path("/usr/lib") / arch.multiarch, "/lib64", "/usr/lib64", "/lib", "/usr/lib"};
}


} // namespace

Result<void> parse_ld_so_conf(const SourceRoot& root, const fs::path& file, std::vector<fs::path>& dirs, int depth) {
    if (depth > 8) return Error::bad_input(str(file.string(), ": ld.so.conf includes nest too deeply"));
    std::error_code ec;
    if (!fs::exists(root.real(file), ec)) return success();
    TRY_ASSIGN(std::string text, read_file(root.real(file)));
    for (const auto& raw : split_lines(text)) {
        std::string line(trim(raw.substr(0, raw.find('#'))));
        if (line.empty()) continue;
        if (starts_with(line, "include") && line.size() > 7 && (line[7] == ' ' || line[7] == '\t')) {
            std::string pattern(trim(std::string_view(line).substr(8)));
            fs::path pattern_path = pattern;
            if (pattern_path.is_relative()) pattern_path = file.parent_path() / pattern_path;
            glob_t matches{};
            const std::string rooted = root.real(pattern_path).string();
            if (::glob(rooted.c_str(), 0, nullptr, &matches) == 0) {
                std::vector<std::string> found(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
                globfree(&matches);
                std::sort(found.begin(), found.end());
                for (const auto& match : found) {
                    fs::path absolute = match;
                    if (!root.is_host()) absolute = "/" / fs::path(match).lexically_relative(root.dir());
                    TRY(parse_ld_so_conf(root, absolute, dirs, depth + 1));
                }
            } else {
                globfree(&matches);
            }
            continue;
        }
        if (starts_with(line, "hwcap")) continue; // obsolete directive
        if (line[0] == '/') dirs.push_back(line);
    }
    return success();
}

Result<LibraryResolver> LibraryResolver::load(const SourceRoot& root, std::string_view arch_name) {
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    LibraryResolver resolver;
    resolver.m_root = root;
    resolver.m_arch = arch->name;
    std::vector<fs::path> dirs;
    TRY(parse_ld_so_conf(root, "/etc/ld.so.conf", dirs));
    for (auto& d : default_dirs(*arch)) dirs.push_back(std::move(d));
    for (auto& d : dirs)
        if (std::find(resolver.m_system_dirs.begin(), resolver.m_system_dirs.end(), d) == resolver.m_system_dirs.end())
            resolver.m_system_dirs.push_back(d);
    return resolver;
}

std::optional<fs::path> LibraryResolver::find(const std::string& name, const ElfFile& requester, const ElfFile* executable) const {
    if (name.find('/') != std::string::npos) {
        fs::path direct = name;
        if (direct.is_relative()) direct = requester.path.parent_path() / direct;
        if (m_root.is_regular_file(direct)) return direct;
        return std::nullopt;
    }
    auto try_dirs = [&](const std::vector<std::string>& entries, const ElfFile& owner) -> std::optional<fs::path> {
        for (const auto& entry : entries) {
            fs::path dir = expand_origin(entry, owner.path.parent_path());
            if (dir.is_relative()) continue; // relative to the process's cwd: unknowable here
            if (m_root.is_regular_file(dir / name)) return (dir / name).lexically_normal();
        }
        return std::nullopt;
    };
    // DT_RPATH counts only when the object has no DT_RUNPATH; the executable's
    // DT_RPATH also applies to the libraries it loads.
    if (requester.runpath.empty()) {
        if (auto found = try_dirs(requester.rpath, requester)) return found;
        if (executable && executable != &requester && executable->runpath.empty())
            if (auto found = try_dirs(executable->rpath, *executable)) return found;
    }
    if (auto found = try_dirs(requester.runpath, requester)) return found;
    for (const auto& dir : m_system_dirs)
        if (m_root.is_regular_file(dir / name)) return dir / name;
    const std::string& interpreter = executable ? executable->interpreter : requester.interpreter;
    if (!interpreter.empty()) {
        fs::path dir = fs::path(interpreter).parent_path();
        if (m_root.is_regular_file(dir / name)) return dir / name;
    }
    return std::nullopt;
}

Result<std::set<fs::path>> ElfClosure::needed_by(const fs::path& root) {
    std::set<fs::path> needed;
    TRY_ASSIGN(const ElfFile* top, parse(root));
    const ElfFile* executable = top->is_executable_type ? top : nullptr;
    std::vector<const ElfFile*> pending{top};
    while (!pending.empty()) {
        const ElfFile* elf = pending.back();
        pending.pop_back();
        if (!elf->interpreter.empty()) needed.insert(elf->interpreter);
        for (const auto& name : elf->needed) {
            auto found = m_resolver.find(name, *elf, executable);
            if (!found || !needed.insert(*found).second) continue;
            if (auto library = parse(*found)) pending.push_back(*library);
        }
    }
    return needed;
}

bool ElfClosure::contains_soname(const std::string& name) const { return m_sonames.count(name) > 0; }

bool ElfClosure::imports(std::string_view symbol) const {
    return std::any_of(m_parsed.begin(), m_parsed.end(), [&](const auto& item) { return item.second.imports(symbol); });
}

Result<const ElfFile*> ElfClosure::parse(const fs::path& path) {
    const SourceRoot& root = m_resolver.root();
    TRY_ASSIGN(fs::path real, root.canonical(path));
    auto it = m_parsed.find(real);
    if (it != m_parsed.end()) return &it->second;
    auto read = read_elf(root.real(real), m_resolver.arch());
    if (!read) {
        if (root.is_host()) return std::move(read).error();
        return Error::bad_input(str(path.string(), root.where(), ": ", read.error().message));
    }
    ElfFile elf = std::move(*read);
    elf.path = real; // $ORIGIN and relative names resolve inside the root
    auto [inserted, ok] = m_parsed.emplace(real, std::move(elf));
    (void)ok;
    return &inserted->second;
}

Result<void> ElfClosure::add_root(const fs::path& path, const std::string& reason) {
    if (m_seen.count(path)) return success();
    TRY_ASSIGN(const ElfFile* elf, parse(path));
    m_seen.insert(path);
    m_members.push_back({path, reason});
    if (!elf->soname.empty()) m_sonames.insert(elf->soname);
    m_sonames.insert(path.filename().string());
    return add_dependencies(*elf, elf->is_executable_type ? elf : nullptr, path.string());
}

Result<void> ElfClosure::add_dependencies(const ElfFile& elf, const ElfFile* executable, const std::string& label) {
    if (!elf.interpreter.empty() && !m_seen.count(elf.interpreter)) {
        fs::path interpreter = elf.interpreter;
        if (!m_resolver.root().exists(interpreter)) {
            m_missing.push_back(str("interpreter ", elf.interpreter, " of ", label));
        } else {
            m_seen.insert(interpreter);
            m_members.push_back({interpreter, str("ELF closure of ", label, " (PT_INTERP ", elf.interpreter, ")")});
            TRY_ASSIGN(const ElfFile* parsed, parse(interpreter));
            if (!parsed->soname.empty()) m_sonames.insert(parsed->soname);
        }
    }
    for (const auto& name : elf.needed) {
        auto found = m_resolver.find(name, elf, executable);
        if (!found) {
            m_missing.push_back(str(name, " needed by ", label));
            continue;
        }
        m_sonames.insert(name);
        if (m_seen.count(*found)) continue;
        m_seen.insert(*found);
        m_members.push_back({*found, str("ELF closure of ", label, " (DT_NEEDED ", name, ")")});
        TRY_ASSIGN(const ElfFile* library, parse(*found));
        TRY(add_dependencies(*library, executable, label));
    }
    return success();
}

} // namespace tinyx::packagers
