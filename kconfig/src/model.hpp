// The in-memory Kconfig model, shaped after the kernel's own (scripts/kconfig/expr.h) so that
// evaluation can follow the kernel's algorithm step by step: the .config output has to be
// byte-identical to `conf --olddefconfig`, quirks included.
//
// Everything lives in flat vectors addressed by int indices (-1 = none): expressions, symbols,
// properties and menu nodes. An expression index of -1 means "no condition" and evaluates to y.
// This header is internal to the kconfig module; other modules use kconfig/kconfig.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::kconfig::detail {

enum Tri : uint8_t { no = 0, mod = 1, yes = 2 };
inline Tri tri_and(Tri a, Tri b) { return a < b ? a : b; }
inline Tri tri_or(Tri a, Tri b) { return a > b ? a : b; }
inline Tri tri_not(Tri a) { return Tri(2 - a); }

enum class SymType : uint8_t { unknown, boolean, tristate, integer, hex, string };

enum class ExprType : uint8_t { symbol, op_and, op_or, op_not, equal, unequal, less, less_equal, greater, greater_equal };

// symbol: a = symbol; and/or: a, b = expressions; not: a = expression; comparisons: a, b = symbols.
struct Expr {
    ExprType type;
    int a = -1;
    int b = -1;
};

enum class PropType : uint8_t { prompt, menu_prompt, comment, default_value, select, imply, range };

struct Property {
    PropType type;
    int expr = -1;    // default: the value expression; select/imply: a symbol expression
    int visible = -1; // the condition ("if ..."), later with the enclosing dependencies
    int range_low = -1, range_high = -1; // symbols, for range
    std::string text; // prompts
    int menu = -1;    // definition site
    int file = -1, line = 0;
    Tri visible_tri = no;
    bool has_text() const { return type == PropType::prompt || type == PropType::menu_prompt || type == PropType::comment; }
};

// Symbol flags, named after the kernel's.
enum : uint32_t {
    F_CONST = 1u << 0,
    F_CHOICE = 1u << 1,
    F_CHOICEVAL = 1u << 2,
    F_VALID = 1u << 3,
    F_OPTIONAL = 1u << 4,
    F_WRITE = 1u << 5,
    F_WRITTEN = 1u << 6,
    F_NO_WRITE = 1u << 7,
    F_DEF_USER = 1u << 8,
};

struct Symbol {
    std::string name; // empty for unnamed choices
    SymType type = SymType::unknown;
    uint32_t flags = 0;
    std::vector<int> props;  // in definition order (all sites)
    std::vector<int> menus;  // definition sites
    int dir_dep = -1, rev_dep = -1, implied = -1;
    int choice = -1;                 // choice values: the choice symbol
    std::vector<int> choice_members; // choices: the values, in order

    // Computed state (reset before every resolve so runs do not depend on history).
    Tri visible = no, dir_dep_tri = no, rev_dep_tri = no, implied_tri = no;
    Tri cur_tri = no;
    std::string cur_str;
    int cur_choice = -1;

    // The user's value (from the .config being read).
    Tri user_tri = no;
    std::string user_str;
    bool user_str_set = false;
    int user_choice = -1;
};

// Name -> symbol index. Open addressing over symbol indices (the names live in the symbols), so a
// lookup is one hash and usually one string comparison, with no node per entry.
class SymbolTable {
  public:
    int find(std::string_view name, const std::vector<Symbol>& symbols) const;
    void insert(int index, const std::vector<Symbol>& symbols); // the name must not be there yet
    void reserve(std::size_t count, const std::vector<Symbol>& symbols);

  private:
    std::vector<int> m_slots; // -1: empty; size a power of two, at most half full
    std::size_t m_count = 0;
};

struct MenuNode {
    int sym = -1;
    int prompt = -1; // property index
    int dep = -1;
    int visibility = -1;
    int parent = -1, first_child = -1, next = -1;
    int file = -1, line = 0;
    bool is_if = false;
    // Where menuconfig shows the node (its "Location:"): the enclosing node before 'if' blocks were
    // flattened, or the symbol it is an automatic submenu of (menu_finalize). Only menu_path() reads
    // it; the tree the .config writer walks (parent/first_child/next) does not nest under symbols.
    int location = -1;
    bool flattened = false; // a prompt-less block ('if') whose children were moved up to its parent
};

struct Model {
    std::vector<Expr> exprs;
    std::vector<Symbol> symbols; // 0 = n, 1 = m, 2 = y
    std::vector<Property> props;
    std::vector<MenuNode> menus; // 0 = root
    std::vector<std::string> files;
    SymbolTable by_name;       // regular symbols
    SymbolTable const_by_name; // quoted constants
    SymbolTable choice_by_name;
    int modules_sym = 0;
    std::string kernel_version;

    Model();
    int add_expr(ExprType t, int a, int b = -1) {
        exprs.push_back({t, a, b});
        return int(exprs.size()) - 1;
    }
    int sym_expr(int sym) { return add_expr(ExprType::symbol, sym); }
    int expr_and(int x, int y) { return x < 0 ? y : y < 0 ? x : add_expr(ExprType::op_and, x, y); }
    int expr_or(int x, int y) { return x < 0 ? y : y < 0 ? x : add_expr(ExprType::op_or, x, y); }
    // sym_lookup: y/m/n map to the constants; flags = F_CONST or F_CHOICE or 0.
    int lookup(std::string_view name, uint32_t flags);
    int find(std::string_view name) const; // regular symbols only, -1 if none
    int new_symbol(std::string name, uint32_t flags);
};

} // namespace tinyx::kconfig::detail
