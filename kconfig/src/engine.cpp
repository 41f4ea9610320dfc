// Evaluation, .config reading/writing and queries. The evaluation functions mirror the kernel's
// scripts/kconfig/symbol.c and confdata.c step by step (lazy values cached with a VALID flag,
// visibility before value, user value capped by visibility, defaults in order, select/imply
// on top), because byte-identical output needs the same quirks, not just the same intent.
#include "kconfig/kconfig.hpp"

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "model.hpp"
#include "parser.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <functional>
#include <queue>
#include <set>
#include <unordered_map>

namespace tinyx::kconfig {

using namespace detail;

namespace {

const char* tri_name(Tri t) { return t == yes ? "y" : t == mod ? "m" : "n"; }

const char* type_name(SymType t) {
    switch (t) {
    case SymType::boolean: return "bool";
    case SymType::tristate: return "tristate";
    case SymType::integer: return "int";
    case SymType::hex: return "hex";
    case SymType::string: return "string";
    default: return "unknown";
    }
}

std::string escape_string_value(std::string_view in) {
    std::string out = "\"";
    for (char c : in) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The kernel's sym_string_valid.
bool string_valid(SymType type, const std::string& s) {
    const char* str = s.c_str();
    switch (type) {
    case SymType::string: return true;
    case SymType::integer: {
        char ch = *str++;
        if (ch == '-') ch = *str++;
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        if (ch == '0' && *str != 0) return false;
        while ((ch = *str++))
            if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        return true;
    }
    case SymType::hex: {
        if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) str += 2;
        char ch = *str++;
        do {
            if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
        } while ((ch = *str++));
        return true;
    }
    case SymType::boolean:
    case SymType::tristate: return s[0] == 'y' || s[0] == 'Y' || s[0] == 'm' || s[0] == 'M' || s[0] == 'n' || s[0] == 'N';
    default: return false;
    }
}

} // namespace

namespace detail {
// The evaluator: created per operation, working on the model's symbols.
struct Evaluator {
    Model& m;
    std::vector<int>* touched = nullptr; // records every symbol computed (incremental mode)
    Tri modules_val = no;
    bool changed = false;
    int warnings = 0;
    std::vector<std::string>* warning_sink = nullptr;

    bool is_choice(int s) const { return m.symbols[s].flags & F_CHOICE; }
    bool is_choiceval(int s) const { return m.symbols[s].flags & F_CHOICEVAL; }
    bool has_value(int s) const { return m.symbols[s].flags & F_DEF_USER; }

    void warn(std::string message) {
        warnings++;
        if (warning_sink) warning_sink->push_back(std::move(message));
    }

    SymType get_type(int s) const {
        const Symbol& sym = m.symbols[s];
        if (sym.type == SymType::tristate) {
            if (is_choiceval(s) && sym.visible == yes) return SymType::boolean;
            if (modules_val == no) return SymType::boolean;
        }
        return sym.type;
    }

    std::string string_value(int s) const {
        const Symbol& sym = m.symbols[s];
        if (sym.type == SymType::boolean || sym.type == SymType::tristate) return tri_name(sym.cur_tri);
        return sym.cur_str;
    }

    enum class Kind { is_signed, is_unsigned, is_string };
    static Kind parse_number(const std::string& s, SymType type, long long& sval, unsigned long long& uval) {
        char* tail = nullptr;
        Kind kind = Kind::is_signed;
        errno = 0;
        switch (type) {
        case SymType::boolean:
        case SymType::tristate:
            sval = s == "n" ? 0 : s == "m" ? 1 : s == "y" ? 2 : -1;
            return Kind::is_signed;
        case SymType::integer: sval = std::strtoll(s.c_str(), &tail, 10); break;
        case SymType::hex:
            uval = std::strtoull(s.c_str(), &tail, 16);
            kind = Kind::is_unsigned;
            break;
        default: sval = std::strtoll(s.c_str(), &tail, 0); break;
        }
        bool ok = !errno && !*tail && tail > s.c_str() && std::isxdigit(static_cast<unsigned char>(tail[-1]));
        return ok ? kind : Kind::is_string;
    }

    Tri calc_expr(int e) {
        if (e < 0) return yes;
        const Expr x = m.exprs[e];
        switch (x.type) {
        case ExprType::symbol:
            calc_value(x.a);
            return m.symbols[x.a].cur_tri;
        case ExprType::op_and: {
            Tri a = calc_expr(x.a);
            return tri_and(a, calc_expr(x.b));
        }
        case ExprType::op_or: {
            Tri a = calc_expr(x.a);
            return tri_or(a, calc_expr(x.b));
        }
        case ExprType::op_not: return tri_not(calc_expr(x.a));
        default: break;
        }
        calc_value(x.a);
        calc_value(x.b);
        std::string s1 = string_value(x.a), s2 = string_value(x.b);
        SymType t1 = m.symbols[x.a].type, t2 = m.symbols[x.b].type;
        Kind k1 = Kind::is_string, k2 = Kind::is_string;
        long long l1 = 0, l2 = 0;
        unsigned long long u1 = 0, u2 = 0;
        if (t1 != SymType::string || t2 != SymType::string) {
            k1 = parse_number(s1, t1, l1, u1);
            k2 = parse_number(s2, t2, l2, u2);
        }
        int res;
        if (k1 == Kind::is_string || k2 == Kind::is_string) {
            int c = s1.compare(s2);
            res = c < 0 ? -1 : c > 0 ? 1 : 0;
        } else if (k1 == Kind::is_unsigned || k2 == Kind::is_unsigned) {
            // The kernel compares the union's unsigned view here, even for a signed operand.
            unsigned long long a = k1 == Kind::is_unsigned ? u1 : static_cast<unsigned long long>(l1);
            unsigned long long b = k2 == Kind::is_unsigned ? u2 : static_cast<unsigned long long>(l2);
            res = (a > b) - (a < b);
        } else {
            res = (l1 > l2) - (l1 < l2);
        }
        switch (x.type) {
        case ExprType::equal: return res ? no : yes;
        case ExprType::greater_equal: return res >= 0 ? yes : no;
        case ExprType::greater: return res > 0 ? yes : no;
        case ExprType::less_equal: return res <= 0 ? yes : no;
        case ExprType::less: return res < 0 ? yes : no;
        case ExprType::unequal: return res ? yes : no;
        default: return no;
        }
    }

    int default_prop(int s) {
        for (int p : m.symbols[s].props) {
            Property& prop = m.props[p];
            if (prop.type != PropType::default_value) continue;
            prop.visible_tri = calc_expr(prop.visible);
            if (prop.visible_tri != no) return p;
        }
        return -1;
    }

    int range_prop(int s) {
        for (int p : m.symbols[s].props) {
            Property& prop = m.props[p];
            if (prop.type != PropType::range) continue;
            prop.visible_tri = calc_expr(prop.visible);
            if (prop.visible_tri != no) return p;
        }
        return -1;
    }

    int prop_symbol(int p) const {
        int e = m.props[p].expr;
        if (e >= 0 && m.exprs[e].type == ExprType::symbol) return m.exprs[e].a;
        return -1;
    }

    long long range_value(int s, int base) {
        calc_value(s);
        SymType t = m.symbols[s].type;
        if (t == SymType::integer) base = 10;
        if (t == SymType::hex) base = 16;
        return std::strtoll(m.symbols[s].cur_str.c_str(), nullptr, base);
    }

    void validate_range(int s) {
        Symbol& sym = m.symbols[s];
        int base;
        if (sym.type == SymType::integer) base = 10;
        else if (sym.type == SymType::hex) base = 16;
        else return;
        int p = range_prop(s);
        if (p < 0) return;
        long long val = std::strtoll(m.symbols[s].cur_str.c_str(), nullptr, base);
        int bound = m.props[p].range_low;
        if (val >= range_value(bound, base)) {
            bound = m.props[p].range_high;
            if (val <= range_value(bound, base)) return;
        }
        m.symbols[s].cur_str = m.symbols[bound].cur_str;
    }

    void calc_visibility(int s) {
        Tri tri = no;
        int choice = is_choiceval(s) ? m.symbols[s].choice : -1;
        for (int p : m.symbols[s].props) {
            Property& prop = m.props[p];
            if (!prop.has_text()) continue;
            prop.visible_tri = calc_expr(prop.visible);
            // A tristate choice value visible as 'm' is hidden while the choice is 'y'.
            if (choice >= 0 && m.symbols[s].type == SymType::tristate && prop.visible_tri == mod && m.symbols[choice].cur_tri == yes)
                prop.visible_tri = no;
            tri = tri_or(tri, prop.visible_tri);
        }
        if (tri == mod && (m.symbols[s].type != SymType::tristate || modules_val == no)) tri = yes;
        m.symbols[s].visible = tri;
        if (choice >= 0) return;
        tri = yes;
        if (m.symbols[s].dir_dep >= 0) tri = calc_expr(m.symbols[s].dir_dep);
        if (tri == mod && get_type(s) == SymType::boolean) tri = yes;
        m.symbols[s].dir_dep_tri = tri;
        tri = no;
        if (m.symbols[s].rev_dep >= 0) tri = calc_expr(m.symbols[s].rev_dep);
        if (tri == mod && get_type(s) == SymType::boolean) tri = yes;
        m.symbols[s].rev_dep_tri = tri;
        tri = no;
        if (m.symbols[s].implied >= 0) tri = calc_expr(m.symbols[s].implied);
        if (tri == mod && get_type(s) == SymType::boolean) tri = yes;
        m.symbols[s].implied_tri = tri;
    }

    int choice_default(int cs) {
        for (int p : m.symbols[cs].props) {
            Property& prop = m.props[p];
            if (prop.type != PropType::default_value) continue;
            prop.visible_tri = calc_expr(prop.visible);
            if (prop.visible_tri == no) continue;
            int def = prop_symbol(p);
            if (def >= 0 && m.symbols[def].visible != no) return def;
        }
        for (int member : m.symbols[cs].choice_members)
            if (m.symbols[member].visible != no) return member;
        return -1;
    }

    int calc_choice(int cs) {
        uint32_t flags = m.symbols[cs].flags;
        for (int member : m.symbols[cs].choice_members) {
            calc_visibility(member);
            if (m.symbols[member].visible != no) flags &= m.symbols[member].flags;
        }
        m.symbols[cs].flags &= flags | ~F_DEF_USER;
        int def = m.symbols[cs].user_choice;
        if (def >= 0 && m.symbols[def].visible != no) return def;
        def = choice_default(cs);
        if (def < 0) m.symbols[cs].cur_tri = no;
        return def;
    }

    void calc_value(int s) {
        Symbol* sym = &m.symbols[s];
        if (sym->flags & F_VALID) return;
        sym->flags |= F_VALID;
        if (touched) touched->push_back(s);
        Tri new_tri = no;
        std::string new_str;
        switch (sym->type) {
        case SymType::integer:
        case SymType::hex:
        case SymType::string: break;
        case SymType::boolean:
        case SymType::tristate: new_str = "n"; break;
        default:
            sym->cur_str = sym->name;
            sym->cur_tri = no;
            return;
        }
        sym->flags &= ~F_WRITE;
        calc_visibility(s);
        if (sym->visible != no) sym->flags |= F_WRITE;
        // What a recursive reference sees while this value is being computed.
        sym->cur_tri = new_tri;
        sym->cur_str = new_str;
        sym->cur_choice = -1;

        switch (get_type(s)) {
        case SymType::boolean:
        case SymType::tristate:
            if (is_choiceval(s) && sym->visible == yes) {
                new_tri = m.symbols[sym->choice].cur_choice == s ? yes : no;
            } else {
                bool user = sym->visible != no && has_value(s);
                if (user) {
                    new_tri = tri_and(sym->user_tri, sym->visible);
                } else {
                    if (sym->rev_dep_tri != no) sym->flags |= F_WRITE;
                    if (!is_choice(s)) {
                        int p = default_prop(s);
                        if (p >= 0) {
                            Tri value = calc_expr(m.props[p].expr);
                            new_tri = tri_and(value, m.props[p].visible_tri);
                            if (new_tri != no) sym->flags |= F_WRITE;
                        }
                        if (sym->implied_tri != no) {
                            sym->flags |= F_WRITE;
                            new_tri = tri_or(new_tri, sym->implied_tri);
                            new_tri = tri_and(new_tri, sym->dir_dep_tri);
                        }
                    }
                }
                if (sym->dir_dep_tri < sym->rev_dep_tri) unmet_dependency(s);
                new_tri = tri_or(new_tri, sym->rev_dep_tri);
            }
            if (new_tri == mod && get_type(s) == SymType::boolean) new_tri = yes;
            break;
        case SymType::string:
        case SymType::hex:
        case SymType::integer:
            if (sym->visible != no && has_value(s)) {
                new_str = sym->user_str;
                break;
            }
            if (int p = default_prop(s); p >= 0) {
                int ds = prop_symbol(p);
                if (ds >= 0) {
                    sym->flags |= F_WRITE;
                    calc_value(ds);
                    new_str = m.symbols[ds].cur_str;
                }
            }
            break;
        default: break;
        }
        sym->cur_tri = new_tri;
        sym->cur_str = std::move(new_str);
        if (is_choice(s) && new_tri == yes) {
            int chosen = calc_choice(s);
            m.symbols[s].cur_choice = chosen;
        }
        validate_range(s);
        if (s == m.modules_sym) modules_val = m.symbols[s].cur_tri;
        sym = &m.symbols[s];
        if (is_choice(s)) {
            for (int member : sym->choice_members)
                if ((sym->flags & F_WRITE) && m.symbols[member].visible != no) m.symbols[member].flags |= F_WRITE;
        }
        if (sym->flags & F_NO_WRITE) sym->flags &= ~F_WRITE;
    }

    void unmet_dependency(int s) {
        log::debug(str("unmet direct dependencies detected for ", m.symbols[s].name));
    }

    void clear_all_valid() {
        for (std::size_t i = 3; i < m.symbols.size(); i++) m.symbols[i].flags &= ~F_VALID;
        changed = true;
        calc_value(m.modules_sym);
    }

    bool tristate_within_range(int s, Tri val) {
        const Symbol& sym = m.symbols[s];
        SymType type = get_type(s);
        if (sym.visible == no) return false;
        if (type != SymType::boolean && type != SymType::tristate) return false;
        if (type == SymType::boolean && val == mod) return false;
        if (sym.visible <= sym.rev_dep_tri) return false;
        if (is_choiceval(s) && sym.visible == yes) return val == yes;
        return val >= sym.rev_dep_tri && val <= sym.visible;
    }

    bool string_within_range(int s, const std::string& str) {
        SymType type = m.symbols[s].type;
        switch (type) {
        case SymType::string: return string_valid(type, str);
        case SymType::integer:
        case SymType::hex: {
            if (!string_valid(type, str)) return false;
            int p = range_prop(s);
            if (p < 0) return true;
            int base = type == SymType::integer ? 10 : 16;
            long long val = std::strtoll(str.c_str(), nullptr, base);
            return val >= range_value(m.props[p].range_low, base) && val <= range_value(m.props[p].range_high, base);
        }
        case SymType::boolean:
        case SymType::tristate:
            switch (str[0]) {
            case 'y': case 'Y': return tristate_within_range(s, yes);
            case 'm': case 'M': return tristate_within_range(s, mod);
            case 'n': case 'N': return tristate_within_range(s, no);
            }
            return false;
        default: return false;
        }
    }

    // sym_get_string_default: what the symbol would be without a user value.
    std::string string_default(int s) {
        calc_visibility(s);
        calc_value(m.modules_sym);
        Tri val = no;
        std::string str;
        int p = default_prop(s);
        SymType type = m.symbols[s].type;
        if (p >= 0) {
            if (type == SymType::boolean || type == SymType::tristate) {
                val = tri_and(calc_expr(m.props[p].expr), m.props[p].visible_tri);
            } else if (int ds = prop_symbol(p); ds >= 0) {
                calc_value(ds);
                str = m.symbols[ds].cur_str;
            }
        }
        val = tri_or(val, m.symbols[s].rev_dep_tri);
        if (val == mod && !is_choiceval(s) && m.symbols[m.modules_sym].cur_tri == no) val = yes;
        if (type == SymType::boolean && val == mod) val = yes;
        if (val < m.symbols[s].implied_tri) val = m.symbols[s].implied_tri;
        if (type == SymType::boolean || type == SymType::tristate) return tri_name(val);
        return str;
    }

    // conf_read_simple's reset: forget user values and everything computed.
    void reset() {
        modules_val = no;
        changed = false;
        warnings = 0;
        for (std::size_t i = 3; i < m.symbols.size(); i++) {
            Symbol& s = m.symbols[i];
            s.flags &= ~(F_DEF_USER | F_VALID | F_WRITE | F_WRITTEN);
            if (s.flags & F_CHOICE) s.flags |= F_DEF_USER;
            s.user_tri = no;
            s.user_str.clear();
            s.user_str_set = false;
            s.user_choice = -1;
            s.visible = s.dir_dep_tri = s.rev_dep_tri = s.implied_tri = no;
            s.cur_tri = no;
            s.cur_str.clear();
            s.cur_choice = -1;
        }
    }

    // conf_set_sym_val; returns false when the value is invalid (and ignored).
    bool set_user_value(int s, const std::string& raw) {
        Symbol& sym = m.symbols[s];
        switch (sym.type) {
        case SymType::tristate:
            if (raw[0] == 'm') {
                sym.user_tri = mod;
                sym.flags |= F_DEF_USER;
                return true;
            }
            [[fallthrough]];
        case SymType::boolean:
            if (raw[0] == 'y' || raw[0] == 'n') {
                sym.user_tri = raw[0] == 'y' ? yes : no;
                sym.flags |= F_DEF_USER;
                return true;
            }
            warn(str("symbol value '", raw, "' invalid for ", sym.name));
            return false;
        case SymType::string: {
            if (raw.empty() || raw[0] != '"') return true; // the kernel silently ignores it
            std::string value;
            std::size_t i = 1;
            bool closed = false;
            for (; i < raw.size(); i++) {
                char c = raw[i];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    i++;
                    if (i >= raw.size()) break;
                    c = raw[i];
                }
                value += c;
            }
            if (!closed) {
                warn("invalid string found");
                return false;
            }
            sym.user_str = value;
            sym.user_str_set = true;
            sym.flags |= F_DEF_USER;
            return true;
        }
        case SymType::integer:
        case SymType::hex:
            if (string_valid(sym.type, raw)) {
                sym.user_str = raw;
                sym.user_str_set = true;
                sym.flags |= F_DEF_USER;
                return true;
            }
            warn(str("symbol value '", raw, "' invalid for ", sym.name));
            return false;
        default: return true;
        }
    }

    bool menu_visible(int node) {
        const MenuNode& n = m.menus[node];
        if (n.prompt < 0) return false;
        if (n.visibility >= 0 && calc_expr(n.visibility) == no) return false;
        if (n.sym >= 0) {
            calc_value(n.sym);
            if (m.props[n.prompt].visible_tri != no) return true;
            if (m.symbols[n.sym].cur_tri == no) return false;
            for (int c = n.first_child; c >= 0; c = m.menus[c].next)
                if (menu_visible(c)) return true;
            return false;
        }
        m.props[n.prompt].visible_tri = calc_expr(m.props[n.prompt].visible);
        return m.props[n.prompt].visible_tri != no;
    }

    std::vector<int>* written = nullptr; // symbols in the order write() printed them

    void print_symbol(std::string& out, int s, Values* values) {
        const Symbol& sym = m.symbols[s];
        if (sym.type == SymType::unknown) return;
        if (written) written->push_back(s);
        bool is_bool = sym.type == SymType::boolean || sym.type == SymType::tristate;
        if (is_bool && sym.cur_tri == no) {
            out.append("# CONFIG_").append(sym.name).append(" is not set\n");
            if (values) (*values)[sym.name] = "n";
            return;
        }
        out.append("CONFIG_").append(sym.name).append("=");
        if (is_bool) out.append(tri_name(sym.cur_tri));
        else if (sym.type == SymType::string) out.append(escape_string_value(sym.cur_str));
        else out.append(sym.cur_str);
        out.append("\n");
        if (values) (*values)[sym.name] = is_bool ? std::string(tri_name(sym.cur_tri)) : sym.cur_str;
    }

    std::string header() const {
        return "#\n# Automatically generated file; DO NOT EDIT.\n# " + m.props[m.menus[0].prompt].text + "\n#\n";
    }

    std::string write(Values* values) {
        std::string out = header();
        out.reserve(1 << 18);
        if (!changed) clear_all_valid();
        bool need_newline = false;
        int node = m.menus[0].first_child;
        while (node >= 0) {
            const MenuNode& n = m.menus[node];
            int s = n.sym;
            if (s < 0) {
                if (menu_visible(node)) {
                    out += "\n#\n# " + m.props[n.prompt].text + "\n#\n";
                    need_newline = false;
                }
            } else if (!(m.symbols[s].flags & (F_CHOICE | F_WRITTEN))) {
                calc_value(s);
                if (m.symbols[s].flags & F_WRITE) {
                    if (need_newline) {
                        out += "\n";
                        need_newline = false;
                    }
                    m.symbols[s].flags |= F_WRITTEN;
                    print_symbol(out, s, values);
                }
            }
            if (m.menus[node].first_child >= 0) {
                node = m.menus[node].first_child;
                continue;
            }
            while (node >= 0) {
                const MenuNode& cur = m.menus[node];
                if (cur.sym < 0 && node != 0 && menu_visible(node) && m.props[cur.prompt].type == PropType::menu_prompt) {
                    out += "# end of " + m.props[cur.prompt].text + "\n";
                    need_newline = true;
                }
                if (cur.next >= 0) {
                    node = cur.next;
                    break;
                }
                node = cur.parent;
            }
        }
        for (std::size_t i = 3; i < m.symbols.size(); i++) m.symbols[i].flags &= ~F_WRITTEN;
        changed = false;
        return out;
    }

    std::string write_minimal() {
        std::string out;
        clear_all_valid();
        int node = m.menus[0].first_child;
        while (node >= 0) {
            const MenuNode& n = m.menus[node];
            int s = n.sym;
            if (s >= 0 && !is_choice(s)) {
                calc_value(s);
                Symbol& sym = m.symbols[s];
                bool print = sym.flags & F_WRITE;
                if (print) {
                    sym.flags &= ~F_WRITE;
                    print = sym.visible > sym.rev_dep_tri && string_value(s) != string_default(s);
                }
                if (print && is_choiceval(s)) {
                    int cs = sym.choice;
                    int ds = choice_default(cs);
                    if (!(m.symbols[cs].flags & F_OPTIONAL) && s == ds && sym.type == SymType::boolean && sym.cur_tri == yes) print = false;
                }
                if (print) print_symbol(out, s, nullptr);
            }
            if (m.menus[node].first_child >= 0) {
                node = m.menus[node].first_child;
            } else {
                while (node >= 0 && m.menus[node].next < 0) node = m.menus[node].parent;
                if (node >= 0) node = m.menus[node].next;
            }
        }
        return out;
    }
};

// The evaluated state of the last written config, kept so a trial only recomputes what its
// changes can reach.
struct SymState {
    uint32_t flags;
    Tri visible, dir_dep_tri, rev_dep_tri, implied_tri, cur_tri, user_tri;
    std::string cur_str, user_str;
    int cur_choice, user_choice;
    bool user_str_set;
};

// A symbol's computed state differs from the base: what reads it must be recomputed too.
bool differs_from(const Symbol& s, const SymState& base) {
    return s.cur_tri != base.cur_tri || s.flags != base.flags || s.visible != base.visible || s.cur_choice != base.cur_choice ||
           s.dir_dep_tri != base.dir_dep_tri || s.rev_dep_tri != base.rev_dep_tri || s.implied_tri != base.implied_tri ||
           s.cur_str != base.cur_str;
}

// The reverse dependency graph (symbol -> symbols reading it) cut into strongly connected
// components, numbered so that every edge goes from a lower to a higher (or the same) component.
// A choice and its values always form one component (each reads the other). Recomputing the
// components in increasing order means every input of a symbol is final when it is computed.
struct DependencyOrder {
    std::vector<int> component_of;      // per symbol (constants: -1)
    std::vector<int> component_start;   // per component, into members; one extra at the end
    std::vector<int> members;           // grouped by component, ascending symbol index inside
    int modules_component = -1;

    DependencyOrder(const std::vector<std::vector<int>>& users, int modules_sym) {
        const int n = int(users.size());
        // Tarjan's algorithm, iterative (dependency chains are thousands deep).
        std::vector<int> index(std::size_t(n), -1), low(std::size_t(n), 0);
        std::vector<char> on_stack(std::size_t(n), 0);
        std::vector<int> stack;
        std::vector<std::pair<int, std::size_t>> frames; // node, next edge
        std::vector<std::vector<int>> found;             // components, sinks first
        int counter = 0;
        for (int root = 3; root < n; root++) {
            if (index[root] >= 0) continue;
            frames.emplace_back(root, 0);
            index[root] = low[root] = counter++;
            stack.push_back(root);
            on_stack[root] = 1;
            while (!frames.empty()) {
                auto& [node, edge] = frames.back();
                if (edge < users[node].size()) {
                    int next = users[node][edge++];
                    if (index[next] < 0) {
                        index[next] = low[next] = counter++;
                        stack.push_back(next);
                        on_stack[next] = 1;
                        frames.emplace_back(next, 0);
                    } else if (on_stack[next]) {
                        low[node] = std::min(low[node], index[next]);
                    }
                    continue;
                }
                int done = node;
                frames.pop_back();
                if (!frames.empty()) low[frames.back().first] = std::min(low[frames.back().first], low[done]);
                if (low[done] != index[done]) continue;
                std::vector<int> component;
                while (true) {
                    int member = stack.back();
                    stack.pop_back();
                    on_stack[member] = 0;
                    component.push_back(member);
                    if (member == done) break;
                }
                std::sort(component.begin(), component.end());
                found.push_back(std::move(component));
            }
        }
        // Tarjan finishes a component after everything reachable from it: reverse for the order.
        component_of.assign(std::size_t(n), -1);
        component_start.reserve(found.size() + 1);
        members.reserve(std::size_t(n));
        for (auto it = found.rbegin(); it != found.rend(); ++it) {
            int id = int(component_start.size());
            component_start.push_back(int(members.size()));
            for (int member : *it) {
                component_of[member] = id;
                members.push_back(member);
            }
        }
        component_start.push_back(int(members.size()));
        if (modules_sym >= 3) modules_component = component_of[modules_sym];
    }
    int count() const { return int(component_start.size()) - 1; }
};

struct BaseState {
    std::vector<SymState> states;
    std::vector<int> line_index; // per symbol, its line in the base config (-1: none)
    int line_count = 0;
    Tri modules_val = no;
    std::vector<int> mark;           // per symbol, generation marks
    std::vector<int> component_mark; // per component: scheduled in this generation
    int generation = 0;
    std::vector<int> written;         // symbols of the base config, in order
    std::vector<std::string> value;   // per symbol, its value in the base config
    std::vector<char> is_written;     // per symbol
};

} // namespace detail

// ---------------------------------------------------------------- .config text helpers

namespace {

struct ParsedLine {
    std::string name, value;
    bool is_data = false;
    bool unexpected = false;
};

// One line (without '\n') in conf_read_simple's rules.
ParsedLine parse_config_line(std::string_view line) {
    ParsedLine out;
    if (!line.empty() && line[0] == '#') {
        if (line.size() < 2 || line[1] != ' ') return out;
        std::string_view p = line.substr(2);
        if (!starts_with(p, "CONFIG_")) return out;
        p.remove_prefix(7);
        auto space = p.find(' ');
        if (space == std::string_view::npos) return out;
        if (p.substr(space + 1, 10) != "is not set") return out;
        out.name = std::string(p.substr(0, space));
        out.value = "n";
        out.is_data = true;
        return out;
    }
    if (starts_with(line, "CONFIG_")) {
        std::string_view p = line.substr(7);
        auto eq = p.find('=');
        if (eq == std::string_view::npos) return out;
        out.name = std::string(p.substr(0, eq));
        std::string_view value = p.substr(eq + 1);
        if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
        out.value = std::string(value);
        out.is_data = true;
        return out;
    }
    if (!line.empty() && line[0] != '\r') out.unexpected = true;
    return out;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t pos = 0;
    int lineno = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        f(text.substr(pos, eol - pos), ++lineno);
        pos = eol + 1;
    }
}

std::string unescape_config_string(const std::string& raw) {
    if (raw.empty() || raw[0] != '"') return raw;
    std::string out;
    for (std::size_t i = 1; i < raw.size(); i++) {
        char c = raw[i];
        if (c == '"') break;
        if (c == '\\' && i + 1 < raw.size()) c = raw[++i];
        out += c;
    }
    return out;
}

} // namespace

Values parse_config_values(std::string_view config_text) {
    Values values;
    for_each_line(config_text, [&](std::string_view line, int) {
        ParsedLine p = parse_config_line(line);
        if (p.is_data) values[p.name] = unescape_config_string(p.value);
    });
    return values;
}

std::vector<Change> diff_values(const Values& before, const Values& after) {
    std::vector<Change> out;
    auto a = before.begin(), b = after.begin();
    while (a != before.end() || b != after.end()) {
        if (b == after.end() || (a != before.end() && a->first < b->first)) {
            out.push_back({a->first, a->second, ""});
            ++a;
        } else if (a == before.end() || b->first < a->first) {
            out.push_back({b->first, "", b->second});
            ++b;
        } else {
            if (a->second != b->second) out.push_back({a->first, a->second, b->second});
            ++a;
            ++b;
        }
    }
    return out;
}

std::string config_hash(std::string_view config_text) { return sha256_hex(config_text); }

// ---------------------------------------------------------------- Kconfig

Kconfig::~Kconfig() = default;

Result<std::unique_ptr<Kconfig>> Kconfig::load(const SourceTree& tree, const LoadOptions& options) {
    ParseOptions parse_options;
    parse_options.use_shell_cache = options.use_shell_cache;
    parse_options.environment = options.environment;
    TRY_ASSIGN(auto model, parse_tree(tree, parse_options));
    std::unique_ptr<Kconfig> kc(new Kconfig());
    kc->m_model = std::move(model);
    kc->m_tree = tree;
    return kc;
}

void Kconfig::read_user_values(Evaluator& ev, const std::vector<Line>& lines, std::vector<std::string>* warnings) {
    Model& m = *m_model;
    for (const Line& line : lines) {
        int s = m.find(line.name);
        if (s < 3) {
            if (warnings) warnings->push_back(str("line ", line.lineno, ": unknown symbol: ", line.name, " (dropped)"));
            ev.changed = true;
            continue;
        }
        if (ev.has_value(s) && !ev.is_choice(s)) ev.warn(str("line ", line.lineno, ": override: reassigning to symbol ", line.name));
        if (!ev.set_user_value(s, line.value)) continue;
        if (ev.is_choiceval(s)) {
            int cs = m.symbols[s].choice;
            Tri t = m.symbols[s].user_tri;
            if (t == mod && m.symbols[cs].user_tri == yes) {
                ev.warn(str(line.name, " creates inconsistent choice state"));
                m.symbols[cs].flags &= ~F_DEF_USER;
            } else if (t == yes) {
                if (m.symbols[cs].user_tri != no) ev.warn(str("override: ", line.name, " changes choice state"));
                m.symbols[cs].user_choice = s;
            }
            m.symbols[cs].user_tri = tri_or(m.symbols[cs].user_tri, t);
        }
    }
}

// conf_read after the file is read: compute everything, count what the file did not say, then
// drop user values the tree no longer accepts. Returns the "unsaved" count.
int Kconfig::conf_read_passes(Evaluator& ev) {
    Model& m = *m_model;
    ev.calc_value(m.modules_sym);
    int unsaved = 0;
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        int s = int(i);
        ev.calc_value(s);
        if (ev.is_choice(s) || (m.symbols[s].flags & F_NO_WRITE)) continue;
        bool write = m.symbols[s].flags & F_WRITE;
        if (ev.has_value(s) && write) {
            const Symbol& sym = m.symbols[s];
            if (sym.type == SymType::boolean || sym.type == SymType::tristate) {
                if (sym.user_tri == sym.cur_tri) continue;
            } else if (sym.cur_str == sym.user_str) {
                continue;
            }
        } else if (!ev.has_value(s) && !write) {
            continue;
        }
        unsaved++;
    }
    for (std::size_t i = 3; i < m.symbols.size(); i++) {
        int s = int(i);
        if (!ev.has_value(s) || ev.is_choiceval(s)) continue;
        Symbol& sym = m.symbols[s];
        if (sym.visible == no && !unsaved) sym.flags &= ~F_DEF_USER;
        if (sym.type == SymType::string || sym.type == SymType::integer || sym.type == SymType::hex) {
            if (ev.string_within_range(s, sym.user_str)) continue;
            m.symbols[s].flags &= ~(F_VALID | F_DEF_USER);
            unsaved++;
        }
    }
    if (ev.warnings || unsaved) ev.changed = true;
    return unsaved;
}

void Kconfig::apply_lines(const std::vector<Line>& lines, std::vector<std::string>* warnings) {
    Evaluator ev{*m_model};
    ev.warning_sink = warnings;
    ev.reset();
    ev.warnings = m_read_warnings;
    read_user_values(ev, lines, warnings);
    conf_read_passes(ev);
    m_changed_after_read = ev.changed;
    m_modules_val = int(ev.modules_val);
}

std::vector<std::string> Kconfig::read_config(std::string_view text) {
    std::vector<std::string> warnings;
    m_lines.clear();
    m_read_warnings = 0;
    m_base.reset();
    m_last_text.clear();
    for_each_line(text, [&](std::string_view line, int lineno) {
        ParsedLine p = parse_config_line(line);
        if (p.is_data) m_lines.push_back({p.name, p.value, lineno});
        else if (p.unexpected) {
            warnings.push_back(str("line ", lineno, ": unexpected data: ", line));
            m_read_warnings++;
        }
    });
    apply_lines(m_lines, &warnings);
    m_state_is_fresh_read = true;
    return warnings;
}

std::string Kconfig::write_and_record() {
    m_state_is_fresh_read = false;
    Evaluator ev{*m_model};
    ev.changed = m_changed_after_read;
    ev.modules_val = Tri(m_modules_val);
    m_values.clear();
    std::string text = ev.write(&m_values);
    if (text != m_last_text) m_base.reset();
    m_last_text = text;
    return text;
}

void Kconfig::reapply_lines_unless_fresh() {
    if (!m_state_is_fresh_read) apply_lines(m_lines, nullptr);
    m_state_is_fresh_read = false;
}

std::string Kconfig::write_config() {
    reapply_lines_unless_fresh();
    return write_and_record();
}

std::string Kconfig::write_minimal_config() {
    reapply_lines_unless_fresh();
    Evaluator ev{*m_model};
    ev.modules_val = Tri(m_modules_val);
    return ev.write_minimal();
}

std::string Kconfig::resolve(std::string_view text, std::vector<std::string>* warnings) {
    auto w = read_config(text);
    if (warnings) *warnings = std::move(w);
    return write_and_record();
}

void Kconfig::ensure_base() {
    m_state_is_fresh_read = false;
    if (m_base) return;
    if (m_last_text.empty()) write_config();
    Model& m = *m_model;
    std::vector<Line> lines;
    for_each_line(m_last_text, [&](std::string_view line, int lineno) {
        ParsedLine p = parse_config_line(line);
        if (p.is_data) lines.push_back({p.name, p.value, lineno});
    });
    // Pass one of reading the resolved config: every value computed, user values as read.
    Evaluator ev{m};
    ev.reset();
    read_user_values(ev, lines, nullptr);
    ev.calc_value(m.modules_sym);
    for (std::size_t i = 3; i < m.symbols.size(); i++) ev.calc_value(int(i));
    auto base = std::make_unique<BaseState>();
    base->states.reserve(m.symbols.size());
    for (const Symbol& s : m.symbols)
        base->states.push_back({s.flags, s.visible, s.dir_dep_tri, s.rev_dep_tri, s.implied_tri, s.cur_tri, s.user_tri,
                                s.cur_str, s.user_str, s.cur_choice, s.user_choice, s.user_str_set});
    base->line_index.assign(m.symbols.size(), -1);
    for (std::size_t i = 0; i < lines.size(); i++) {
        int s = m.find(lines[i].name);
        if (s >= 3) base->line_index[s] = int(i);
    }
    base->line_count = int(lines.size());
    base->modules_val = ev.modules_val;
    base->mark.assign(m.symbols.size(), 0);
    base->value.assign(m.symbols.size(), std::string());
    base->is_written.assign(m.symbols.size(), 0);
    for (const auto& [name, value] : m_values) {
        int s = m.find(name);
        if (s < 3) continue;
        base->written.push_back(s);
        base->value[s] = value;
        base->is_written[s] = 1;
    }
    build_reverse_index();
    if (!m_order) m_order = std::make_unique<DependencyOrder>(m_users, m.modules_sym);
    base->component_mark.assign(std::size_t(m_order->count()), 0);
    m_base = std::move(base);
}

Resolved Kconfig::resolve_with(const std::vector<std::pair<std::string, std::string>>& overrides) {
    ensure_base();
    Model& m = *m_model;
    BaseState& base = *m_base;
    std::vector<int> touched;
    Evaluator ev{m};
    ev.modules_val = base.modules_val;
    ev.touched = &touched;
    bool unknown = false;
    std::vector<int> seeds, choices;
    std::unordered_map<int, int> trial_line; // overridden symbols move to the end of the file
    for (const auto& [name, value] : overrides) {
        int s = m.find(name);
        if (s < 3) {
            unknown = true;
            continue;
        }
        Symbol& sym = m.symbols[s];
        sym.flags &= ~F_DEF_USER;
        sym.user_tri = no;
        sym.user_str.clear();
        sym.user_str_set = false;
        ev.set_user_value(s, sym.type == SymType::string && value != "n" ? escape_string_value(value) : value);
        trial_line[s] = base.line_count + int(trial_line.size());
        seeds.push_back(s);
        if (ev.is_choiceval(s) && std::find(choices.begin(), choices.end(), sym.choice) == choices.end()) choices.push_back(sym.choice);
    }
    // A choice's user state comes from its members' lines, in file order: replay them.
    for (int cs : choices) {
        std::vector<std::pair<int, int>> order;
        for (int member : m.symbols[cs].choice_members) {
            if (!ev.has_value(member)) continue;
            auto it = trial_line.find(member);
            order.emplace_back(it != trial_line.end() ? it->second : base.line_index[member], member);
        }
        std::sort(order.begin(), order.end());
        Symbol& c = m.symbols[cs];
        c.flags |= F_DEF_USER;
        c.user_tri = no;
        c.user_choice = -1;
        for (const auto& [line, member] : order) {
            Tri t = m.symbols[member].user_tri;
            if (t == mod && c.user_tri == yes) {
                ev.warn("inconsistent choice state");
                c.flags &= ~F_DEF_USER;
            } else if (t == yes) {
                if (c.user_tri != no) ev.warn("choice state changed");
                c.user_choice = member;
            }
            c.user_tri = tri_or(c.user_tri, t);
        }
        seeds.push_back(cs);
    }

    // Recompute only what the changes reach: components in dependency order, starting with the
    // seeds'; a symbol whose state comes out as in the base does not pass the change on, so its
    // readers keep their values unless another input of theirs changed.
    const DependencyOrder& order = *m_order;
    bool everything = std::find(seeds.begin(), seeds.end(), m.modules_sym) != seeds.end();
    if (!everything) {
        int gen = ++base.generation;
        std::priority_queue<int, std::vector<int>, std::greater<int>> pending;
        auto schedule = [&](int component) {
            if (base.component_mark[component] == gen) return;
            base.component_mark[component] = gen;
            pending.push(component);
        };
        for (int s : seeds) schedule(order.component_of[s]);
        while (!pending.empty() && !everything) {
            int component = pending.top();
            pending.pop();
            auto first = order.members.begin() + order.component_start[component];
            auto last = order.members.begin() + order.component_start[component + 1];
            // Members of one component read each other: all are recomputed together.
            for (auto it = first; it != last; ++it) m.symbols[*it].flags &= ~F_VALID;
            for (auto it = first; it != last; ++it) ev.calc_value(*it);
            for (auto it = first; it != last; ++it) {
                if (!differs_from(m.symbols[*it], base.states[*it])) continue;
                // MODULES decides every tristate's type: a changed MODULES means a full recompute.
                if (component == order.modules_component) {
                    everything = true;
                    break;
                }
                for (int reader : m_users[*it])
                    if (order.component_of[reader] != component) schedule(order.component_of[reader]);
            }
        }
    }
    if (everything) {
        for (std::size_t i = 3; i < m.symbols.size(); i++) m.symbols[i].flags &= ~F_VALID;
        ev.modules_val = no;
    }
    touched.insert(touched.end(), seeds.begin(), seeds.end());

    int unsaved = conf_read_passes(ev);
    (void)unsaved;
    if (unknown) ev.changed = true;
    // Not "changed" means every value agreed with the file; the kernel then recomputes all with
    // the same result, so the values at hand are already final.
    ev.changed = true;
    Resolved out;
    std::vector<int> written;
    written.reserve(base.written.size() + 64);
    ev.written = &written;
    out.text = ev.write(nullptr);
    out.hash = config_hash(out.text);
    // Changes against the base, per symbol (cheaper than building and diffing maps).
    int gen = ++base.generation;
    for (int s : written) {
        base.mark[s] = gen;
        const Symbol& sym = m.symbols[s];
        std::string value = (sym.type == SymType::boolean || sym.type == SymType::tristate) ? std::string(tri_name(sym.cur_tri)) : sym.cur_str;
        if (!base.is_written[s]) out.changes.push_back({sym.name, "", std::move(value)});
        else if (base.value[s] != value) out.changes.push_back({sym.name, base.value[s], std::move(value)});
    }
    for (int s : base.written)
        if (base.mark[s] != gen) out.changes.push_back({m.symbols[s].name, base.value[s], ""});
    std::sort(out.changes.begin(), out.changes.end(), [](const Change& a, const Change& b) { return a.symbol < b.symbol; });

    // Back to the base state for the next trial.
    auto restore = [&](int i) {
        const SymState& st = base.states[i];
        Symbol& s = m.symbols[i];
        s.flags = st.flags;
        s.visible = st.visible;
        s.dir_dep_tri = st.dir_dep_tri;
        s.rev_dep_tri = st.rev_dep_tri;
        s.implied_tri = st.implied_tri;
        s.cur_tri = st.cur_tri;
        s.user_tri = st.user_tri;
        s.cur_str = st.cur_str;
        s.user_str = st.user_str;
        s.cur_choice = st.cur_choice;
        s.user_choice = st.user_choice;
        s.user_str_set = st.user_str_set;
    };
    if (everything) {
        for (std::size_t i = 3; i < m.symbols.size(); i++) restore(int(i));
    } else {
        for (int i : touched) restore(i);
        for (std::size_t i = 3; i < m.symbols.size(); i++) m.symbols[i].flags = base.states[i].flags;
    }
    return out;
}

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
