// The Kconfig macro language (scripts/kconfig/preprocess.c): variables, functions, $(...) expansion.
// A private header of the Kconfig reader: only parser.cpp includes it.
#pragma once

#include "parse_support.hpp"
#include "shell.hpp"
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

} // namespace tinyx::kconfig::detail
