// Which Kconfig options compile a piece of kernel code: an address -> its function
// (System.map) -> the object file that defines it (nm over the build's archives)
// -> the options in the Kbuild rules that build that object and the directories
// above it (`obj-$(CONFIG_EPOLL) += eventpoll.o`, `obj-$(CONFIG_NET) += net/`).
//
//   TRY_ASSIGN(auto map, CodeMap::load(build_dir, tree.root, *tree.arch));
//   const auto* owner = map.owner_of(0xffffffff8112a3b0);   // function, objects, options
//
// Static functions share names across files; a name defined in several objects is
// attributed by its neighbours in System.map (an object's code is contiguous), and
// to all of them when the neighbours do not tell. Errors in the mapping only make
// the trace hint less sharp: the pruner's tests still decide every option.
#pragma once

#include "pruner/terms.hpp"
#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::pruner {

// The Kbuild Makefiles of a source tree, read lazily one directory at a time.
class KbuildRules {
  public:
    // `srcarch`: the arch/ directory name ("x86"), substituted for $(SRCARCH).
    KbuildRules(fs::path source_root, std::string srcarch);

    // Options named in the rules that build `object` (relative to the tree, "fs/eventpoll.o"):
    // its own obj-/lib- line(s), a composite object it is part of, enclosing
    // ifdef/ifeq CONFIG_ blocks, and the directory entries above it. Sorted, no CONFIG_ prefix.
    std::vector<std::string> options_for(const std::string& object);

  private:
    struct DirRules {
        // "eventpoll.o" or "sub/" (or "arch/x86/" at the top) -> options of each rule naming it
        std::map<std::string, std::set<std::string>> items;
        // part "a.o" -> composite "foo.o" it belongs to, with the options of that rule
        std::map<std::string, std::vector<std::pair<std::string, std::set<std::string>>>> parts;
    };
    const DirRules& rules(const std::string& dir);
    void parse(std::string_view text, DirRules& into) const;
    std::set<std::string> object_options(const std::string& dir, const std::string& file, int depth);

    fs::path m_root;
    std::string m_srcarch;
    std::map<std::string, DirRules> m_dirs;
};

struct CodeOwner {
    std::string function;
    std::vector<std::string> objects; // usually one
    std::vector<std::string> options; // union over `objects`
};

class CodeMap {
  public:
    // From a finished kernel build: System.map, and `nm` over vmlinux.a and the lib.a archives.
    static Result<CodeMap> load(const fs::path& build_dir, const fs::path& source_root, const Arch& arch);
    // From the texts directly (unit tests): System.map, and `nm -A --defined-only` lines
    // ("vmlinux.a:fs/eventpoll.o:0000000000000a10 t ep_poll").
    static CodeMap from_text(std::string_view system_map, std::string_view nm_lines, KbuildRules rules);

    // The function whose code covers `address` (between its symbol and the next), or nullptr
    // for addresses outside the kernel's text.
    const CodeOwner* owner_of(std::uint64_t address);
    // The function named `name` (the first with that name), or nullptr.
    const CodeOwner* owner_of(const std::string& function);

    std::size_t function_count() const { return m_functions.size(); }
    std::size_t object_count() const { return m_object_names.size(); }
    // Every object of the build with its options (for "which candidates have code at all").
    std::map<std::string, std::vector<std::string>> object_options();
    // Index of the function covering `address`; -1 if none.
    long function_index(std::uint64_t address) const;
    // Boot-time code, freed after boot (_sinittext.._einittext): every built-in option's
    // initcall runs there whether or not the app uses it, so a trace must not count it.
    bool is_init_code(std::uint64_t address) const { return address >= m_init_begin && address < m_init_end; }
    const CodeOwner& owner_at(std::size_t index);

  private:
    explicit CodeMap(KbuildRules rules) : m_rules(std::move(rules)) {}
    struct Function {
        std::uint64_t address = 0;
        std::vector<std::string> names; // every text symbol at this address
    };
    std::vector<std::string> candidate_objects(std::size_t index) const;
    const std::vector<std::string>& options_of(const std::string& object); // memoised KbuildRules::options_for

    KbuildRules m_rules;
    std::vector<Function> m_functions; // sorted by address
    std::uint64_t m_init_begin = 0, m_init_end = 0;
    std::map<std::string, std::vector<std::string>> m_objects_by_name; // text symbol -> objects defining it
    std::set<std::string> m_object_names;
    std::map<std::size_t, CodeOwner> m_owners; // resolved lazily
    std::map<std::string, std::vector<std::string>> m_options_cache;
};

// Addresses in a QEMU `-d in_asm` log: every guest instruction of every translated block.
struct ExecutedCode {
    std::vector<std::uint64_t> addresses; // sorted, unique
    std::size_t blocks = 0;               // translated blocks (unique start addresses)
};
Result<ExecutedCode> read_in_asm_log(const fs::path& log);
ExecutedCode parse_in_asm(std::string_view text);

} // namespace tinyx::pruner
