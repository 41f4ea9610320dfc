// The Kconfig lexer (scripts/kconfig/lexer.l's rules): tokens, keywords, help text, source files.
// A private header of the Kconfig reader: only parser.cpp includes it.
#pragma once

#include "model.hpp"
#include "parse_support.hpp"
#include "preprocessor.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace tinyx::kconfig::detail {

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

inline const std::unordered_map<std::string_view, Tok>& keywords() {
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

} // namespace tinyx::kconfig::detail
