#include "pruner/kconfig_domain.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>

namespace tinyx::pruner {

namespace {

bool is_symbol_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "CONFIG_X=..." -> X, "# CONFIG_X is not set" -> X, otherwise empty.
std::string line_symbol(std::string_view line) {
    if (starts_with(line, "CONFIG_")) {
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return {};
        return std::string(line.substr(7, eq - 7));
    }
    if (starts_with(line, "# CONFIG_") && ends_with(line, " is not set")) {
        auto rest = line.substr(9);
        return std::string(rest.substr(0, rest.size() - 11));
    }
    return {};
}

} // namespace

std::string normalise_symbol(std::string_view text) {
    auto t = trim(text);
    if (t.empty() || t.front() == '#') return {};
    if (starts_with(t, "CONFIG_")) t.remove_prefix(7);
    std::string out(t);
    if (!std::all_of(out.begin(), out.end(), is_symbol_char)) return {};
    return out;
}

std::map<std::string, std::string> parse_config_values(std::string_view config_text) {
    std::map<std::string, std::string> values;
    for (const auto& line : split_lines(config_text)) {
        if (!starts_with(line, "CONFIG_")) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        values[line.substr(7, eq - 7)] = line.substr(eq + 1);
    }
    return values;
}

ItemSet enabled_symbols(std::string_view config_text) {
    ItemSet enabled;
    for (const auto& [symbol, value] : parse_config_values(config_text))
        if (value == "y" || value == "m") enabled.insert(symbol);
    return enabled;
}

std::vector<std::string> symbols_in_order(std::string_view config_text) {
    std::vector<std::string> order;
    for (const auto& line : split_lines(config_text)) {
        auto symbol = line_symbol(line);
        if (!symbol.empty()) order.push_back(symbol);
    }
    return order;
}

std::string force_off(std::string_view config_text, const std::vector<std::string>& symbols) {
    const ItemSet wanted(symbols.begin(), symbols.end());
    ItemSet pending = wanted;
    std::string out;
    out.reserve(config_text.size() + symbols.size() * 32);
    for (const auto& line : split_lines(config_text)) {
        auto symbol = line_symbol(line);
        if (!symbol.empty() && wanted.count(symbol)) {
            // The first line of the symbol becomes "not set"; later ones go: in a composed
            // config (tinyconfig + a fragment) the fragment's later `=y` would win.
            if (pending.erase(symbol)) out += str("# CONFIG_", symbol, " is not set\n");
        } else {
            out += line;
            out += '\n';
        }
    }
    for (const auto& symbol : symbols)
        if (pending.count(symbol)) out += str("# CONFIG_", symbol, " is not set\n");
    return out;
}

// --- MakeConfigResolver ---------------------------------------------------------

Result<std::unique_ptr<MakeConfigResolver>> MakeConfigResolver::create(const fs::path& kernel_src, const std::string& arch) {
    if (!fs::exists(kernel_src / "Kconfig") || !fs::exists(kernel_src / "Makefile"))
        return Error::bad_input(str("--kernel-src ", kernel_src.string(), ": not a kernel source tree (no Kconfig/Makefile)"));
    if (!find_program("make")) return Error::bad_input("make is not installed (needed to resolve kernel configs)");
    TRY_ASSIGN(auto dir, TempDir::create("tinyx-kconfig-"));
    return std::unique_ptr<MakeConfigResolver>(new MakeConfigResolver(fs::absolute(kernel_src), arch, std::move(dir)));
}

Result<void> MakeConfigResolver::run_make(const std::string& target) {
    ProcessSpec spec;
    spec.argv = {"make", "-s", "-C", m_src.string(), str("O=", m_dir.path().string()), str("ARCH=", m_arch), target};
    spec.err = Output::same_as_stdout();
    spec.timeout = std::chrono::seconds(300);
    TRY_ASSIGN(auto run, run_process(spec));
    if (run.interrupted) return Error::interrupted();
    if (!run.success())
        return Error::internal(str("make ", target, " in ", m_src.string(), " ", run.describe()))
            .with_detail(join(last_lines(run.out, 15), "\n  "));
    return success();
}

Result<std::string> MakeConfigResolver::resolve(std::string_view config_text) {
    TRY(write_file_atomic(m_dir.path() / ".config", config_text));
    TRY(run_make("olddefconfig"));
    return read_file(m_dir.path() / ".config");
}

Result<std::string> MakeConfigResolver::savedefconfig(std::string_view resolved_text) {
    TRY(write_file_atomic(m_dir.path() / ".config", resolved_text));
    TRY(run_make("savedefconfig"));
    return read_file(m_dir.path() / "defconfig");
}

Result<std::string> MakeConfigResolver::allnoconfig() {
    TRY(run_make("allnoconfig"));
    return read_file(m_dir.path() / ".config");
}

std::string MakeConfigResolver::identity() const { return str("make olddefconfig ", m_src.string(), " ", m_arch); }

// --- CachingResolver --------------------------------------------------------------

Result<std::string> CachingResolver::resolve(std::string_view config_text) {
    const std::string key = sha256_hex(str(identity(), "\n", config_text));
    if (auto hit = m_memory.find(key); hit != m_memory.end()) {
        ++m_hits;
        return hit->second;
    }
    if (m_cache_dir) {
        const fs::path file = *m_cache_dir / key;
        std::error_code ec;
        if (fs::exists(file, ec)) {
            if (auto text = read_file(file)) {
                ++m_hits;
                m_memory[key] = *text;
                return std::move(*text);
            }
        }
    }
    ++m_calls;
    const auto start = std::chrono::steady_clock::now();
    TRY_ASSIGN(auto resolved, m_inner->resolve(config_text));
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (m_cache_dir) {
        TRY(make_directories(*m_cache_dir));
        TRY(write_file_atomic(*m_cache_dir / key, resolved));
    }
    m_memory[key] = resolved;
    return resolved;
}

// --- dependency scan -----------------------------------------------------------------

namespace {

std::vector<std::string> expression_symbols(std::string_view expr) {
    std::vector<std::string> out;
    std::string current;
    auto flush = [&] {
        // Symbols are upper-case identifiers; y/m/n and quoted strings are not.
        if (!current.empty() && std::isupper(static_cast<unsigned char>(current[0])) && current != "y" && current != "m" && current != "n")
            out.push_back(current);
        current.clear();
    };
    bool in_quote = false;
    for (char c : expr) {
        if (c == '"') in_quote = !in_quote;
        if (!in_quote && is_symbol_char(c)) current += c;
        else flush();
    }
    flush();
    return out;
}

void scan_file(const fs::path& file, KconfigDependencies& deps) {
    auto text = read_file(file);
    if (!text) return;
    std::vector<std::vector<std::string>> if_stack;
    std::string current;
    bool in_help = false;
    std::string pending; // a line continued with a backslash
    for (auto raw : split_lines(*text)) {
        if (!raw.empty() && raw.back() == '\\') {
            pending += raw.substr(0, raw.size() - 1);
            continue;
        }
        std::string line = pending + raw;
        pending.clear();
        const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        auto t = std::string(trim(line));
        if (in_help) {
            if (t.empty() || indented) continue;
            in_help = false;
        }
        if (t.empty() || t[0] == '#') continue;
        auto word_end = t.find_first_of(" \t");
        std::string keyword = t.substr(0, word_end);
        std::string rest = word_end == std::string::npos ? "" : std::string(trim(std::string_view(t).substr(word_end)));
        if (keyword == "config" || keyword == "menuconfig") {
            current = rest;
            for (const auto& level : if_stack)
                for (const auto& s : level) deps.parents[current].insert(s);
        } else if (keyword == "if") {
            if_stack.push_back(expression_symbols(rest));
        } else if (keyword == "endif") {
            if (!if_stack.empty()) if_stack.pop_back();
        } else if (keyword == "help" || keyword == "---help---") {
            in_help = true;
        } else if (keyword == "depends" && starts_with(rest, "on") && !current.empty()) {
            for (const auto& s : expression_symbols(rest.substr(2))) deps.parents[current].insert(s);
        } else if (keyword == "select" && !current.empty()) {
            auto selected = expression_symbols(rest.substr(0, rest.find(" if ")));
            if (!selected.empty()) deps.parents[selected.front()].insert(current);
        } else if (keyword == "menu" || keyword == "choice" || keyword == "endmenu" || keyword == "endchoice" ||
                   keyword == "comment" || keyword == "source" || keyword == "mainmenu") {
            current.clear();
        }
    }
}

} // namespace

Result<KconfigDependencies> scan_kconfig_dependencies(const fs::path& kernel_src, const std::string& arch) {
    const std::string srcarch = (arch == "x86_64" || arch == "i386") ? "x86" : arch;
    KconfigDependencies deps;
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(kernel_src, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const auto& path = it->path();
        if (it->is_directory(ec)) {
            // Other architectures' Kconfig files would add dependencies that do not exist here.
            auto rel = path.lexically_relative(kernel_src);
            auto first = rel.begin();
            if (first != rel.end() && *first == "arch" && std::distance(rel.begin(), rel.end()) == 2 && rel.filename() != srcarch)
                it.disable_recursion_pending();
            if (path.filename() == "Documentation" || path.filename() == "tools" || path.filename().string().front() == '.')
                it.disable_recursion_pending();
            continue;
        }
        if (starts_with(path.filename().string(), "Kconfig")) files.push_back(path);
    }
    if (ec) return Error::internal(str("scanning Kconfig files under ", kernel_src.string(), ": ", ec.message()));
    std::sort(files.begin(), files.end());
    for (const auto& file : files) scan_file(file, deps);
    return deps;
}

std::vector<std::string> ktest_order(const ItemSet& candidates, const KconfigDependencies& deps) {
    std::map<std::string, int> depended_upon;
    for (const auto& [symbol, parents] : deps.parents)
        for (const auto& parent : parents) ++depended_upon[parent];
    std::vector<std::string> by_count(candidates.begin(), candidates.end());
    std::stable_sort(by_count.begin(), by_count.end(), [&](const std::string& a, const std::string& b) {
        return depended_upon[a] > depended_upon[b];
    });
    std::vector<std::string> order;
    ItemSet visited;
    std::function<void(const std::string&)> visit = [&](const std::string& symbol) {
        if (!visited.insert(symbol).second) return;
        if (auto it = deps.parents.find(symbol); it != deps.parents.end())
            for (const auto& parent : it->second)
                if (candidates.count(parent)) visit(parent);
        order.push_back(symbol);
    };
    for (const auto& symbol : by_count) visit(symbol);
    return order;
}

// --- KconfigDomain ---------------------------------------------------------------------

KconfigDomain::KconfigDomain(ConfigResolver& resolver, KconfigDependencies deps, std::string menu_order_config)
    : m_resolver(resolver), m_deps(std::move(deps)) {
    for (const auto& symbol : symbols_in_order(menu_order_config)) m_position.emplace(symbol, m_position.size());
}

State KconfigDomain::make_state(std::string text, const ItemSet& candidates) {
    State state;
    state.hash = sha256_hex(text);
    for (const auto& symbol : enabled_symbols(text))
        if (candidates.count(symbol)) state.present.insert(symbol);
    state.text = std::move(text);
    return state;
}

Result<State> KconfigDomain::remove(const State& base, const std::vector<Item>& items) {
    if (m_inputs.empty()) {
        TRY_ASSIGN(auto resolved, m_resolver.resolve(force_off(base.text, items)));
        return make_state(std::move(resolved), m_candidates);
    }
    std::set<std::string> off(items.begin(), items.end());
    for (const auto& candidate : m_candidates)
        if (!base.present.count(candidate)) off.insert(candidate);
    TRY_ASSIGN(auto resolved, m_resolver.resolve(force_off(m_inputs, {off.begin(), off.end()})));
    return make_state(std::move(resolved), m_candidates);
}

std::vector<Item> KconfigDomain::sequential_order(const ItemSet& candidates) { return ktest_order(candidates, m_deps); }

std::vector<Item> KconfigDomain::grouping_order(const ItemSet& candidates) {
    std::vector<Item> order(candidates.begin(), candidates.end());
    const auto last = m_position.size();
    std::stable_sort(order.begin(), order.end(), [&](const Item& a, const Item& b) {
        auto pa = m_position.count(a) ? m_position.at(a) : last;
        auto pb = m_position.count(b) ? m_position.at(b) : last;
        return pa > pb; // reverse menu order: a menu's options follow it in .config
    });
    return order;
}

} // namespace tinyx::pruner
