// tinyx kconfig resolve | savedefconfig | why | diff: thin wrappers over kconfig/kconfig.hpp.
#include "commands.hpp"

#include "core/fs.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "kconfig/kconfig.hpp"
#include "kconfig/source_tree.hpp"
#include "pruner/code_map.hpp"
#include "pruner/kernel_builder.hpp"

#include <chrono>
#include <iostream>
#include <random>
#include <memory>
#include <optional>

namespace tinyx::cli {

namespace {

struct TreeOptions {
    std::string kernel_src;
    std::string arch = std::string(kDefaultArch);
};

void add_tree_options(CLI::App* cmd, TreeOptions& opts) {
    cmd->add_option("--kernel-src", opts.kernel_src,
                    str("kernel source tree or linux-source-*.tar.xz (default: ", kconfig::default_kernel_tarball, ")"));
    cmd->add_option("--arch", opts.arch, str("ARCH as given to make: ", join(arch_names(), ", "), " (default ", kDefaultArch, ")"));
}

Result<std::unique_ptr<kconfig::Kconfig>> load(const TreeOptions& opts) {
    std::optional<fs::path> src;
    if (!opts.kernel_src.empty()) src = fs::path(opts.kernel_src);
    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(src, opts.arch));
    return kconfig::Kconfig::load(tree);
}

Result<std::string> read_input(const std::string& path, const char* flag) {
    auto text = read_file(path);
    if (!text) return Error::bad_input(str(flag, " ", path, ": ", text.error().message));
    return text;
}

void print_warnings(const std::vector<std::string>& warnings, const std::string& file) {
    for (const auto& w : warnings) log::warn(str(file, ": ", w));
}

struct ResolveOptions {
    TreeOptions tree;
    std::string in, out;
    bool minimal = false;
};

Result<int> run_resolve(const ResolveOptions& opts) {
    TRY_ASSIGN(std::string input, read_input(opts.in, "--in"));
    TRY_ASSIGN(auto kc, load(opts.tree));
    print_warnings(kc->read_config(input), opts.in);
    std::string text = opts.minimal ? kc->write_minimal_config() : kc->write_config();
    TRY(write_file_atomic(opts.out, text));
    return 0;
}

struct WhyOptions {
    TreeOptions tree;
    std::string config, symbol;
};

Result<int> run_why(const WhyOptions& opts) {
    TRY_ASSIGN(std::string input, read_input(opts.config, "--config"));
    TRY_ASSIGN(auto kc, load(opts.tree));
    std::string name = opts.symbol;
    if (starts_with(name, "CONFIG_")) name = name.substr(7);
    if (!kc->has_symbol(name)) return Error::bad_input(str("unknown symbol ", name, " (not defined by the Kconfig files of ", kc->tree().root.string(), ")"));
    print_warnings(kc->read_config(input), opts.config);
    (void)kc->write_config();
    auto x = kc->explain(name);
    if (!x) return Error::bad_input(str("unknown symbol ", name));
    std::ostringstream out;
    out << "CONFIG_" << x->name << "=" << x->value << "\n";
    out << "  type:            " << x->type << "\n";
    if (!x->prompt.empty()) out << "  prompt:          \"" << x->prompt << "\"\n";
    out << "  visibility:      " << x->visibility << (x->user_assignable ? " (user-assignable)" : " (not user-assignable)") << "\n";
    out << "  depends on:      " << (x->direct_deps.empty() ? "(nothing)" : x->direct_deps) << " = " << x->direct_deps_value << "\n";
    for (const auto& [sym, value] : x->dep_symbols) out << "                     " << sym << " = " << value << "\n";
    out << "  selected by:     " << (x->selected_by.empty() ? "(nothing)" : "") << "\n";
    for (const auto& s : x->selected_by) out << "                     " << s << "\n";
    out << "  implied by:      " << (x->implied_by.empty() ? "(nothing)" : "") << "\n";
    for (const auto& s : x->implied_by) out << "                     " << s << "\n";
    out << "  defaults:        " << (x->defaults.empty() ? "(none)" : "") << "\n";
    for (const auto& s : x->defaults) out << "                     " << s << "\n";
    out << "  menu:            " << (x->menu_path.empty() ? "(top level)" : join(x->menu_path, " -> ")) << "\n";
    out << "  defined at:      " << join(x->locations, ", ") << "\n";
    std::cout << out.str();
    return 0;
}

struct DiffOptions {
    std::string a, b;
};

Result<int> run_diff(const DiffOptions& opts) {
    TRY_ASSIGN(std::string a, read_input(opts.a, "A"));
    TRY_ASSIGN(std::string b, read_input(opts.b, "B"));
    auto changes = kconfig::diff_values(kconfig::parse_config_values(a), kconfig::parse_config_values(b));
    std::ostringstream out;
    int added = 0, removed = 0, changed = 0;
    for (const auto& c : changes) {
        if (c.before.empty() && !c.after.empty()) {
            out << "+ CONFIG_" << c.symbol << "=" << c.after << "\n";
            added++;
        } else if (c.after.empty() && !c.before.empty()) {
            out << "- CONFIG_" << c.symbol << "=" << c.before << "\n";
            removed++;
        } else {
            out << "~ CONFIG_" << c.symbol << ": " << c.before << " -> " << c.after << "\n";
            changed++;
        }
    }
    std::cout << out.str();
    log::info(str(added, " added, ", removed, " removed, ", changed, " changed"));
    return 0;
}

struct BenchOptions {
    TreeOptions tree;
    std::string config;
    int count = 200;
    unsigned seed = 1;
    bool verify = false;
};

// Re-resolution speed for bench/kconfig.sh: turn off one random enabled, user-assignable
// option at a time and re-resolve (the pruner's inner loop).
Result<int> run_bench(const BenchOptions& opts) {
    TRY_ASSIGN(std::string input, read_input(opts.config, "--config"));
    auto start = std::chrono::steady_clock::now();
    TRY_ASSIGN(auto kc, load(opts.tree));
    kc->read_config(input);
    std::string base = kc->write_config();
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::string> candidates;
    for (const auto& [name, value] : kc->values())
        if (value != "n" && kc->is_user_assignable(name)) candidates.push_back(name);
    if (candidates.empty()) return Error::bad_input(str("--config ", opts.config, ": no user-assignable option is enabled"));
    std::mt19937 rng(opts.seed);
    double total = 0, worst = 0;
    std::size_t changed = 0;
    std::unique_ptr<kconfig::Kconfig> reference;
    if (opts.verify) {
        TRY_ASSIGN(reference, load(opts.tree));
    }
    int mismatches = 0;
    for (int i = 0; i < opts.count; i++) {
        const std::string& sym = candidates[rng() % candidates.size()];
        auto t0 = std::chrono::steady_clock::now();
        auto trial = kc->resolve_with({{sym, "n"}});
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        total += dt;
        worst = std::max(worst, dt);
        changed += trial.changes.size();
        if (reference && reference->resolve(kconfig::force_off(base, {sym})) != trial.text) {
            log::error(str("incremental re-resolution differs from a full one after turning off ", sym));
            mismatches++;
        }
    }
    std::cout << "symbols " << kc->symbol_count() << "\n"
              << "load_and_resolve_seconds " << load_s << "\n"
              << "candidates " << candidates.size() << "\n"
              << "reresolve_count " << opts.count << "\n"
              << "reresolve_avg_ms " << total * 1000 / opts.count << "\n"
              << "reresolve_max_ms " << worst * 1000 << "\n"
              << "avg_changes " << double(changed) / opts.count << "\n";
    if (opts.verify) std::cout << "verify_mismatches " << mismatches << "\n";
    return mismatches ? 1 : 0;
}

struct CodeOptions {
    TreeOptions tree;
    std::string build_dir;
    std::vector<std::string> what;
};

// Which options compile a function or an address of a built kernel (what the trace strategy uses).
Result<int> run_code(const CodeOptions& opts) {
    std::optional<fs::path> src;
    if (!opts.tree.kernel_src.empty()) src = fs::path(opts.tree.kernel_src);
    TRY_ASSIGN(auto tree, kconfig::locate_source_tree(src, opts.tree.arch));
    fs::path build_dir = opts.build_dir;
    if (build_dir.empty()) {
        pruner::KernelBuildOptions build;
        build.tree = tree;
        TRY_ASSIGN(auto builder, pruner::KernelBuilder::create(build));
        build_dir = builder.build_dir();
    }
    if (!fs::exists(build_dir / "System.map") || !fs::exists(build_dir / "vmlinux.a"))
        return Error::bad_input(str("--build-dir ", build_dir.string(), ": no built kernel there (System.map, vmlinux.a)"));
    TRY_ASSIGN(auto map, pruner::CodeMap::load(build_dir, tree.root, *tree.arch));
    int missing = 0;
    for (const auto& what : opts.what) {
        const pruner::CodeOwner* owner = nullptr;
        if (starts_with(what, "0x")) {
            try {
                owner = map.owner_of(std::uint64_t(std::stoull(what, nullptr, 16)));
            } catch (const std::exception&) {
                return Error::bad_input(str(what, ": not a hexadecimal address"));
            }
        } else {
            owner = map.owner_of(what);
        }
        if (!owner) {
            log::error(str(what, ": not in this kernel's text"));
            ++missing;
            continue;
        }
        std::cout << what << "\t" << owner->function << "\t" << (owner->objects.empty() ? "?" : join(owner->objects, ","))
                  << "\t" << (owner->options.empty() ? "-" : join(owner->options, ",")) << "\n";
    }
    return missing ? 1 : 0;
}

} // namespace

void setup_kconfig(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("kconfig", "Resolve, explain and compare kernel configurations (no make needed)");
    cmd->require_subcommand(1);
    cmd->footer("Example:\n  tinyx kconfig resolve --kernel-src /usr/src/linux-source-6.1.tar.xz --in my.config --out .config");

    auto resolve = std::make_shared<ResolveOptions>();
    auto* r = cmd->add_subcommand("resolve", "Write the .config `make ARCH=<arch> olddefconfig` would write for FILE");
    add_tree_options(r, resolve->tree);
    r->add_option("--in", resolve->in, "input .config or fragment")->required();
    r->add_option("--out", resolve->out, "where to write the resolved .config")->required();
    r->add_flag("--minimal", resolve->minimal, "write the minimal config (like make savedefconfig) instead");
    r->footer("Example:\n  tinyx kconfig resolve --kernel-src ~/linux-6.1 --in fragment.config --out .config");
    r->callback([&runner, resolve] { runner = [resolve] { return run_resolve(*resolve); }; });

    auto why = std::make_shared<WhyOptions>();
    auto* w = cmd->add_subcommand("why", "Explain a symbol's value: dependencies, selects, defaults, menu");
    add_tree_options(w, why->tree);
    w->add_option("--config", why->config, "the .config to explain")->required();
    w->add_option("SYMBOL", why->symbol, "symbol name, with or without CONFIG_")->required();
    w->footer("Example:\n  tinyx kconfig why --kernel-src ~/linux-6.1 --config .config VIRTIO_NET");
    w->callback([&runner, why] { runner = [why] { return run_why(*why); }; });

    auto diff = std::make_shared<DiffOptions>();
    auto* d = cmd->add_subcommand("diff", "Option-level difference between two .config files ");
    d->add_option("A", diff->a, "first .config")->required();
    d->add_option("B", diff->b, "second .config")->required();
    d->footer("Example:\n  tinyx kconfig diff old.config new.config");
    d->callback([&runner, diff] { runner = [diff] { return run_diff(*diff); }; });

    auto code = std::make_shared<CodeOptions>();
    auto* c = cmd->add_subcommand("code", "Which options compile a function or address of a built kernel "
                                          "(prints WHAT, function, object files, options)");
    add_tree_options(c, code->tree);
    c->add_option("--build-dir", code->build_dir, "a finished kernel build (default: tinyx's kept build directory)");
    c->add_option("WHAT", code->what, "function names or 0x addresses")->required();
    c->footer("Example:\n  tinyx kconfig code do_epoll_wait 0xffffffff81234567");
    c->callback([&runner, code] { runner = [code] { return run_code(*code); }; });

    // For bench/kconfig.sh; hidden from --help (empty group).
    auto bench = std::make_shared<BenchOptions>();
    auto* b = cmd->add_subcommand("bench", "Time re-resolution after turning single options off");
    b->group("");
    add_tree_options(b, bench->tree);
    b->add_option("--config", bench->config, "starting .config")->required();
    b->add_option("--count", bench->count, "number of trials")->check(CLI::Range(1, 1000000));
    b->add_option("--seed", bench->seed, "random seed");
    b->add_flag("--verify", bench->verify, "check each trial against a full re-resolution");
    b->footer("Example:\n  tinyx kconfig bench --kernel-src ~/linux-6.1 --config .config --count 200");
    b->callback([&runner, bench] { runner = [bench] { return run_bench(*bench); }; });
}

} // namespace tinyx::cli
