// Kconfig lexer, macro preprocessor and parser, and the dependency propagation the kernel does
// after parsing (menu_finalize). Lexing follows scripts/kconfig/lexer.l's rules (keywords only as
// whole words, `$(...)` expanded while tokenizing, help text ended by indentation), because the
// macro language is expanded in file order while parsing.
#include "parser.hpp"

#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace tinyx::kconfig::detail {

// ---------------------------------------------------------------- model basics

Model::Model() {
    // Sized for a whole kernel tree (6.1 x86: ~17k symbols, ~110k expressions, ~32k properties,
    // ~18k menu nodes): growing these vectors step by step moved every element many times and
    // touched fresh pages at each step, a large part of the load time. Unused capacity costs no
    // memory until it is touched.
    symbols.reserve(24 * 1024);
    exprs.reserve(160 * 1024);
    props.reserve(48 * 1024);
    menus.reserve(24 * 1024);
    by_name.reserve(24 * 1024, symbols);
    for (const char* name : {"n", "m", "y"}) {
        Symbol s;
        s.name = name;
        s.type = SymType::tristate;
        s.flags = F_CONST | F_VALID;
        s.cur_str = name;
        symbols.push_back(std::move(s));
    }
    symbols[0].cur_tri = no;
    symbols[1].cur_tri = mod;
    symbols[2].cur_tri = yes;
    menus.emplace_back(); // root
}

int Model::new_symbol(std::string name, uint32_t flags) {
    Symbol& s = symbols.emplace_back();
    s.name = std::move(name);
    s.flags = flags;
    return int(symbols.size()) - 1;
}

int Model::lookup(std::string_view name, uint32_t flags) {
    if (name == "n") return 0;
    if (name == "m") return 1;
    if (name == "y") return 2;
    auto& table = (flags & F_CONST) ? const_by_name : (flags & F_CHOICE) ? choice_by_name : by_name;
    if (!name.empty()) {
        int found = table.find(name, symbols);
        if (found >= 0) return found;
    }
    int index = new_symbol(std::string(name), flags);
    if (!name.empty()) table.insert(index, symbols);
    return index;
}

int Model::find(std::string_view name) const {
    if (name == "n") return 0;
    if (name == "m") return 1;
    if (name == "y") return 2;
    return by_name.find(name, symbols);
}

namespace {
std::size_t name_hash(std::string_view name) { return std::hash<std::string_view>{}(name); }
} // namespace

int SymbolTable::find(std::string_view name, const std::vector<Symbol>& symbols) const {
    if (m_slots.empty()) return -1;
    std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        int index = m_slots[i];
        if (index < 0) return -1;
        if (symbols[index].name == name) return index;
    }
}

void SymbolTable::insert(int index, const std::vector<Symbol>& symbols) {
    if (2 * (m_count + 1) > m_slots.size()) reserve(m_count + 1 > 1024 ? 2 * (m_count + 1) : 1024, symbols);
    std::size_t mask = m_slots.size() - 1;
    std::size_t i = name_hash(symbols[index].name) & mask;
    while (m_slots[i] >= 0) i = (i + 1) & mask;
    m_slots[i] = index;
    m_count++;
}

void SymbolTable::reserve(std::size_t count, const std::vector<Symbol>& symbols) {
    std::size_t size = 16;
    while (size < 2 * count) size *= 2;
    if (size <= m_slots.size()) return;
    std::vector<int> old = std::move(m_slots);
    m_slots.assign(size, -1);
    m_count = 0;
    for (int index : old)
        if (index >= 0) insert(index, symbols);
}

namespace {

// The kernel lexer's word characters, [A-Za-z0-9_-] (ASCII whatever the locale).
constexpr bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The whole file, read with one read() sized by fstat (a tree has ~1500 Kconfig files); a file
// without a size (a pipe) is read until EOF.
std::optional<std::string> read_whole_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    std::string content(sized ? std::size_t(st.st_size) : 4096, '\0');
    std::size_t used = 0;
    bool ok = true;
    while (!sized || used < content.size()) {
        if (used == content.size()) content.resize(content.size() * 2);
        ssize_t n = ::read(fd, content.data() + used, content.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        used += std::size_t(n);
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    content.resize(used);
    return content;
}

struct SyntaxError {
    std::string file;
    int line;
    std::string message;
};

// ---------------------------------------------------------------- shell cache

// $(shell,...) results depend on the toolchain and the tree; the cache key fingerprints both
// without running anything (paths, sizes and mtimes), so a warm load spawns no process at all.
class ShellRunner {
  public:
    ShellRunner(const std::map<std::string, std::string>& env, const fs::path& srctree, bool use_cache)
        : m_env(env), m_use_cache(use_cache) {
        if (!use_cache) return;
        std::string fingerprint = "v1\n" + srctree.string() + "\n";
        for (const char* var : {"CC", "LD", "ARCH"}) {
            auto it = env.find(var);
            std::string value = it == env.end() ? "" : it->second;
            fingerprint += std::string(var) + "=" + value + "\n";
            if (auto path = find_program(value)) {
                std::error_code ec;
                fs::path real = fs::canonical(*path, ec);
                struct stat st {};
                if (!ec && ::stat(real.c_str(), &st) == 0)
                    fingerprint += str(real.string(), " ", st.st_size, " ", st.st_mtim.tv_sec, "\n");
            }
        }
        // No cache directory: every $(shell ...) runs, nothing is remembered.
        if (auto cache = cache_dir()) m_cache_file = *cache / "kconfig-shell" / (sha256_hex(fingerprint).substr(0, 32) + ".json");
        auto json = read_json_file(m_cache_file);
        if (json && json->is_object()) {
            for (auto it = json->begin(); it != json->end(); ++it)
                if (it.value().is_string()) m_results[it.key()] = it.value().get<std::string>();
        }
    }

    std::string run(const std::string& command) {
        auto it = m_results.find(command);
        if (it != m_results.end()) return it->second;
        if (!m_workdir) {
            auto dir = TempDir::create("tinyx-kconfig-shell-");
            if (!dir) throw SyntaxError{"", 0, dir.error().message};
            m_workdir.emplace(std::move(*dir));
        }
        ProcessSpec spec = ProcessSpec::shell(command);
        spec.cwd = m_workdir->path(); // cc-option creates .tmp_$$ in the current directory
        spec.env_set = m_env;
        spec.err = Output::inherit();
        auto result = run_process(spec);
        std::string out = result ? result->out : std::string();
        // What the kernel's do_shell keeps: 4095 bytes, trailing newlines dropped, others -> spaces.
        if (out.size() >= 4096) out.resize(4095);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        for (char& c : out)
            if (c == '\n') c = ' ';
        m_results[command] = out;
        m_dirty = true;
        return out;
    }

    void save() {
        if (!m_use_cache || !m_dirty || m_cache_file.empty()) return;
        Json json = Json::object();
        for (const auto& [cmd, out] : m_results) json[cmd] = out;
        if (!make_directories(m_cache_file.parent_path())) return;
        auto written = write_json_file(m_cache_file, json);
        if (!written) log::verbose(str("could not save the shell cache: ", written.error().message));
    }

  private:
    std::map<std::string, std::string> m_env;
    bool m_use_cache;
    fs::path m_cache_file;
    std::map<std::string, std::string> m_results;
    bool m_dirty = false;
    std::optional<TempDir> m_workdir;
};

// ---------------------------------------------------------------- macro language

class Preprocessor {
  public:
    Preprocessor(std::map<std::string, std::string> env, ShellRunner& shell) : m_env(std::move(env)), m_shell(shell) {}

    std::string current_file;
    int current_line = 0;

    enum class Flavor { recursive, simple, append };

    void assign(const std::string& name, const std::string& value, Flavor flavor) {
        auto it = m_vars.find(name);
        bool append = false;
        if (it != m_vars.end()) {
            if (flavor == Flavor::append) {
                flavor = it->second.flavor;
                append = true;
            }
        } else {
            if (flavor == Flavor::append) flavor = Flavor::recursive;
            it = m_vars.emplace(name, Variable{}).first;
        }
        std::string new_value = flavor == Flavor::simple ? expand_string(value, {}) : value;
        it->second.flavor = flavor;
        it->second.value = append ? it->second.value + " " + new_value : new_value;
    }

    // Expand `$(...)` references in the whole string.
    std::string expand_string(std::string_view in, const std::vector<std::string>& args) {
        std::size_t pos = 0;
        return expand_until(in, pos, args, false);
    }

    // Expand one token starting at `pos` (stops at a character that cannot be in a word).
    std::string expand_token(std::string_view in, std::size_t& pos) { return expand_until(in, pos, {}, true); }

    // `in[pos]` is just after a '$': expand the reference and advance pos past it.
    std::string expand_dollar(std::string_view in, std::size_t& pos, const std::vector<std::string>& args) {
        if (pos >= in.size() || in[pos] != '(') return "$";
        std::size_t start = pos + 1, q = start;
        int nest = 0;
        while (q < in.size()) {
            if (in[q] == '(') nest++;
            else if (in[q] == ')') {
                if (nest-- == 0) break;
            }
            q++;
        }
        if (q >= in.size()) fail(str("unterminated reference to '", in.substr(start), "': missing ')'"));
        pos = q + 1;
        return eval_clause(in.substr(start, q - start), args);
    }

    [[noreturn]] void fail(const std::string& message) { throw SyntaxError{current_file, current_line, message}; }

  private:
    struct Variable {
        std::string value;
        Flavor flavor = Flavor::recursive;
        int expanding = 0;
    };

    std::string expand_until(std::string_view in, std::size_t& pos, const std::vector<std::string>& args, bool token) {
        std::string out;
        while (pos < in.size()) {
            char c = in[pos];
            if (c == '$') {
                pos++;
                out += expand_dollar(in, pos, args);
                continue;
            }
            if (token && !is_word_char(c)) break;
            out += c;
            pos++;
        }
        return out;
    }

    std::string eval_clause(std::string_view clause, const std::vector<std::string>& args) {
        // $(1), $(2): arguments of a user function.
        if (!clause.empty() && std::all_of(clause.begin(), clause.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            unsigned long n = std::strtoul(std::string(clause).c_str(), nullptr, 10);
            if (n > 0 && n <= args.size()) return args[n - 1];
        }
        std::vector<std::string_view> raw;
        int nest = 0;
        std::size_t prev = 0;
        for (std::size_t i = 0; i < clause.size(); i++) {
            char c = clause[i];
            if (nest == 0 && c == ',') {
                raw.push_back(clause.substr(prev, i - prev));
                prev = i + 1;
            } else if (c == '(') nest++;
            else if (c == ')') nest--;
        }
        raw.push_back(clause.substr(prev));
        if (raw.size() > 16) fail("too many function arguments");
        std::string name = expand_string(raw[0], args);
        std::vector<std::string> fargs;
        for (std::size_t i = 1; i < raw.size(); i++) fargs.push_back(expand_string(raw[i], args));

        auto var = m_vars.find(name);
        if (var != m_vars.end()) {
            Variable& v = var->second;
            if (fargs.empty() && v.expanding) fail(str("Recursive variable '", name, "' references itself (eventually)"));
            if (v.expanding > 1000) fail("Too deep recursive expansion");
            v.expanding++;
            std::string value = v.value; // copy: the expansion may reassign it
            std::string res = v.flavor == Flavor::recursive ? expand_string(value, fargs) : value;
            m_vars[name].expanding--;
            return res;
        }
        if (auto res = call_function(name, fargs)) return *res;
        if (fargs.empty() && !name.empty()) {
            auto it = m_env.find(name);
            if (it != m_env.end()) return it->second;
            if (const char* value = std::getenv(name.c_str())) return value;
        }
        return "";
    }

    std::optional<std::string> call_function(const std::string& name, const std::vector<std::string>& args) {
        struct Fn {
            const char* name;
            std::size_t min, max;
        };
        static const Fn table[] = {{"error-if", 2, 2}, {"filename", 0, 0}, {"info", 1, 1},
                                   {"lineno", 0, 0},   {"shell", 1, 1},    {"warning-if", 2, 2}};
        for (const auto& fn : table) {
            if (name != fn.name) continue;
            if (args.size() < fn.min) fail(str("too few function arguments passed to '", name, "'"));
            if (args.size() > fn.max) fail(str("too many function arguments passed to '", name, "'"));
            if (name == "error-if") {
                if (args[0] == "y") fail(args[1]);
                return "";
            }
            if (name == "filename") return current_file;
            if (name == "lineno") return std::to_string(current_line);
            if (name == "info") {
                log::info(args[0]);
                return "";
            }
            if (name == "warning-if") {
                if (args[0] == "y") log::warn(str(current_file, ":", current_line, ": ", args[1]));
                return "";
            }
            return m_shell.run(args[0]);
        }
        return std::nullopt;
    }

    std::map<std::string, std::string> m_env;
    ShellRunner& m_shell;
    std::map<std::string, Variable> m_vars;
};

// ---------------------------------------------------------------- lexer

enum class Tok {
    end, eol, word, word_quote, assign_val, help_text,
    kw_bool, kw_choice, kw_comment, kw_config, kw_def_bool, kw_def_tristate, kw_default, kw_depends,
    kw_endchoice, kw_endif, kw_endmenu, kw_help, kw_hex, kw_if, kw_imply, kw_int, kw_mainmenu, kw_menu,
    kw_menuconfig, kw_modules, kw_on, kw_optional, kw_prompt, kw_range, kw_select, kw_source, kw_string,
    kw_tristate, kw_visible,
    op_or, op_and, op_equal, op_unequal, op_less, op_less_equal, op_greater, op_greater_equal, op_not,
    open_paren, close_paren, colon_equal, plus_equal,
};

struct Token {
    Tok kind = Tok::end;
    std::string text;
    int file = -1;
    int line = 0;
};

const std::unordered_map<std::string_view, Tok>& keywords() {
    static const std::unordered_map<std::string_view, Tok> table = {
        {"bool", Tok::kw_bool}, {"choice", Tok::kw_choice}, {"comment", Tok::kw_comment},
        {"config", Tok::kw_config}, {"def_bool", Tok::kw_def_bool}, {"def_tristate", Tok::kw_def_tristate},
        {"default", Tok::kw_default}, {"depends", Tok::kw_depends}, {"endchoice", Tok::kw_endchoice},
        {"endif", Tok::kw_endif}, {"endmenu", Tok::kw_endmenu}, {"help", Tok::kw_help}, {"hex", Tok::kw_hex},
        {"if", Tok::kw_if}, {"imply", Tok::kw_imply}, {"int", Tok::kw_int}, {"mainmenu", Tok::kw_mainmenu},
        {"menu", Tok::kw_menu}, {"menuconfig", Tok::kw_menuconfig}, {"modules", Tok::kw_modules},
        {"on", Tok::kw_on}, {"optional", Tok::kw_optional}, {"prompt", Tok::kw_prompt},
        {"range", Tok::kw_range}, {"select", Tok::kw_select}, {"source", Tok::kw_source},
        {"string", Tok::kw_string}, {"tristate", Tok::kw_tristate}, {"visible", Tok::kw_visible},
    };
    return table;
}

class Lexer {
  public:
    Lexer(Model& model, Preprocessor& pp, fs::path srctree) : m_model(model), m_pp(pp), m_srctree(std::move(srctree)) {}

    void push_file(const std::string& name, int from_file, int from_line) {
        fs::path path = name;
        if (path.is_relative()) path = m_srctree / path;
        auto content = read_whole_file(path);
        if (!content) {
            if (from_file < 0) throw SyntaxError{name, 0, str("can't find file ", name)};
            throw SyntaxError{m_model.files[from_file], from_line, str("can't open file \"", name, "\"")};
        }
        for (const auto& f : m_stack)
            if (m_model.files[f.file] == name)
                throw SyntaxError{m_model.files[from_file], from_line, str("recursive inclusion of ", name)};
        m_model.files.push_back(name);
        m_stack.push_back(Buffer{std::move(*content), 0, 1, int(m_model.files.size()) - 1});
        sync_pp();
    }

    Token next() {
        Token t = lex();
        // A statement "WORD = value": the value is raw text up to the end of the line.
        if (m_prev_prev == Tok::eol && m_prev == Tok::word &&
            (t.kind == Tok::op_equal || t.kind == Tok::colon_equal || t.kind == Tok::plus_equal))
            m_assign_val = true;
        m_prev_prev = m_prev;
        m_prev = t.kind;
        return t;
    }

    // Called by the parser after "help" EOL: skip the indented block that follows (nothing reads
    // help texts, so they are not kept).
    void skip_help() {
        Buffer& b = m_stack.back();
        int first_ts = 0;
        while (b.pos < b.data.size()) {
            std::size_t line_start = b.pos, p = b.pos;
            int ts = 0;
            while (p < b.data.size() && (b.data[p] == ' ' || b.data[p] == '\t')) {
                ts = b.data[p] == '\t' ? (ts & ~7) + 8 : ts + 1;
                p++;
            }
            std::size_t eol = b.data.find('\n', p);
            if (eol == std::string::npos) eol = b.data.size();
            bool blank = p == eol;
            if (!blank) {
                if (ts == 0 || (first_ts && ts < first_ts)) {
                    b.pos = line_start;
                    break;
                }
                if (!first_ts) first_ts = ts;
            }
            b.pos = eol < b.data.size() ? eol + 1 : eol;
            if (eol < b.data.size()) b.line++;
        }
        m_prev_prev = m_prev;
        m_prev = Tok::help_text;
    }

    int file() const { return m_stack.empty() ? -1 : m_stack.back().file; }
    int line() const { return m_stack.empty() ? 0 : m_stack.back().line; }

  private:
    struct Buffer {
        std::string data;
        std::size_t pos = 0;
        int line = 1;
        int file = -1;
    };

    void sync_pp() {
        if (m_stack.empty()) return;
        // Called for every token: copy the name only when the file changed.
        if (m_pp_file != m_stack.back().file) {
            m_pp_file = m_stack.back().file;
            m_pp.current_file = m_model.files[m_pp_file];
        }
        m_pp.current_line = m_stack.back().line;
    }


    std::string_view rest_of_line(const Buffer& b) const {
        std::size_t eol = b.data.find('\n', b.pos);
        if (eol == std::string::npos) eol = b.data.size();
        return std::string_view(b.data).substr(b.pos, eol - b.pos);
    }

    Token make(Tok kind, std::string text = {}) {
        return Token{kind, std::move(text), m_stack.empty() ? -1 : m_stack.back().file, m_stack.empty() ? 0 : m_stack.back().line};
    }

    Token lex() {
        while (true) {
            if (m_stack.empty()) return make(Tok::end);
            Buffer& b = m_stack.back();
            sync_pp();
            if (m_assign_val) {
                m_assign_val = false;
                while (b.pos < b.data.size() && (b.data[b.pos] == ' ' || b.data[b.pos] == '\t')) b.pos++;
                std::string_view rest = rest_of_line(b);
                if (!rest.empty()) {
                    b.pos += rest.size();
                    return make(Tok::assign_val, std::string(rest));
                }
            }
            if (b.pos >= b.data.size()) {
                int file = b.file, line = b.line;
                m_stack.pop_back();
                if (m_stack.empty()) return make(Tok::end);
                return Token{Tok::eol, "", file, line};
            }
            char c = b.data[b.pos];
            char n = b.pos + 1 < b.data.size() ? b.data[b.pos + 1] : '\0';
            if (c == '#') {
                b.pos += rest_of_line(b).size();
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                b.pos++;
                continue;
            }
            if (c == '\\' && n == '\n') {
                b.pos += 2;
                b.line++;
                continue;
            }
            if (c == '\n') {
                Token t = make(Tok::eol);
                b.pos++;
                b.line++;
                return t;
            }
            if (c == '"' || c == '\'') return lex_string(b, c);
            if (is_word_char(c) || c == '$') {
                std::size_t end = b.pos;
                bool has_dollar = false;
                while (end < b.data.size() && (is_word_char(b.data[end]) || b.data[end] == '$')) {
                    has_dollar |= b.data[end] == '$';
                    end++;
                }
                if (!has_dollar) {
                    std::string_view word(b.data.data() + b.pos, end - b.pos);
                    b.pos = end;
                    // Keywords are lower case; symbol names (most words) almost never start so.
                    if (word[0] >= 'a' && word[0] <= 'z') {
                        auto kw = keywords().find(word);
                        if (kw != keywords().end()) return make(kw->second);
                    }
                    return make(Tok::word, std::string(word));
                }
                std::string_view line = rest_of_line(b);
                std::size_t used = 0;
                Token t = make(Tok::word);
                t.text = m_pp.expand_token(line, used);
                b.pos += used;
                if (t.text.empty()) continue;
                return t;
            }
            auto two = [&](char second) { return n == second; };
            Tok op;
            int len = 1;
            switch (c) {
            case '|': if (!two('|')) goto ignored; op = Tok::op_or; len = 2; break;
            case '&': if (!two('&')) goto ignored; op = Tok::op_and; len = 2; break;
            case '=': op = Tok::op_equal; break;
            case '!': if (two('=')) { op = Tok::op_unequal; len = 2; } else op = Tok::op_not; break;
            case '<': if (two('=')) { op = Tok::op_less_equal; len = 2; } else op = Tok::op_less; break;
            case '>': if (two('=')) { op = Tok::op_greater_equal; len = 2; } else op = Tok::op_greater; break;
            case '(': op = Tok::open_paren; break;
            case ')': op = Tok::close_paren; break;
            case ':': if (!two('=')) goto ignored; op = Tok::colon_equal; len = 2; break;
            case '+': if (!two('=')) goto ignored; op = Tok::plus_equal; len = 2; break;
            default: goto ignored;
            }
            {
                Token t = make(op);
                b.pos += std::size_t(len);
                return t;
            }
        ignored:
            log::verbose(str(m_model.files[b.file], ":", b.line, ":warning: ignoring unsupported character '", c, "'"));
            b.pos++;
        }
    }

    Token lex_string(Buffer& b, char quote) {
        Token t = make(Tok::word_quote);
        b.pos++;
        while (b.pos < b.data.size()) {
            char c = b.data[b.pos];
            if (c == '\n') {
                log::warn(str(m_model.files[b.file], ":", b.line, ":warning: multi-line strings not supported"));
                return t;
            }
            if (c == '$') {
                std::string_view line = rest_of_line(b);
                std::size_t used = 1;
                t.text += m_pp.expand_dollar(line, used, {});
                b.pos += used;
                continue;
            }
            if (c == '\\') {
                if (b.pos + 1 < b.data.size() && b.data[b.pos + 1] != '\n') {
                    t.text += b.data[b.pos + 1];
                    b.pos += 2;
                } else {
                    b.pos++;
                }
                continue;
            }
            b.pos++;
            if (c == quote) return t;
            t.text += c;
        }
        return t;
    }

    Model& m_model;
    Preprocessor& m_pp;
    fs::path m_srctree;
    std::vector<Buffer> m_stack;
    Tok m_prev = Tok::eol, m_prev_prev = Tok::eol;
    bool m_assign_val = false;
    int m_pp_file = -1; // the file m_pp.current_file names
};

// ---------------------------------------------------------------- parser

class Parser {
  public:
    Parser(Model& model, Lexer& lexer, Preprocessor& pp) : m(model), m_lex(lexer), m_pp(pp) {
        m_current_menu = 0;
        m_current_entry = 0;
        m_slot_node = 0;
        m_slot_is_child = true;
    }

    void parse() {
        skip_eols();
        if (peek().kind == Tok::kw_mainmenu) {
            next();
            Token text = expect(Tok::word_quote, "a quoted prompt after 'mainmenu'");
            expect(Tok::eol, "end of line");
            add_prompt(PropType::menu_prompt, text.text, -1);
        }
        parse_stmt_list(Block::top);
        if (m.menus[0].prompt < 0) {
            m_current_entry = 0;
            add_prompt(PropType::menu_prompt, "Main menu", -1);
        }
    }

  private:
    enum class Block { top, menu, if_block, choice, if_in_choice };

    // -- tokens
    const Token& peek() {
        if (!m_has_peek) {
            m_peek = m_lex.next();
            m_has_peek = true;
        }
        return m_peek;
    }
    Token next() {
        peek();
        m_has_peek = false;
        return std::move(m_peek);
    }
    void skip_eols() {
        while (peek().kind == Tok::eol) next();
    }
    [[noreturn]] void error_at(const Token& t, const std::string& message) {
        std::string file = t.file >= 0 ? m.files[t.file] : "<none>";
        throw SyntaxError{file, t.line, message};
    }
    Token expect(Tok kind, const char* what) {
        if (peek().kind != kind) error_at(peek(), str("syntax error: expected ", what, describe_found(peek())));
        return next();
    }
    static std::string describe_found(const Token& t) {
        switch (t.kind) {
        case Tok::eol: return ", found end of line";
        case Tok::end: return ", found end of input";
        case Tok::word:
        case Tok::word_quote: return str(", found '", t.text, "'");
        default: return "";
        }
    }

    // -- menu tree (menu_add_entry & co.)
    int add_entry(int sym, const Token& at) {
        MenuNode node;
        node.sym = sym;
        node.parent = m_current_menu;
        node.file = at.file;
        node.line = at.line;
        m.menus.push_back(std::move(node));
        int index = int(m.menus.size()) - 1;
        (m_slot_is_child ? m.menus[m_slot_node].first_child : m.menus[m_slot_node].next) = index;
        m_slot_node = index;
        m_slot_is_child = false;
        m_current_entry = index;
        if (sym >= 0) m.symbols[sym].menus.push_back(index);
        return index;
    }
    void enter_menu() {
        m_slot_node = m_current_entry;
        m_slot_is_child = true;
        m_current_menu = m_current_entry;
    }
    void leave_menu() {
        m_slot_node = m_current_menu;
        m_slot_is_child = false;
        m_current_menu = m.menus[m_current_menu].parent;
    }
    int add_prop(PropType type, int expr, int visible) {
        Property p;
        p.type = type;
        p.expr = expr;
        p.visible = visible;
        p.menu = m_current_entry;
        p.file = m_lex.file();
        p.line = m_stmt_line;
        m.props.push_back(std::move(p));
        int index = int(m.props.size()) - 1;
        int sym = m.menus[m_current_entry].sym;
        if (sym >= 0) m.symbols[sym].props.push_back(index);
        return index;
    }
    void add_prompt(PropType type, std::string text, int visible) {
        std::size_t start = 0;
        while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) start++;
        int prop = add_prop(type, -1, visible);
        if (type == PropType::prompt) {
            // Enclosing menus' "visible if" limit the prompt.
            for (int menu = m.menus[m_current_entry].parent; menu >= 0; menu = m.menus[menu].parent)
                if (m.menus[menu].visibility >= 0) m.props[prop].visible = m.expr_and(m.props[prop].visible, m.menus[menu].visibility);
        }
        m.props[prop].text = text.substr(start);
        m.menus[m_current_entry].prompt = prop;
    }
    void add_dep(int expr) {
        auto& node = m.menus[m_current_entry];
        node.dep = m.expr_and(node.dep, expr);
    }
    void set_type(SymType type) {
        int sym = m.menus[m_current_entry].sym;
        auto& s = m.symbols[sym];
        if (s.type == type) return;
        if (s.type == SymType::unknown) {
            s.type = type;
            return;
        }
        log::verbose(str(m.files[m_lex.file()], ":", m_stmt_line, ":warning: ignoring type redefinition of '", s.name, "'"));
    }

    // -- expressions
    int parse_symbol() {
        const Token& t = peek();
        if (t.kind == Tok::word) return m.lookup(next().text, 0);
        if (t.kind == Tok::word_quote) return m.lookup(next().text, F_CONST);
        error_at(t, str("syntax error: expected a symbol", describe_found(t)));
    }
    int parse_nonconst_symbol() {
        Token t = expect(Tok::word, "a symbol name");
        return m.lookup(t.text, 0);
    }
    int parse_primary() {
        const Token& t = peek();
        if (t.kind == Tok::open_paren) {
            next();
            int e = parse_expr();
            expect(Tok::close_paren, "')'");
            return e;
        }
        if (t.kind == Tok::op_not) {
            next();
            return m.add_expr(ExprType::op_not, parse_primary());
        }
        int left = parse_symbol();
        ExprType type;
        switch (peek().kind) {
        case Tok::op_equal: type = ExprType::equal; break;
        case Tok::op_unequal: type = ExprType::unequal; break;
        case Tok::op_less: type = ExprType::less; break;
        case Tok::op_less_equal: type = ExprType::less_equal; break;
        case Tok::op_greater: type = ExprType::greater; break;
        case Tok::op_greater_equal: type = ExprType::greater_equal; break;
        default: return m.sym_expr(left);
        }
        next();
        int right = parse_symbol();
        return m.add_expr(type, left, right);
    }
    int parse_and() {
        int e = parse_primary();
        while (peek().kind == Tok::op_and) {
            next();
            e = m.add_expr(ExprType::op_and, e, parse_primary());
        }
        return e;
    }
    int parse_expr() {
        int e = parse_and();
        while (peek().kind == Tok::op_or) {
            next();
            e = m.add_expr(ExprType::op_or, e, parse_and());
        }
        return e;
    }
    int parse_if_expr() {
        if (peek().kind != Tok::kw_if) return -1;
        next();
        return parse_expr();
    }
    void end_of_line() { expect(Tok::eol, "end of line"); }

    // -- statements
    void start_statement() {
        skip_eols();
        m_stmt_line = peek().line;
    }

    void parse_stmt_list(Block block) {
        while (true) {
            start_statement();
            const Token& t = peek();
            bool in_choice = block == Block::choice || block == Block::if_in_choice;
            switch (t.kind) {
            case Tok::end:
                if (block != Block::top) error_at(t, str("unexpected end of file: missing ", block_end_name(block)));
                return;
            case Tok::kw_endmenu:
            case Tok::kw_endchoice:
            case Tok::kw_endif: {
                Tok want = block == Block::menu ? Tok::kw_endmenu : block == Block::choice ? Tok::kw_endchoice
                         : (block == Block::if_block || block == Block::if_in_choice) ? Tok::kw_endif : Tok::end;
                if (t.kind != want) error_at(t, str("unexpected '", token_name(t.kind), "'", block == Block::top ? "" : str(" (expected ", block_end_name(block), ")")));
                next();
                end_of_line();
                return;
            }
            case Tok::kw_config: parse_config(false); break;
            case Tok::kw_menuconfig:
                if (in_choice) error_at(t, "invalid statement: 'menuconfig' inside a choice");
                parse_config(true);
                break;
            case Tok::kw_comment: parse_comment(); break;
            case Tok::kw_if: parse_if(in_choice); break;
            case Tok::kw_choice:
                if (in_choice) error_at(t, "invalid statement: nested 'choice'");
                parse_choice();
                break;
            case Tok::kw_menu:
                if (in_choice) error_at(t, "invalid statement: 'menu' inside a choice");
                parse_menu();
                break;
            case Tok::kw_source:
                if (in_choice) error_at(t, "invalid statement: 'source' inside a choice");
                parse_source();
                break;
            case Tok::word:
                if (!in_choice) {
                    parse_assignment();
                    break;
                }
                [[fallthrough]];
            default:
                if (t.kind == Tok::word) error_at(t, str("unknown statement \"", t.text, "\""));
                error_at(t, str("invalid statement", describe_found(t)));
            }
        }
    }
    static const char* block_end_name(Block b) {
        switch (b) {
        case Block::menu: return "'endmenu'";
        case Block::choice: return "'endchoice'";
        case Block::if_block:
        case Block::if_in_choice: return "'endif'";
        default: return "";
        }
    }
    static const char* token_name(Tok t) {
        switch (t) {
        case Tok::kw_endmenu: return "endmenu";
        case Tok::kw_endchoice: return "endchoice";
        case Tok::kw_endif: return "endif";
        default: return "?";
        }
    }

    void parse_assignment() {
        Token name = next();
        Preprocessor::Flavor flavor;
        switch (peek().kind) {
        case Tok::op_equal: flavor = Preprocessor::Flavor::recursive; break;
        case Tok::colon_equal: flavor = Preprocessor::Flavor::simple; break;
        case Tok::plus_equal: flavor = Preprocessor::Flavor::append; break;
        default: error_at(name, str("unknown statement \"", name.text, "\""));
        }
        next();
        std::string value;
        if (peek().kind == Tok::assign_val) value = next().text;
        end_of_line();
        m_pp.current_line = name.line;
        m_pp.assign(name.text, value, flavor);
    }

    void parse_source() {
        Token at = next();
        Token path = expect(Tok::word_quote, "a quoted file name after 'source'");
        end_of_line();
        m_lex.push_file(path.text, at.file, at.line);
    }

    void parse_help() {
        next();
        end_of_line();
        m_lex.skip_help();
    }

    void parse_depends() {
        next();
        expect(Tok::kw_on, "'on' after 'depends'");
        add_dep(parse_expr());
        end_of_line();
    }

    void parse_config(bool menuconfig) {
        Token at = next();
        int sym = parse_nonconst_symbol();
        end_of_line();
        m.symbols[sym].flags |= F_OPTIONAL;
        add_entry(sym, at);
        while (true) {
            start_statement();
            const Token& t = peek();
            switch (t.kind) {
            case Tok::kw_bool:
            case Tok::kw_tristate:
            case Tok::kw_int:
            case Tok::kw_hex:
            case Tok::kw_string: {
                SymType type = type_of(next().kind);
                if (peek().kind == Tok::word_quote) {
                    std::string text = next().text;
                    add_prompt(PropType::prompt, text, parse_if_expr());
                }
                end_of_line();
                set_type(type);
                break;
            }
            case Tok::kw_prompt: {
                next();
                std::string text = expect(Tok::word_quote, "a quoted prompt").text;
                add_prompt(PropType::prompt, text, parse_if_expr());
                end_of_line();
                break;
            }
            case Tok::kw_default:
            case Tok::kw_def_bool:
            case Tok::kw_def_tristate: {
                Tok kind = next().kind;
                int value = parse_expr();
                int cond = parse_if_expr();
                end_of_line();
                add_prop(PropType::default_value, value, cond);
                if (kind == Tok::kw_def_bool) set_type(SymType::boolean);
                if (kind == Tok::kw_def_tristate) set_type(SymType::tristate);
                break;
            }
            case Tok::kw_select:
            case Tok::kw_imply: {
                PropType type = next().kind == Tok::kw_select ? PropType::select : PropType::imply;
                int target = parse_nonconst_symbol();
                int cond = parse_if_expr();
                end_of_line();
                add_prop(type, m.sym_expr(target), cond);
                break;
            }
            case Tok::kw_range: {
                next();
                int low = parse_symbol();
                int high = parse_symbol();
                int cond = parse_if_expr();
                end_of_line();
                int prop = add_prop(PropType::range, -1, cond);
                m.props[prop].range_low = low;
                m.props[prop].range_high = high;
                break;
            }
            case Tok::kw_modules:
                next();
                end_of_line();
                if (m.modules_sym != 0)
                    error_at(t, str("symbol '", m.symbols[sym].name, "' redefines option 'modules' already defined by symbol '",
                                    m.symbols[m.modules_sym].name, "'"));
                m.modules_sym = sym;
                break;
            case Tok::kw_depends: parse_depends(); break;
            case Tok::kw_help: parse_help(); break;
            default:
                if (menuconfig) {
                    int prompt = m.menus[m_current_entry].prompt;
                    if (prompt >= 0) m.props[prompt].type = PropType::menu_prompt;
                }
                return;
            }
        }
    }

    static SymType type_of(Tok t) {
        switch (t) {
        case Tok::kw_bool: return SymType::boolean;
        case Tok::kw_tristate: return SymType::tristate;
        case Tok::kw_int: return SymType::integer;
        case Tok::kw_hex: return SymType::hex;
        default: return SymType::string;
        }
    }

    void parse_choice() {
        Token at = next();
        std::string name;
        if (peek().kind == Tok::word) name = next().text;
        end_of_line();
        int sym = m.lookup(name, F_CHOICE);
        m.symbols[sym].flags |= F_NO_WRITE;
        add_entry(sym, at);
        while (true) {
            start_statement();
            const Token& t = peek();
            if (t.kind == Tok::kw_prompt) {
                next();
                std::string text = expect(Tok::word_quote, "a quoted prompt").text;
                add_prompt(PropType::prompt, text, parse_if_expr());
                end_of_line();
            } else if (t.kind == Tok::kw_bool || t.kind == Tok::kw_tristate) {
                SymType type = type_of(next().kind);
                if (peek().kind == Tok::word_quote) {
                    std::string text = next().text;
                    add_prompt(PropType::prompt, text, parse_if_expr());
                }
                end_of_line();
                set_type(type);
            } else if (t.kind == Tok::kw_optional) {
                next();
                end_of_line();
                m.symbols[sym].flags |= F_OPTIONAL;
            } else if (t.kind == Tok::kw_default) {
                next();
                int target = parse_nonconst_symbol();
                int cond = parse_if_expr();
                end_of_line();
                add_prop(PropType::default_value, m.sym_expr(target), cond);
            } else if (t.kind == Tok::kw_depends) {
                parse_depends();
            } else if (t.kind == Tok::kw_help) {
                parse_help();
            } else {
                break;
            }
        }
        enter_menu();
        parse_stmt_list(Block::choice);
        leave_menu();
    }

    void parse_comment() {
        Token at = next();
        std::string text = expect(Tok::word_quote, "a quoted text after 'comment'").text;
        end_of_line();
        add_entry(-1, at);
        add_prompt(PropType::comment, text, -1);
        while (true) {
            start_statement();
            if (peek().kind != Tok::kw_depends) return;
            parse_depends();
        }
    }

    void parse_if(bool in_choice) {
        Token at = next();
        int cond = parse_expr();
        end_of_line();
        int node = add_entry(-1, at);
        m.menus[node].is_if = true;
        add_dep(cond);
        enter_menu();
        parse_stmt_list(in_choice ? Block::if_in_choice : Block::if_block);
        leave_menu();
    }

    void parse_menu() {
        Token at = next();
        std::string text = expect(Tok::word_quote, "a quoted title after 'menu'").text;
        end_of_line();
        add_entry(-1, at);
        add_prompt(PropType::menu_prompt, text, -1);
        while (true) {
            start_statement();
            const Token& t = peek();
            if (t.kind == Tok::kw_visible) {
                next();
                int cond = parse_if_expr();
                end_of_line();
                auto& node = m.menus[m_current_entry];
                node.visibility = m.expr_and(node.visibility, cond);
            } else if (t.kind == Tok::kw_depends) {
                parse_depends();
            } else {
                break;
            }
        }
        enter_menu();
        parse_stmt_list(Block::menu);
        leave_menu();
    }

    Model& m;
    Lexer& m_lex;
    Preprocessor& m_pp;
    Token m_peek;
    bool m_has_peek = false;
    int m_current_menu, m_current_entry;
    // Where the next entry is linked: the first child or the next sibling of m_slot_node.
    int m_slot_node = 0;
    bool m_slot_is_child = true;
    int m_stmt_line = 0;
};

// ---------------------------------------------------------------- finalize (menu_finalize)

class Finalizer {
  public:
    explicit Finalizer(Model& model) : m(model) {}

    void run() { finalize(0); }

  private:
    // 'm' in a dependency means "m if modules are enabled".
    int rewrite_m(int e) {
        if (e < 0) return e;
        Expr x = m.exprs[e];
        switch (x.type) {
        case ExprType::op_not: {
            int a = rewrite_m(x.a);
            return a == x.a ? e : m.add_expr(ExprType::op_not, a);
        }
        case ExprType::op_and:
        case ExprType::op_or: {
            int a = rewrite_m(x.a), b = rewrite_m(x.b);
            return (a == x.a && b == x.b) ? e : m.add_expr(x.type, a, b);
        }
        case ExprType::symbol:
            if (x.a == 1) return m.add_expr(ExprType::op_and, e, m.sym_expr(m.modules_sym));
            return e;
        default: return e;
        }
    }

    // Automatic submenus (the "else if (sym)" branch of menu_finalize): the entries right after a
    // symbol's entry that depend on the symbol become its children, recursively. Only recorded in
    // MenuNode::location (for menu_path); siblings[i] is handled, returns the next unhandled index.
    std::size_t nest_followers(const std::vector<int>& siblings, std::size_t i) {
        int node = siblings[i++];
        int sym = m.menus[node].sym;
        if (sym < 0 || m.menus[node].first_child >= 0) return i;
        while (i < siblings.size() && nests_under(siblings[i], node, sym)) {
            m.menus[siblings[i]].location = node;
            i = nest_followers(siblings, i);
        }
        return i;
    }

    bool nests_under(int node, int parent, int sym) const {
        const MenuNode& n = m.menus[node];
        int dep = n.prompt >= 0 ? m.props[n.prompt].visible : n.dep;
        if (!contains_symbol(dep, sym)) return false;
        if (depends_symbol(dep, sym, false)) return true;
        // "Superset" rule: every AND term of the symbol's prompt condition is also one of dep's.
        int base = m.menus[parent].prompt >= 0 ? m.props[m.menus[parent].prompt].visible : -1;
        std::vector<int> base_terms, dep_terms;
        and_terms(base, base_terms);
        and_terms(dep, dep_terms);
        // (A constant y term counts too: the kernel compares it as "y != n", which only a y term matches.)
        for (int b : base_terms) {
            if (std::none_of(dep_terms.begin(), dep_terms.end(), [&](int d) { return expr_eq(b, d); })) return false;
        }
        return true;
    }

    bool contains_symbol(int e, int sym) const {
        if (e < 0) return false;
        const Expr& x = m.exprs[e];
        switch (x.type) {
        case ExprType::op_and:
        case ExprType::op_or: return contains_symbol(x.a, sym) || contains_symbol(x.b, sym);
        case ExprType::op_not: return contains_symbol(x.a, sym);
        case ExprType::symbol: return x.a == sym;
        default: return x.a == sym || x.b == sym;
        }
    }

    // expr_depends_symbol on the expression as expr_transform would leave it (negations pushed
    // down): sym, sym=y, sym=m or sym!=n as a top-level AND term.
    bool depends_symbol(int e, int sym, bool negated) const {
        if (e < 0) return false;
        const Expr& x = m.exprs[e];
        switch (x.type) {
        case ExprType::op_and: return !negated && (depends_symbol(x.a, sym, false) || depends_symbol(x.b, sym, false));
        case ExprType::op_or: return negated && (depends_symbol(x.a, sym, true) || depends_symbol(x.b, sym, true));
        case ExprType::op_not: return depends_symbol(x.a, sym, !negated);
        case ExprType::symbol: return !negated && x.a == sym;
        case ExprType::equal: return x.a == sym && (negated ? x.b == 0 : (x.b == 1 || x.b == 2));
        case ExprType::unequal: return x.a == sym && (negated ? (x.b == 1 || x.b == 2) : x.b == 0);
        default: return false;
        }
    }

    void and_terms(int e, std::vector<int>& out) const {
        if (e < 0) return;
        if (m.exprs[e].type == ExprType::op_and) {
            and_terms(m.exprs[e].a, out);
            and_terms(m.exprs[e].b, out);
        } else {
            out.push_back(e);
        }
    }

    // Structural equality, AND and OR commutative (expr_eq).
    bool expr_eq(int e1, int e2) const {
        if (e1 == e2) return true;
        if (e1 < 0 || e2 < 0) return false;
        const Expr& x = m.exprs[e1];
        const Expr& y = m.exprs[e2];
        if (x.type != y.type) return false;
        switch (x.type) {
        case ExprType::op_and:
        case ExprType::op_or:
            return (expr_eq(x.a, y.a) && expr_eq(x.b, y.b)) || (expr_eq(x.a, y.b) && expr_eq(x.b, y.a));
        case ExprType::op_not: return expr_eq(x.a, y.a);
        default: return x.a == y.a && x.b == y.b;
        }
    }

    std::vector<int> children(int parent) const {
        std::vector<int> out;
        for (int c = m.menus[parent].first_child; c >= 0; c = m.menus[c].next) out.push_back(c);
        return out;
    }

    void finalize(int parent) {
        int sym = m.menus[parent].sym;
        bool is_choice = sym >= 0 && (m.symbols[sym].flags & F_CHOICE);
        if (m.menus[parent].first_child >= 0) {
            if (is_choice) {
                auto& cs = m.symbols[sym];
                if (cs.type == SymType::unknown) {
                    for (int c : children(parent)) {
                        int s = m.menus[c].sym;
                        if (s >= 0 && m.symbols[s].type != SymType::unknown) {
                            cs.type = m.symbols[s].type;
                            break;
                        }
                    }
                }
                for (int c : children(parent)) {
                    int s = m.menus[c].sym;
                    if (s >= 0 && m.symbols[s].type == SymType::unknown) m.symbols[s].type = cs.type;
                }
            }
            int parentdep = is_choice ? m.sym_expr(sym) : m.menus[parent].dep;
            for (int c : children(parent)) {
                int basedep = m.expr_and(parentdep, rewrite_m(m.menus[c].dep));
                m.menus[c].dep = basedep;
                int csym = m.menus[c].sym;
                std::vector<int> props;
                if (csym >= 0) props = m.symbols[csym].props;
                else if (m.menus[c].prompt >= 0) props.push_back(m.menus[c].prompt);
                for (int p : props) {
                    Property& prop = m.props[p];
                    if (prop.menu != c) continue;
                    int dep = m.expr_and(basedep, rewrite_m(prop.visible));
                    m.props[p].visible = dep;
                    if (prop.type == PropType::select || prop.type == PropType::imply) {
                        int target = m.exprs[prop.expr].a;
                        int term = m.expr_and(m.sym_expr(csym), dep);
                        auto& ts = m.symbols[target];
                        if (prop.type == PropType::select) ts.rev_dep = m.expr_or(ts.rev_dep, term);
                        else ts.implied = m.expr_or(ts.implied, term);
                    }
                }
            }
            std::vector<int> kids = children(parent);
            for (int c : kids) m.menus[c].location = parent;
            for (std::size_t i = 0; i < kids.size();) i = nest_followers(kids, i);
            for (int c : kids) finalize(c);
        } else if (sym >= 0) {
            auto& s = m.symbols[sym];
            s.dir_dep = m.expr_or(s.dir_dep, m.menus[parent].dep);
        }

        // Choice values; flattening of 'if' blocks (so their members become choice values).
        for (int c = m.menus[parent].first_child; c >= 0; c = m.menus[c].next) {
            int csym = m.menus[c].sym;
            if (is_choice && csym >= 0 && !(m.symbols[csym].flags & F_CHOICEVAL)) {
                auto& value = m.symbols[csym];
                value.flags |= F_CHOICEVAL;
                if (m.symbols[sym].type == SymType::tristate && value.type != SymType::tristate) {
                    int basedep = m.add_expr(ExprType::equal, sym, 2);
                    m.menus[c].dep = m.expr_and(basedep, m.menus[c].dep);
                    for (int p : value.props)
                        if (m.props[p].menu == c) m.props[p].visible = m.expr_and(basedep, m.props[p].visible);
                }
                value.choice = sym;
                m.symbols[sym].choice_members.push_back(csym);
            }
            auto& node = m.menus[c];
            if (node.first_child >= 0 && node.prompt < 0) {
                int last = node.first_child;
                while (true) {
                    m.menus[last].parent = parent;
                    if (m.menus[last].next < 0) break;
                    last = m.menus[last].next;
                }
                m.menus[last].next = m.menus[c].next;
                m.menus[c].next = m.menus[c].first_child;
                m.menus[c].first_child = -1;
                m.menus[c].flattened = true;
            }
        }

        // A visible non-optional choice cannot be n: model it as a select of 'm' by its prompt.
        if (sym >= 0 && !(m.symbols[sym].flags & F_OPTIONAL) && m.menus[parent].prompt >= 0) {
            int term = m.expr_and(m.props[m.menus[parent].prompt].visible, m.sym_expr(1));
            m.symbols[sym].rev_dep = m.expr_or(m.symbols[sym].rev_dep, term);
        }
    }

    Model& m;
};

} // namespace

std::map<std::string, std::string> kbuild_environment(const SourceTree& tree) {
    return {
        {"ARCH", std::string(tree.arch->name)}, {"SRCARCH", std::string(tree.arch->srcarch)}, {"srctree", tree.root.string()},
        {"KERNELVERSION", tree.version}, {"CC", "gcc"}, {"LD", "ld"}, {"AR", "ar"}, {"NM", "nm"},
        {"OBJCOPY", "objcopy"}, {"OBJDUMP", "objdump"}, {"READELF", "readelf"}, {"STRIP", "strip"},
        {"HOSTCC", "gcc"}, {"HOSTCXX", "g++"}, {"PAHOLE", "pahole"}, {"RUSTC", "rustc"},
        {"BINDGEN", "bindgen"}, {"CLANG_FLAGS", ""}, {"CROSS_COMPILE", ""}, {"LC_COLLATE", "C"}, {"LC_NUMERIC", "C"},
    };
}

Result<std::unique_ptr<Model>> parse_tree(const SourceTree& tree, const ParseOptions& options) {
    auto env = kbuild_environment(tree);
    for (const auto& [k, v] : options.environment) env[k] = v;
    ShellRunner shell(env, tree.root, options.use_shell_cache);
    auto model = std::make_unique<Model>();
    model->kernel_version = tree.version;
    try {
        if (!env.count("CC_VERSION_TEXT")) {
            // The top Makefile: $(shell LC_ALL=C $(CC) --version | head -n 1) without '#'.
            std::string text = shell.run("LC_ALL=C " + env["CC"] + " --version 2>/dev/null | head -n 1");
            std::erase(text, '#');
            env["CC_VERSION_TEXT"] = text;
        }
        Preprocessor pp(env, shell);
        Lexer lexer(*model, pp, tree.root);
        lexer.push_file(options.top_file, -1, 0);
        Parser parser(*model, lexer, pp);
        parser.parse();
    } catch (const SyntaxError& e) {
        shell.save();
        if (e.file.empty()) return Error::internal(e.message);
        return Error::bad_input(str(e.file, ":", e.line, ": ", e.message));
    }
    shell.save();
    Finalizer(*model).run();
    return model;
}

} // namespace tinyx::kconfig::detail
