// Reading and writing .config files: confdata.c's conf_read_simple/conf_read (user values, the
// passes that settle choices and ranges) and conf_write/conf_write_defconfig, byte-identical to the
// kernel's output.
#include "kconfig/kconfig.hpp"

#include "config_line.hpp"
#include "evaluator.hpp"
#include "incremental.hpp"

#include "core/strings.hpp"

namespace tinyx::kconfig {

using namespace detail;

namespace detail {

bool Evaluator::menu_visible(int node) {
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

void Evaluator::print_symbol(std::string& out, int s, Values* values) {
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

std::string Evaluator::header() const {
    return "#\n# Automatically generated file; DO NOT EDIT.\n# " + m.props[m.menus[0].prompt].text + "\n#\n";
}

std::string Evaluator::write(Values* values) {
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

std::string Evaluator::write_minimal() {
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

} // namespace detail

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

} // namespace tinyx::kconfig
