// Symbol evaluation: scripts/kconfig/symbol.c (see evaluator.hpp).
#include "evaluator.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstdlib>

namespace tinyx::kconfig::detail {

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

void Evaluator::warn(std::string message) {
    warnings++;
    if (warning_sink) warning_sink->push_back(std::move(message));
}

SymType Evaluator::get_type(int s) const {
    const Symbol& sym = m.symbols[s];
    if (sym.type == SymType::tristate) {
        if (is_choiceval(s) && sym.visible == yes) return SymType::boolean;
        if (modules_val == no) return SymType::boolean;
    }
    return sym.type;
}

std::string Evaluator::string_value(int s) const {
    const Symbol& sym = m.symbols[s];
    if (sym.type == SymType::boolean || sym.type == SymType::tristate) return tri_name(sym.cur_tri);
    return sym.cur_str;
}

Evaluator::Kind Evaluator::parse_number(const std::string& s, SymType type, long long& sval, unsigned long long& uval) {
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

Tri Evaluator::calc_expr(int e) {
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

int Evaluator::default_prop(int s) {
    for (int p : m.symbols[s].props) {
        Property& prop = m.props[p];
        if (prop.type != PropType::default_value) continue;
        prop.visible_tri = calc_expr(prop.visible);
        if (prop.visible_tri != no) return p;
    }
    return -1;
}

int Evaluator::range_prop(int s) {
    for (int p : m.symbols[s].props) {
        Property& prop = m.props[p];
        if (prop.type != PropType::range) continue;
        prop.visible_tri = calc_expr(prop.visible);
        if (prop.visible_tri != no) return p;
    }
    return -1;
}

int Evaluator::prop_symbol(int p) const {
    int e = m.props[p].expr;
    if (e >= 0 && m.exprs[e].type == ExprType::symbol) return m.exprs[e].a;
    return -1;
}

long long Evaluator::range_value(int s, int base) {
    calc_value(s);
    SymType t = m.symbols[s].type;
    if (t == SymType::integer) base = 10;
    if (t == SymType::hex) base = 16;
    return std::strtoll(m.symbols[s].cur_str.c_str(), nullptr, base);
}

void Evaluator::validate_range(int s) {
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

void Evaluator::calc_visibility(int s) {
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

int Evaluator::choice_default(int cs) {
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

int Evaluator::calc_choice(int cs) {
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

void Evaluator::calc_value(int s) {
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

void Evaluator::unmet_dependency(int s) {
    log::debug(str("unmet direct dependencies detected for ", m.symbols[s].name));
}

void Evaluator::clear_all_valid() {
    for (std::size_t i = 3; i < m.symbols.size(); i++) m.symbols[i].flags &= ~F_VALID;
    changed = true;
    calc_value(m.modules_sym);
}

bool Evaluator::tristate_within_range(int s, Tri val) {
    const Symbol& sym = m.symbols[s];
    SymType type = get_type(s);
    if (sym.visible == no) return false;
    if (type != SymType::boolean && type != SymType::tristate) return false;
    if (type == SymType::boolean && val == mod) return false;
    if (sym.visible <= sym.rev_dep_tri) return false;
    if (is_choiceval(s) && sym.visible == yes) return val == yes;
    return val >= sym.rev_dep_tri && val <= sym.visible;
}

bool Evaluator::string_within_range(int s, const std::string& str) {
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
std::string Evaluator::string_default(int s) {
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
void Evaluator::reset() {
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
bool Evaluator::set_user_value(int s, const std::string& raw) {
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

} // namespace tinyx::kconfig::detail
