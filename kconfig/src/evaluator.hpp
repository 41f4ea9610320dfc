// The evaluator: the kernel's scripts/kconfig/symbol.c over the model, step by step (lazy values
// cached with a VALID flag, visibility before value, the user value capped by visibility, defaults
// in order, select/imply on top), because byte-identical output needs the same quirks, not just the
// same intent. Created per operation, working on the model's symbols. The .config writer of
// confdata.c is part of it (config_io.cpp).
#pragma once

#include "kconfig/config_text.hpp"
#include "model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tinyx::kconfig::detail {

const char* tri_name(Tri t);
const char* type_name(SymType t);
// A string value as .config spells it: quoted, with \" and \\ escaped.
std::string escape_string_value(std::string_view in);
// sym_string_valid: whether `s` is a valid value of a symbol of this type.
bool string_valid(SymType type, const std::string& s);

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
    void warn(std::string message);

    SymType get_type(int s) const;
    std::string string_value(int s) const;

    enum class Kind { is_signed, is_unsigned, is_string };
    static Kind parse_number(const std::string& s, SymType type, long long& sval, unsigned long long& uval);
    Tri calc_expr(int e);

    int default_prop(int s);
    int range_prop(int s);

    int prop_symbol(int p) const;
    long long range_value(int s, int base);

    void validate_range(int s);
    void calc_visibility(int s);

    int choice_default(int cs);
    int calc_choice(int cs);

    void calc_value(int s);
    void unmet_dependency(int s);

    void clear_all_valid();
    bool tristate_within_range(int s, Tri val);

    bool string_within_range(int s, const std::string& str);

    // sym_get_string_default: what the symbol would be without a user value.
    std::string string_default(int s);

    // conf_read_simple's reset: forget user values and everything computed.
    void reset();

    // conf_set_sym_val; returns false when the value is invalid (and ignored).
    bool set_user_value(int s, const std::string& raw);
    bool menu_visible(int node);

    std::vector<int>* written = nullptr; // symbols in the order write() printed them
    void print_symbol(std::string& out, int s, Values* values);

    std::string header() const;
    std::string write(Values* values);

    std::string write_minimal();
};

} // namespace tinyx::kconfig::detail
