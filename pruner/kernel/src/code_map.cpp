#include "pruner/code_map.hpp"

#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace tinyx::pruner {

namespace {

bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Every CONFIG_X named in `text`, without the prefix.
std::set<std::string> config_names(std::string_view text) {
    std::set<std::string> names;
    for (std::size_t at = text.find("CONFIG_"); at != std::string_view::npos; at = text.find("CONFIG_", at + 1)) {
        if (at > 0 && is_ident(text[at - 1])) continue;
        std::size_t end = at + 7;
        while (end < text.size() && is_ident(text[end])) ++end;
        if (end > at + 7) names.insert(std::string(text.substr(at + 7, end - at - 7)));
    }
    return names;
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i > start) out.push_back(text.substr(start, i - start));
    }
    return out;
}

std::optional<std::uint64_t> parse_hex(std::string_view text) {
    if (starts_with(text, "0x")) text.remove_prefix(2);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    return value;
}

// Calls `each` with every line of `text`, without copying.
template <typename F> void for_each_line(std::string_view text, F each) {
    while (!text.empty()) {
        auto end = text.find('\n');
        each(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

} // namespace

// ---- Kbuild rules -------------------------------------------------------------------

KbuildRules::KbuildRules(fs::path source_root, std::string srcarch)
    : m_root(std::move(source_root)), m_srcarch(std::move(srcarch)) {}

void KbuildRules::parse(std::string_view text, DirRules& into) const {
    // Join continuation lines first: rules spread their objects over many lines.
    std::string joined;
    joined.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
            joined += ' ';
            ++i;
        } else {
            joined += text[i];
        }
    }
    // Conditions of the enclosing ifdef/ifeq blocks; an `else` branch names nothing we can use.
    std::vector<std::set<std::string>> blocks;
    for (auto raw : split(joined, '\n')) {
        std::string_view line = raw;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        auto first = words(line).front();
        if (first == "ifdef" || first == "ifeq" || first == "ifneq") {
            // ifdef CONFIG_X / ifeq ($(CONFIG_X),y) / ifneq ($(CONFIG_X),): the block needs X on.
            // The negated forms need it off, which names no option the code depends on.
            const bool empty_rhs = ends_with(line, ",)");
            const bool positive = first == "ifdef" || (first == "ifeq" && !empty_rhs) || (first == "ifneq" && empty_rhs);
            blocks.push_back(positive ? config_names(line) : std::set<std::string>{});
            continue;
        }
        if (first == "ifndef") {
            blocks.emplace_back();
            continue;
        }
        if (first == "else") {
            if (!blocks.empty()) blocks.back().clear();
            continue;
        }
        if (first == "endif") {
            if (!blocks.empty()) blocks.pop_back();
            continue;
        }
        auto op = line.find('=');
        if (op == std::string_view::npos || op == 0) continue;
        auto lhs = trim(line.substr(0, line[op - 1] == '+' || line[op - 1] == ':' || line[op - 1] == '?' ? op - 1 : op));
        auto rhs = line.substr(op + 1);
        auto dash = lhs.find('-');
        if (dash == std::string_view::npos || dash == 0) continue;
        auto name = lhs.substr(0, dash);
        if (!std::all_of(name.begin(), name.end(), is_ident)) continue;
        auto options = config_names(lhs.substr(dash + 1));
        for (const auto& block : blocks) options.insert(block.begin(), block.end());
        const bool list_of_objects = name == "obj" || name == "lib" || name == "core" || name == "libs" ||
                                     name == "drivers" || name == "net" || name == "init";
        for (auto word : words(rhs)) {
            std::string item(word);
            if (auto at = item.find("$(SRCARCH)"); at != std::string::npos) item.replace(at, 10, m_srcarch);
            if (item.find('$') != std::string::npos) continue;
            if (starts_with(item, "./")) item = item.substr(2);
            if (!ends_with(item, ".o") && !ends_with(item, "/")) continue;
            if (list_of_objects || ends_with(item, "/")) {
                into.items[item].insert(options.begin(), options.end());
            } else {
                // foo-y += a.o / foo-$(CONFIG_X) += b.o / foo-objs := c.o: parts of foo.o.
                into.parts[item].emplace_back(str(name, ".o"), options);
            }
        }
    }
}

const KbuildRules::DirRules& KbuildRules::rules(const std::string& dir) {
    if (auto it = m_dirs.find(dir); it != m_dirs.end()) return it->second;
    DirRules rules;
    const fs::path base = dir.empty() ? m_root : m_root / dir;
    // Both files when both exist: the top directory and arch/ keep rules in each.
    for (const char* name : {"Kbuild", "Makefile"}) {
        if (auto text = read_file(base / name)) parse(*text, rules);
    }
    return m_dirs.emplace(dir, std::move(rules)).first->second;
}

std::set<std::string> KbuildRules::object_options(const std::string& dir, const std::string& file, int depth) {
    std::set<std::string> options;
    const auto& here = rules(dir);
    if (auto it = here.items.find(file); it != here.items.end()) options = it->second;
    if (auto it = here.parts.find(file); it != here.parts.end() && depth < 4) {
        for (const auto& [composite, own] : it->second) {
            options.insert(own.begin(), own.end());
            auto above = object_options(dir, composite, depth + 1);
            options.insert(above.begin(), above.end());
        }
    }
    return options;
}

std::vector<std::string> KbuildRules::options_for(const std::string& object) {
    auto slash = object.rfind('/');
    std::string dir = slash == std::string::npos ? "" : object.substr(0, slash);
    std::string file = slash == std::string::npos ? object : object.substr(slash + 1);
    auto options = object_options(dir, file, 0);
    // Up the directory chain: the nearest ancestor whose rules name this directory decides
    // whether it is built ("obj-$(CONFIG_NET) += net/", or "arch/x86/" from the top).
    while (!dir.empty()) {
        bool found = false;
        std::string ancestor = dir;
        while (!found) {
            auto cut = ancestor.rfind('/');
            ancestor = cut == std::string::npos ? "" : ancestor.substr(0, cut);
            std::string relative = (ancestor.empty() ? dir : dir.substr(ancestor.size() + 1)) + "/";
            const auto& above = rules(ancestor);
            if (auto it = above.items.find(relative); it != above.items.end()) {
                options.insert(it->second.begin(), it->second.end());
                found = true;
            }
            if (ancestor.empty()) break;
        }
        dir = found ? ancestor : "";
    }
    return {options.begin(), options.end()};
}

// ---- CodeMap ------------------------------------------------------------------------

CodeMap CodeMap::from_text(std::string_view system_map, std::string_view nm_lines, KbuildRules rules) {
    CodeMap map(std::move(rules));
    for_each_line(system_map, [&](std::string_view line) {
        auto fields = words(line);
        if (fields.size() < 3 || fields[1].size() != 1) return;
        auto address = parse_hex(fields[0]);
        if (!address) return;
        if (fields[2] == "_sinittext") map.m_init_begin = *address;
        if (fields[2] == "_einittext") map.m_init_end = *address;
        const char type = fields[1][0];
        if (type != 't' && type != 'T' && type != 'w' && type != 'W') return;
        if (!map.m_functions.empty() && map.m_functions.back().address == *address)
            map.m_functions.back().names.emplace_back(fields[2]);
        else
            map.m_functions.push_back(Function{*address, {std::string(fields[2])}});
    });
    std::stable_sort(map.m_functions.begin(), map.m_functions.end(),
                     [](const Function& a, const Function& b) { return a.address < b.address; });
    for_each_line(nm_lines, [&](std::string_view line) {
        // ARCHIVE:MEMBER:ADDRESS TYPE NAME
        auto first = line.find(':');
        if (first == std::string_view::npos) return;
        auto second = line.find(':', first + 1);
        if (second == std::string_view::npos) return;
        std::string member(line.substr(first + 1, second - first - 1));
        auto fields = words(line.substr(second + 1));
        if (fields.size() < 3 || fields[1].size() != 1) return;
        const char type = fields[1][0];
        map.m_object_names.insert(member);
        if (type != 't' && type != 'T' && type != 'w' && type != 'W') return;
        auto& objects = map.m_objects_by_name[std::string(fields[2])];
        if (std::find(objects.begin(), objects.end(), member) == objects.end()) objects.push_back(member);
    });
    return map;
}

Result<CodeMap> CodeMap::load(const fs::path& build_dir, const fs::path& source_root, const Arch& arch) {
    TRY_ASSIGN(auto system_map, read_file(build_dir / "System.map"));
    const std::string srcarch(arch.srcarch);
    // The target's nm: the host's may not know a foreign machine's relocations.
    const std::string_view nm_prefix = toolchain_prefix(arch);
    // vmlinux.a holds every built-in object; lib.a archives hold lib-y objects linked on demand.
    std::vector<std::string> argv = {str(nm_prefix, "nm"), "-A", "--defined-only", "vmlinux.a"};
    for (const std::string& lib : {std::string("lib/lib.a"), str("arch/", srcarch, "/lib/lib.a")})
        if (fs::exists(build_dir / lib)) argv.emplace_back(lib);
    ProcessSpec spec;
    spec.argv = argv;
    spec.cwd = build_dir;
    spec.timeout = std::chrono::minutes(5);
    TRY_ASSIGN(auto nm, run_process(spec));
    if (!nm.success())
        return Error::internal(str("nm over the archives of ", build_dir.string(), " ", nm.describe(), ": ",
                                   join(last_lines(nm.err, 1), "")));
    return from_text(system_map, nm.out, KbuildRules(source_root, srcarch));
}

long CodeMap::function_index(std::uint64_t address) const {
    auto it = std::upper_bound(m_functions.begin(), m_functions.end(), address,
                               [](std::uint64_t a, const Function& f) { return a < f.address; });
    if (it == m_functions.begin()) return -1;
    return long(it - m_functions.begin()) - 1;
}

std::vector<std::string> CodeMap::candidate_objects(std::size_t index) const {
    std::vector<std::string> objects;
    for (const auto& name : m_functions[index].names)
        if (auto it = m_objects_by_name.find(name); it != m_objects_by_name.end())
            for (const auto& object : it->second)
                if (std::find(objects.begin(), objects.end(), object) == objects.end()) objects.push_back(object);
    return objects;
}

const std::vector<std::string>& CodeMap::options_of(const std::string& object) {
    auto cached = m_options_cache.find(object);
    if (cached == m_options_cache.end()) cached = m_options_cache.emplace(object, m_rules.options_for(object)).first;
    return cached->second;
}

const CodeOwner& CodeMap::owner_at(std::size_t index) {
    if (auto it = m_owners.find(index); it != m_owners.end()) return it->second;
    CodeOwner owner;
    owner.function = m_functions[index].names.back();
    auto objects = candidate_objects(index);
    if (objects.size() > 1) {
        // A static name defined in several files: an object's code is contiguous, so the
        // nearest neighbour defined in exactly one of the candidates tells which.
        for (std::size_t distance = 1; distance <= 8 && objects.size() > 1; ++distance) {
            for (long neighbour : {long(index) - long(distance), long(index + distance)}) {
                if (neighbour < 0 || neighbour >= long(m_functions.size())) continue;
                auto around = candidate_objects(std::size_t(neighbour));
                std::vector<std::string> common;
                for (const auto& object : objects)
                    if (std::find(around.begin(), around.end(), object) != around.end()) common.push_back(object);
                if (common.size() == 1) {
                    objects = common;
                    break;
                }
            }
        }
    }
    std::set<std::string> options;
    for (const auto& object : objects) {
        const auto& own = options_of(object);
        options.insert(own.begin(), own.end());
    }
    owner.objects = std::move(objects);
    owner.options.assign(options.begin(), options.end());
    return m_owners.emplace(index, std::move(owner)).first->second;
}

const CodeOwner* CodeMap::owner_of(std::uint64_t address) {
    auto index = function_index(address);
    return index < 0 ? nullptr : &owner_at(std::size_t(index));
}

const CodeOwner* CodeMap::owner_of(const std::string& function) {
    for (std::size_t i = 0; i < m_functions.size(); ++i)
        for (const auto& name : m_functions[i].names)
            if (name == function) return &owner_at(i);
    return nullptr;
}

std::map<std::string, std::vector<std::string>> CodeMap::object_options() {
    std::map<std::string, std::vector<std::string>> all;
    for (const auto& object : m_object_names) all[object] = options_of(object);
    return all;
}

// ---- QEMU in_asm logs -----------------------------------------------------------------

ExecutedCode parse_in_asm(std::string_view text) {
    ExecutedCode code;
    std::vector<std::uint64_t> starts;
    bool block_start = false;
    for_each_line(text, [&](std::string_view line) {
        if (starts_with(line, "IN:")) {
            block_start = true;
            return;
        }
        if (!starts_with(line, "0x")) return;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return;
        auto address = parse_hex(line.substr(0, colon));
        if (!address) return;
        code.addresses.push_back(*address);
        if (block_start) starts.push_back(*address);
        block_start = false;
    });
    std::sort(code.addresses.begin(), code.addresses.end());
    code.addresses.erase(std::unique(code.addresses.begin(), code.addresses.end()), code.addresses.end());
    std::sort(starts.begin(), starts.end());
    code.blocks = std::size_t(std::unique(starts.begin(), starts.end()) - starts.begin());
    return code;
}

Result<ExecutedCode> read_in_asm_log(const fs::path& log) {
    TRY_ASSIGN(auto text, read_file(log));
    return parse_in_asm(text);
}

} // namespace tinyx::pruner
