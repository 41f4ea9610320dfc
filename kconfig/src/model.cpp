// The model's basics: its constants, symbol creation and lookup (sym_lookup, sym_find).
#include "model.hpp"

#include <functional>

namespace tinyx::kconfig::detail {

// ---------------------------------------------------------------- model basics

Model::Model() {
    // Sized for a whole kernel tree (6.1 x86: ~17k symbols, ~110k expressions, ~32k properties,
    // ~18k menu nodes): growing these vectors step by step moved every element many times and
    // touched fresh pages at each step, a large part of the load time. Unused capacity costs no
    // memory until it is touched.
    symbols.reserve(24 * 1024);
    exprs.reserve(160 * 1024);
    props.reserve(48 * 1024);
    menus.reserve(24 * 1024);
    by_name.reserve(24 * 1024, symbols);
    for (const char* name : {"n", "m", "y"}) {
        Symbol s;
        s.name = name;
        s.type = SymType::tristate;
        s.flags = F_CONST | F_VALID;
        s.cur_str = name;
        symbols.push_back(std::move(s));
    }
    symbols[0].cur_tri = no;
    symbols[1].cur_tri = mod;
    symbols[2].cur_tri = yes;
    menus.emplace_back(); // root
}

int Model::new_symbol(std::string name, uint32_t flags) {
    Symbol& s = symbols.emplace_back();
    s.name = std::move(name);
    s.flags = flags;
    return int(symbols.size()) - 1;
}

int Model::lookup(std::string_view name, uint32_t flags) {
    if (name == "n") return 0;
    if (name == "m") return 1;
    if (name == "y") return 2;
    auto& table = (flags & F_CONST) ? const_by_name : (flags & F_CHOICE) ? choice_by_name : by_name;
    if (!name.empty()) {
        int found = table.find(name, symbols);
        if (found >= 0) return found;
    }
    int index = new_symbol(std::string(name), flags);
    if (!name.empty()) table.insert(index, symbols);
    return index;
}

int Model::find(std::string_view name) const {
    if (name == "n") return 0;
    if (name == "m") return 1;
    if (name == "y") return 2;
    return by_name.find(name, symbols);
}

namespace {
std::size_t name_hash(std::string_view name) { return std::hash<std::string_view>{}(name); }
} // namespace

int SymbolTable::find(std::string_view name, const std::vector<Symbol>& symbols) const {
    if (m_slots.empty()) return -1;
    std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        int index = m_slots[i];
        if (index < 0) return -1;
        if (symbols[index].name == name) return index;
    }
}

void SymbolTable::insert(int index, const std::vector<Symbol>& symbols) {
    if (2 * (m_count + 1) > m_slots.size()) reserve(m_count + 1 > 1024 ? 2 * (m_count + 1) : 1024, symbols);
    std::size_t mask = m_slots.size() - 1;
    std::size_t i = name_hash(symbols[index].name) & mask;
    while (m_slots[i] >= 0) i = (i + 1) & mask;
    m_slots[i] = index;
    m_count++;
}

void SymbolTable::reserve(std::size_t count, const std::vector<Symbol>& symbols) {
    std::size_t size = 16;
    while (size < 2 * count) size *= 2;
    if (size <= m_slots.size()) return;
    std::vector<int> old = std::move(m_slots);
    m_slots.assign(size, -1);
    m_count = 0;
    for (int index : old)
        if (index >= 0) insert(index, symbols);
}

} // namespace tinyx::kconfig::detail
