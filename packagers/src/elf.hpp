// Reading ELF headers to learn what a program needs at run time, without ever
// executing it (ldd may run the program; see docs/packagers.md).
#pragma once

#include "core/arch.hpp"

#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tinyx::packagers {

struct ElfFile {
    std::filesystem::path path;
    bool is_executable_type = false;   // ET_EXEC, or ET_DYN with an interpreter (a PIE)
    bool is_dynamic = false;           // has a PT_DYNAMIC segment
    std::string interpreter;           // PT_INTERP, empty for static binaries and libraries
    std::string soname;                // DT_SONAME
    std::vector<std::string> needed;   // DT_NEEDED in order
    std::vector<std::string> rpath;    // DT_RPATH entries, $ORIGIN not yet expanded
    std::vector<std::string> runpath;  // DT_RUNPATH entries
    std::vector<std::string> imported_symbols; // undefined dynamic symbols (used by dlopen rules)

    bool imports(std::string_view symbol) const;
};

// True when the file starts with the ELF magic (cheap; reads four bytes, never fails).
bool has_elf_magic(const std::filesystem::path& path);

// Parse a 64-bit ELF file of the architecture (core/arch.hpp). A non-ELF file or an ELF file for another machine
// or class is a bad-input error naming the file (and the machine).
Result<ElfFile> read_elf(const std::filesystem::path& path, std::string_view arch = kDefaultArch);

// Human name of an e_machine value ("x86-64", "AArch64", "Intel 80386", "machine 183").
std::string elf_machine_name(std::uint16_t machine);

// Expand $ORIGIN / ${ORIGIN} in one DT_RPATH/DT_RUNPATH entry for an object in `origin_dir`.
std::string expand_origin(std::string_view entry, const std::filesystem::path& origin_dir);

} // namespace tinyx::packagers
