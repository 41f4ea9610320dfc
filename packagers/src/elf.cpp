#include "elf.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace tinyx::packagers {

namespace {

// Bounds-checked reads from the file image: a truncated or hostile file is an
// error, never an out-of-range read.
class Image {
  public:
    explicit Image(const std::string& bytes) : m_bytes(bytes) {}
    bool has(std::uint64_t offset, std::uint64_t size) const {
        return offset <= m_bytes.size() && size <= m_bytes.size() - offset;
    }
    template <class T>
    bool read(std::uint64_t offset, T& out) const {
        if (!has(offset, sizeof(T))) return false;
        std::memcpy(&out, m_bytes.data() + offset, sizeof(T));
        return true;
    }
    // NUL-terminated string at offset within [limit_begin, limit_end).
    bool string_at(std::uint64_t offset, std::uint64_t limit_end, std::string& out) const {
        limit_end = std::min<std::uint64_t>(limit_end, m_bytes.size());
        if (offset >= limit_end) return false;
        const char* begin = m_bytes.data() + offset;
        const void* nul = std::memchr(begin, 0, limit_end - offset);
        if (!nul) return false;
        out.assign(begin, static_cast<const char*>(nul));
        return true;
    }

  private:
    const std::string& m_bytes;
};

struct Segment {
    std::uint64_t vaddr, offset, filesz;
};

// File offset of a virtual address, through the PT_LOAD segments (DT_STRTAB holds an address).
bool address_to_offset(const std::vector<Segment>& loads, std::uint64_t address, std::uint64_t& offset) {
    for (const auto& s : loads)
        if (address >= s.vaddr && address < s.vaddr + s.filesz) {
            offset = s.offset + (address - s.vaddr);
            return true;
        }
    return false;
}

std::vector<std::string> split_search_path(const std::string& value) {
    std::vector<std::string> entries;
    for (auto& entry : split(value, ':'))
        if (!entry.empty()) entries.push_back(entry);
    return entries;
}

} // namespace

bool ElfFile::imports(std::string_view symbol) const {
    return std::binary_search(imported_symbols.begin(), imported_symbols.end(), symbol);
}

bool has_elf_magic(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[SELFMAG] = {};
    if (!in.read(magic, SELFMAG)) return false;
    return std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

std::string elf_machine_name(std::uint16_t machine) {
    switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "Intel 80386";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC64";
    case EM_PPC: return "PowerPC";
    case EM_S390: return "IBM S/390";
    case EM_MIPS: return "MIPS";
    case EM_SPARCV9: return "SPARC V9";
    case EM_LOONGARCH: return "LoongArch";
    default: return str("machine ", machine);
    }
}

std::string expand_origin(std::string_view entry, const std::filesystem::path& origin_dir) {
    std::string out;
    const std::string origin = origin_dir.string();
    for (std::size_t i = 0; i < entry.size();) {
        if (entry.compare(i, 9, "${ORIGIN}") == 0) {
            out += origin;
            i += 9;
        } else if (entry.compare(i, 7, "$ORIGIN") == 0) {
            out += origin;
            i += 7;
        } else {
            out += entry[i++];
        }
    }
    return out;
}

Result<ElfFile> read_elf(const std::filesystem::path& path, std::string_view arch_name) {
    TRY_ASSIGN(const Arch* arch, find_arch(arch_name));
    const std::string where = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return Error::bad_input(str(where, ": not a regular file (expected an ELF executable)"));
    auto contents = read_file(path);
    if (!contents) return std::move(contents).error();
    const std::string& bytes = *contents;
    Image image(bytes);
    if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        return Error::bad_input(str(where, ": not an ELF file"));
    const unsigned char elf_class = static_cast<unsigned char>(bytes[EI_CLASS]);
    const unsigned char elf_data = static_cast<unsigned char>(bytes[EI_DATA]);
    std::uint16_t machine = 0;
    if (!image.read(18, machine)) return Error::bad_input(str(where, ": truncated ELF header"));
    if (elf_data == ELFDATA2MSB) machine = std::uint16_t((machine >> 8) | (machine << 8));
    if (machine != arch->elf_machine || elf_class != ELFCLASS64 || elf_data != ELFDATA2LSB) {
        const char* bits = elf_class == ELFCLASS32 ? "32-bit" : elf_class == ELFCLASS64 ? "64-bit" : "unknown-class";
        return Error::bad_input(str(where, ": ELF file for ", elf_machine_name(machine), " (", bits, "); tinyx builds ",
                                    arch->name, " images here and only takes 64-bit ", arch->elf_name, " ELF files"));
    }

    Elf64_Ehdr header;
    if (!image.read(0, header)) return Error::bad_input(str(where, ": truncated ELF header"));
    ElfFile elf;
    elf.path = path;

    std::vector<Segment> loads;
    std::uint64_t dynamic_offset = 0, dynamic_size = 0;
    bool has_interp = false;
    if (header.e_phentsize != sizeof(Elf64_Phdr) && header.e_phnum != 0)
        return Error::bad_input(str(where, ": unexpected program header size ", header.e_phentsize));
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (!image.read(header.e_phoff + std::uint64_t(i) * sizeof(Elf64_Phdr), ph))
            return Error::bad_input(str(where, ": truncated program headers"));
        if (ph.p_type == PT_LOAD) loads.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
        if (ph.p_type == PT_DYNAMIC) {
            elf.is_dynamic = true;
            dynamic_offset = ph.p_offset;
            dynamic_size = ph.p_filesz;
        }
        if (ph.p_type == PT_INTERP) {
            has_interp = true;
            if (!image.string_at(ph.p_offset, ph.p_offset + ph.p_filesz, elf.interpreter))
                return Error::bad_input(str(where, ": malformed PT_INTERP"));
        }
    }
    elf.is_executable_type = header.e_type == ET_EXEC || (header.e_type == ET_DYN && has_interp);

    if (elf.is_dynamic) {
        std::vector<std::pair<std::int64_t, std::uint64_t>> entries;
        std::uint64_t strtab_address = 0, strtab_size = 0;
        bool have_strtab = false;
        for (std::uint64_t at = dynamic_offset; at + sizeof(Elf64_Dyn) <= dynamic_offset + dynamic_size; at += sizeof(Elf64_Dyn)) {
            Elf64_Dyn dyn;
            if (!image.read(at, dyn)) return Error::bad_input(str(where, ": truncated dynamic section"));
            if (dyn.d_tag == DT_NULL) break;
            if (dyn.d_tag == DT_STRTAB) {
                strtab_address = dyn.d_un.d_ptr;
                have_strtab = true;
            } else if (dyn.d_tag == DT_STRSZ) {
                strtab_size = dyn.d_un.d_val;
            } else {
                entries.emplace_back(dyn.d_tag, dyn.d_un.d_val);
            }
        }
        std::uint64_t strtab = 0;
        if (!entries.empty() && (!have_strtab || !address_to_offset(loads, strtab_address, strtab)))
            return Error::bad_input(str(where, ": dynamic section without a readable string table"));
        for (const auto& [tag, value] : entries) {
            if (tag != DT_NEEDED && tag != DT_RPATH && tag != DT_RUNPATH && tag != DT_SONAME) continue;
            std::string text;
            if (!image.string_at(strtab + value, strtab + strtab_size, text))
                return Error::bad_input(str(where, ": dynamic entry points outside the string table"));
            if (tag == DT_NEEDED) elf.needed.push_back(text);
            else if (tag == DT_SONAME) elf.soname = text;
            else if (tag == DT_RPATH) elf.rpath = split_search_path(text);
            else elf.runpath = split_search_path(text);
        }
    }

    // Undefined dynamic symbols, from the section headers (.dynsym and its string table).
    if (header.e_shentsize == sizeof(Elf64_Shdr)) {
        for (unsigned i = 0; i < header.e_shnum; ++i) {
            Elf64_Shdr sh;
            if (!image.read(header.e_shoff + std::uint64_t(i) * sizeof(Elf64_Shdr), sh)) break;
            if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
            Elf64_Shdr strings;
            if (!image.read(header.e_shoff + std::uint64_t(sh.sh_link) * sizeof(Elf64_Shdr), strings)) break;
            for (std::uint64_t at = sh.sh_offset; at + sizeof(Elf64_Sym) <= sh.sh_offset + sh.sh_size; at += sizeof(Elf64_Sym)) {
                Elf64_Sym sym;
                if (!image.read(at, sym)) break;
                if (sym.st_shndx != SHN_UNDEF || sym.st_name == 0) continue;
                std::string name;
                if (image.string_at(strings.sh_offset + sym.st_name, strings.sh_offset + strings.sh_size, name))
                    elf.imported_symbols.push_back(std::move(name));
            }
        }
    }
    std::sort(elf.imported_symbols.begin(), elf.imported_symbols.end());
    elf.imported_symbols.erase(std::unique(elf.imported_symbols.begin(), elf.imported_symbols.end()), elf.imported_symbols.end());
    return elf;
}

} // namespace tinyx::packagers
