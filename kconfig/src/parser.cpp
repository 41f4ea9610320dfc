// The Kconfig parser: statements into the model, with the macro language expanded in file order
// while tokenizing (preprocessor.hpp, lexer.hpp), then the kernel's dependency propagation
// (finalize.cpp).
#include "parser.hpp"

#include "lexer.hpp"
#include "parse_support.hpp"
#include "preprocessor.hpp"
#include "shell.hpp"

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

namespace {

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

} // namespace

std::map<std::string, std::string> kbuild_environment(const SourceTree& tree) {
    // As the top Makefile sets them: the target's tools carry CROSS_COMPILE, the host's do not.
    const std::string cross(toolchain_prefix(*tree.arch));
    return {
        {"ARCH", std::string(tree.arch->name)}, {"SRCARCH", std::string(tree.arch->srcarch)}, {"srctree", tree.root.string()},
        {"KERNELVERSION", tree.version}, {"CC", cross + "gcc"}, {"LD", cross + "ld"}, {"AR", cross + "ar"}, {"NM", cross + "nm"},
        {"OBJCOPY", cross + "objcopy"}, {"OBJDUMP", cross + "objdump"}, {"READELF", cross + "readelf"}, {"STRIP", cross + "strip"},
        {"HOSTCC", "gcc"}, {"HOSTCXX", "g++"}, {"PAHOLE", "pahole"}, {"RUSTC", "rustc"},
        {"BINDGEN", "bindgen"}, {"CLANG_FLAGS", ""}, {"CROSS_COMPILE", cross}, {"LC_COLLATE", "C"}, {"LC_NUMERIC", "C"},
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
    finalize_menus(*model);
    return model;
}

} // namespace tinyx::kconfig::detail
