// Questions about symbols: who selects or implies them, where they sit in the menus, what
// depends on them, and everything `tinyx kconfig why` prints.
#include "kconfig/kconfig.hpp"

#include "evaluator.hpp"
#include "incremental.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <set>

namespace tinyx::kconfig {

using namespace detail;

std::size_t Kconfig::symbol_count() const { return m_model->symbols.size(); }

bool Kconfig::has_symbol(const std::string& name) const {
    int s = m_model->find(name);
    return s >= 3 && m_model->symbols[s].type != SymType::unknown;
}

bool Kconfig::is_user_assignable(const std::string& name) {
    int s = m_model->find(name);
    if (s < 3) return false;
    m_state_is_fresh_read = false;
    Evaluator ev{*m_model};
    ev.modules_val = Tri(m_modules_val);
    ev.calc_value(s);
    const Symbol& sym = m_model->symbols[s];
    return sym.visible > sym.rev_dep_tri;
}

namespace {
std::vector<std::string> referrers(const Model& m, int target, PropType type) {
    std::vector<std::string> out;
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        for (int p : m.symbols[i].props) {
            const Property& prop = m.props[p];
            if (prop.type == type && prop.expr >= 0 && m.exprs[prop.expr].a == target) {
                out.push_back(m.symbols[i].name);
                break;
            }
        }
    }
    return out;
}

void collect_symbols(const Model& m, int e, std::vector<int>& out) {
    if (e < 0) return;
    const Expr& x = m.exprs[e];
    switch (x.type) {
    case ExprType::symbol: out.push_back(x.a); break;
    case ExprType::op_and:
    case ExprType::op_or:
        collect_symbols(m, x.a, out);
        collect_symbols(m, x.b, out);
        break;
    case ExprType::op_not: collect_symbols(m, x.a, out); break;
    default:
        out.push_back(x.a);
        out.push_back(x.b);
    }
}

std::string expr_text(const Model& m, int e, int parent_prec = 0) {
    if (e < 0) return "y";
    const Expr& x = m.exprs[e];
    auto sym_text = [&](int s) {
        const Symbol& sym = m.symbols[s];
        if ((sym.flags & F_CONST) && s >= 3) return "\"" + sym.name + "\"";
        return sym.name.empty() ? std::string("<choice>") : sym.name;
    };
    std::string out;
    int prec = 0;
    switch (x.type) {
    case ExprType::symbol: return sym_text(x.a);
    case ExprType::op_or: prec = 1; out = expr_text(m, x.a, 1) + " || " + expr_text(m, x.b, 1); break;
    case ExprType::op_and: prec = 2; out = expr_text(m, x.a, 2) + " && " + expr_text(m, x.b, 2); break;
    case ExprType::op_not: return "!" + expr_text(m, x.a, 4);
    default: {
        static const char* ops[] = {"", "", "", "", "=", "!=", "<", "<=", ">", ">="};
        prec = 3;
        out = sym_text(x.a) + " " + ops[int(x.type)] + " " + sym_text(x.b);
    }
    }
    return prec < parent_prec ? "(" + out + ")" : out;
}
} // namespace

std::map<std::string, std::set<std::string>> Kconfig::dependency_parents() const {
    const Model& m = *m_model;
    std::map<std::string, std::set<std::string>> parents;
    auto named = [&](int s) { return s >= 3 && !(m.symbols[std::size_t(s)].flags & F_CONST) && !m.symbols[std::size_t(s)].name.empty(); };
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        const Symbol& sym = m.symbols[i];
        if (!named(int(i))) continue;
        std::vector<int> refs;
        collect_symbols(m, sym.dir_dep, refs);
        for (int r : refs)
            if (named(r) && std::size_t(r) != i) parents[sym.name].insert(m.symbols[std::size_t(r)].name);
        for (int p : sym.props) {
            const Property& prop = m.props[std::size_t(p)];
            if (prop.type != PropType::select || prop.expr < 0) continue;
            int target = m.exprs[std::size_t(prop.expr)].a;
            if (named(target)) parents[m.symbols[std::size_t(target)].name].insert(sym.name);
        }
    }
    return parents;
}

std::vector<std::string> Kconfig::symbol_names() const {
    std::vector<std::string> names;
    for (std::size_t i = 3; i < m_model->symbols.size(); i++)
        if (!(m_model->symbols[i].flags & F_CONST) && !m_model->symbols[i].name.empty()) names.push_back(m_model->symbols[i].name);
    return names;
}

std::vector<std::string> Kconfig::selected_by(const std::string& name) const {
    int s = m_model->find(name);
    return s < 3 ? std::vector<std::string>{} : referrers(*m_model, s, PropType::select);
}

std::vector<std::string> Kconfig::implied_by(const std::string& name) const {
    int s = m_model->find(name);
    return s < 3 ? std::vector<std::string>{} : referrers(*m_model, s, PropType::imply);
}

std::vector<std::string> Kconfig::menu_path(const std::string& name) const {
    const Model& m = *m_model;
    int s = m.find(name);
    if (s < 3 || m.symbols[s].menus.empty()) return {};
    std::vector<std::string> path;
    for (int node = m.menus[m.symbols[s].menus[0]].location; node > 0; node = m.menus[node].location) {
        const MenuNode& n = m.menus[node];
        if (!n.flattened && n.prompt >= 0) path.push_back(m.props[n.prompt].text);
    }
    std::reverse(path.begin(), path.end());
    return path;
}

void Kconfig::build_reverse_index() const {
    if (!m_users.empty()) return;
    const Model& m = *m_model;
    m_users.assign(m.symbols.size(), {});
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        const Symbol& sym = m.symbols[i];
        std::vector<int> refs;
        collect_symbols(m, sym.dir_dep, refs);
        collect_symbols(m, sym.rev_dep, refs);
        collect_symbols(m, sym.implied, refs);
        for (int p : sym.props) {
            const Property& prop = m.props[p];
            collect_symbols(m, prop.visible, refs);
            if (prop.type == PropType::default_value) collect_symbols(m, prop.expr, refs);
            if (prop.type == PropType::range) {
                refs.push_back(prop.range_low);
                refs.push_back(prop.range_high);
            }
        }
        if (sym.choice >= 0) refs.push_back(sym.choice);
        for (int member : sym.choice_members) refs.push_back(member);
        std::sort(refs.begin(), refs.end());
        refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
        for (int r : refs)
            if (r >= 3 && r != int(i)) m_users[r].push_back(int(i));
    }
}

std::vector<std::string> Kconfig::dependents(const std::string& name) const {
    const Model& m = *m_model;
    int s = m.find(name);
    if (s < 3) return {};
    build_reverse_index();
    std::vector<char> seen(m.symbols.size(), 0);
    std::deque<int> queue{s};
    seen[s] = 1;
    std::vector<std::string> out;
    while (!queue.empty()) {
        int cur = queue.front();
        queue.pop_front();
        for (int u : m_users[cur]) {
            if (seen[u]) continue;
            seen[u] = 1;
            queue.push_back(u);
            if (!m.symbols[u].name.empty()) out.push_back(m.symbols[u].name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<Explanation> Kconfig::explain(const std::string& name) {
    Model& m = *m_model;
    int s = m.find(name);
    if (s < 3) return std::nullopt;
    m_state_is_fresh_read = false;
    Evaluator ev{m};
    ev.modules_val = Tri(m_modules_val);
    ev.calc_value(s);
    const Symbol& sym = m.symbols[s];
    Explanation x;
    x.name = sym.name;
    x.type = type_name(sym.type);
    x.value = ev.string_value(s);
    x.visibility = tri_name(sym.visible);
    x.user_assignable = sym.visible > sym.rev_dep_tri;
    for (int p : sym.props)
        if (m.props[p].has_text() && x.prompt.empty()) x.prompt = m.props[p].text;
    if (sym.dir_dep >= 0) {
        x.direct_deps = expr_text(m, sym.dir_dep);
        x.direct_deps_value = tri_name(ev.calc_expr(sym.dir_dep));
        std::vector<int> refs;
        collect_symbols(m, sym.dir_dep, refs);
        std::set<int> shown;
        for (int r : refs) {
            if (r < 3 || !shown.insert(r).second || (m.symbols[r].flags & F_CONST)) continue;
            ev.calc_value(r);
            x.dep_symbols.emplace_back(m.symbols[r].name.empty() ? "<choice>" : m.symbols[r].name, ev.string_value(r));
        }
    } else {
        x.direct_deps_value = "y";
    }
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        for (int p : m.symbols[i].props) {
            const Property& prop = m.props[p];
            if ((prop.type != PropType::select && prop.type != PropType::imply) || m.exprs[prop.expr].a != s) continue;
            ev.calc_value(int(i));
            // The condition after the selecting symbol's own dependencies were folded in.
            Tri cond = ev.calc_expr(prop.visible);
            std::string line = str(m.symbols[i].name, " (", ev.string_value(int(i)), ")");
            if (prop.visible >= 0) line += str(" if ", expr_text(m, prop.visible), " (", tri_name(cond), ")");
            (prop.type == PropType::select ? x.selected_by : x.implied_by).push_back(line);
        }
    }
    bool active_found = false;
    for (int p : sym.props) {
        Property& prop = m.props[p];
        if (prop.type != PropType::default_value) continue;
        Tri vis = ev.calc_expr(prop.visible);
        std::string line = expr_text(m, prop.expr);
        if (prop.visible >= 0) line += " if " + expr_text(m, prop.visible);
        bool active = vis != no && !active_found;
        active_found |= active;
        line += active ? " (active)" : " (inactive)";
        x.defaults.push_back(line);
    }
    x.menu_path = menu_path(name);
    for (int node : sym.menus) x.locations.push_back(str(m.files[m.menus[node].file], ":", m.menus[node].line));
    return x;
}

} // namespace tinyx::kconfig
