// tinyx's Kconfig engine: parses a kernel tree's Kconfig files (the whole 6.1 language, the macro
// language included), evaluates them with the kernel's semantics and reads/writes .config files
// byte-identical to `make olddefconfig` / `make savedefconfig`.
//
// Typical use (the pruner's loop):
//
//     TRY_ASSIGN(auto tree, kconfig::locate_source_tree(kernel_src, "x86_64"));   // once; source_tree.hpp
//     TRY_ASSIGN(auto kc, kconfig::Kconfig::load(tree));        // ~0.15 s, $(shell) results cached
//     kc->read_config(start_text);                              // like `conf` reading .config
//     std::string resolved = kc->write_config();                // == make olddefconfig
//     auto trial = kc->resolve_with({{"VIRTIO_NET", "n"}});     // one option off, re-resolved
//     for (auto& c : trial.changes) ...                         // what fell (or could not fall)
//
// API summary (all names are symbol names without CONFIG_):
//   load(tree)                       parse; syntax errors come back as Error::bad_input "file:line: ..."
//   read_config(text)                set the user values from a .config (both line forms; unknown symbols
//                                    are reported in the returned warnings and dropped)
//   write_config()                   the .config text olddefconfig writes for those user values
//   write_minimal_config()           the savedefconfig text
//   resolve(text)                    read_config + write_config
//   resolve_with(overrides)          take the last written (resolved) config, replace some symbols' lines
//                                    (value "n" = "# CONFIG_X is not set") and resolve again, as the pruner
//                                    does with olddefconfig; returns the new text, its sha256 and
//                                    the option-level changes. Incremental: only the changed symbols and
//                                    the readers of symbols whose value actually changed are re-evaluated
//                                    (~2 ms on x86 defconfig). Does not change the loaded config.
//   values()                         the resolved values of the last write (symbol -> "y"/"m"/"n"/text)
//   is_user_assignable(sym)          has a visible prompt and is not forced by select (sym_is_changeable)
//   selected_by(sym), implied_by(sym) the symbols whose select/imply names sym
//   menu_path(sym)                   menuconfig's "Location:" of sym's first definition, outermost first: the
//                                    prompts of the enclosing menus and choices and of the symbols it is an
//                                    automatic submenu of (menu_finalize: an entry right after `config FOO`
//                                    that depends on FOO, e.g. `if FOO` blocks, nests under FOO, recursively)
//   dependents(sym)                  every symbol whose dependencies, prompts or defaults mention sym,
//                                    transitively (what can change when sym changes)
//   dependency_parents()             symbol -> what its direct dependencies name, and its selectors
//   explain(sym)                     everything `tinyx kconfig why` prints
//   config_hash(text)                sha256 of a .config text
// A Kconfig object is not thread-safe (evaluation caches values inside the model).
#pragma once

#include "core/result.hpp"
#include "kconfig/config_text.hpp"
#include "kconfig/source_tree.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::kconfig {

namespace detail {
struct Model;
struct Evaluator;
struct BaseState;
struct DependencyOrder;
} // namespace detail


struct Resolved {
    std::string text; // parse_config_values(text) gives the values
    std::string hash;
    std::vector<Change> changes; // against the values of the last write_config()
};

struct Explanation {
    std::string name, type, value, prompt;
    std::string visibility;        // n/m/y
    bool user_assignable = false;
    std::string direct_deps;       // expression text, "" if none
    std::string direct_deps_value; // n/m/y
    std::vector<std::pair<std::string, std::string>> dep_symbols; // symbols in the deps, with values
    std::vector<std::string> selected_by, implied_by; // "SYM (value) [if cond]"
    std::vector<std::string> defaults;                // "expr [if cond] (active|inactive)"
    std::vector<std::string> menu_path;
    std::vector<std::string> locations; // file:line of definitions
};

struct LoadOptions {
    bool use_shell_cache = true; // reuse $(shell,...) results for the same toolchain
    std::map<std::string, std::string> environment; // overrides for the macro language's environment
};

class Kconfig {
  public:
    static Result<std::unique_ptr<Kconfig>> load(const SourceTree& tree, const LoadOptions& options = {});
    ~Kconfig();
    Kconfig(const Kconfig&) = delete;
    Kconfig& operator=(const Kconfig&) = delete;

    std::vector<std::string> read_config(std::string_view text);
    std::string write_config();
    std::string write_minimal_config();
    std::string resolve(std::string_view text, std::vector<std::string>* warnings = nullptr);
    Resolved resolve_with(const std::vector<std::pair<std::string, std::string>>& overrides);
    const Values& values() const { return m_values; }

    bool has_symbol(const std::string& name) const;
    bool is_user_assignable(const std::string& name);
    std::vector<std::string> selected_by(const std::string& name) const;
    std::vector<std::string> implied_by(const std::string& name) const;
    std::vector<std::string> menu_path(const std::string& name) const;
    std::vector<std::string> dependents(const std::string& name) const;
    // Every symbol's dependency parents: the symbols its direct dependencies name (`depends on`,
    // enclosing `if`s and menus) and the symbols that select it (`select S` in X makes S depend
    // on X). How ktest's make_min_config orders its trials; one pass over the model.
    std::map<std::string, std::set<std::string>> dependency_parents() const;
    std::vector<std::string> symbol_names() const;
    std::optional<Explanation> explain(const std::string& name);

    const SourceTree& tree() const { return m_tree; }
    std::size_t symbol_count() const;

  private:
    Kconfig() = default;
    struct Line {
        std::string name;
        std::string value; // raw text after '=' ("n" for "is not set")
        int lineno;
    };
    void apply_lines(const std::vector<Line>& lines, std::vector<std::string>* warnings);
    void read_user_values(detail::Evaluator& ev, const std::vector<Line>& lines, std::vector<std::string>* warnings);
    int conf_read_passes(detail::Evaluator& ev);
    void reapply_lines_unless_fresh();
    void ensure_base();
    std::string write_and_record();
    void build_reverse_index() const;

    std::unique_ptr<detail::Model> m_model;
    SourceTree m_tree;
    std::vector<Line> m_lines;
    Values m_values;
    mutable std::vector<std::vector<int>> m_users; // symbol -> symbols whose expressions mention it
    std::unique_ptr<detail::DependencyOrder> m_order; // m_users' cycles and their order, for resolve_with
    // Evaluator state the kernel keeps in globals between reading and writing.
    bool m_changed_after_read = false;
    // The model holds exactly what read_config()'s apply_lines() left (nothing evaluated since), so
    // the write right after a read need not read the lines a second time.
    bool m_state_is_fresh_read = false;
    int m_modules_val = 0;
    int m_read_warnings = 0; // "unexpected data" lines also count as warnings in conf_read
    std::string m_last_text;  // the last write_config() output, the base of resolve_with()
    std::unique_ptr<detail::BaseState> m_base; // its evaluated state, for incremental re-resolution
};

} // namespace tinyx::kconfig
