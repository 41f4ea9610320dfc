// menu_finalize: the dependency propagation the kernel does after parsing (scripts/kconfig/menu.c):
// menus' and ifs' dependencies onto their entries, automatic submenus, choice values, select and
// imply reverse dependencies.
#include "parser.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <functional>

namespace tinyx::kconfig::detail {

namespace {

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

void finalize_menus(Model& model) { Finalizer(model).run(); }

} // namespace tinyx::kconfig::detail
