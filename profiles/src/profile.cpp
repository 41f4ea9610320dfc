#include "profiles/profile.hpp"

#include "core/compression.hpp"

#include "core/arch.hpp"
#include "core/range.hpp"
#include "core/strings.hpp"
#include "harness/boot.hpp"
#include "harness/guest_init.hpp"
#include "harness/platform.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <unistd.h>

namespace tinyx::profiles {
namespace {

bool valid_symbol(const std::string& symbol) {
    if (symbol.empty()) return false;
    for (char c : symbol)
        if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    return true;
}

// Optional string field: absent → fallback; present but not a string → error naming it.
Result<std::string> optional_string(const Json& object, const char* key, const std::string& where,
                                    std::string fallback = {}) {
    if (!object.contains(key)) return fallback;
    return json_string(object, key, where);
}

Result<std::vector<std::string>> optional_strings(const Json& object, const char* key, const std::string& where) {
    if (!object.contains(key)) return std::vector<std::string>{};
    return json_string_list(object, key, where);
}

// An integer field in the harness's range for it (the same range as the flag).
Result<int> optional_int(const Json& object, const char* key, const std::string& where, int fallback, const NumberRange& range) {
    if (!object.contains(key)) return fallback;
    TRY_ASSIGN(auto value, json_integer(object, key, where));
    TRY(check_range(str(where, ".", key), double(value), range));
    return int(value);
}

Result<std::vector<OptionSetting>> parse_options(const Json& document, const std::string& where) {
    std::vector<OptionSetting> options;
    if (!document.contains("options")) return options;
    const auto& list = document["options"];
    if (!list.is_array()) return Error::bad_input(str(where, ": options: expected a list"));
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto item_where = str(where, ": options[", i, "]");
        const auto& item = list[i];
        TRY_ASSIGN(auto symbol, json_string(item, "symbol", item_where));
        if (starts_with(symbol, "CONFIG_")) symbol = symbol.substr(7);
        if (!valid_symbol(symbol))
            return Error::bad_input(str(item_where, ".symbol: '", symbol, "' is not a Kconfig symbol name"));
        if (!seen.insert(symbol).second) return Error::bad_input(str(item_where, ".symbol: ", symbol, " appears twice"));
        TRY_ASSIGN(auto value, optional_string(item, "value", item_where, "y"));
        if (value.empty()) return Error::bad_input(str(item_where, ".value: empty"));
        TRY_ASSIGN(auto why, optional_string(item, "why", item_where));
        options.push_back({symbol, value, why});
    }
    return options;
}

} // namespace

Result<Profile> parse_profile(const Json& document, const std::string& where) {
    if (!document.is_object()) return Error::bad_input(str(where, ": expected a JSON object"));
    TRY_ASSIGN(auto schema, json_string(document, "schema", where));
    if (schema != schema_id)
        return Error::bad_input(str(where, ": schema: '", schema, "' is not supported (expected '", schema_id, "')"));
    Profile profile;
    TRY_ASSIGN(profile.kind, json_string(document, "kind", where));
    if (profile.kind != "baselet" && profile.kind != "pool" && profile.kind != "app")
        return Error::bad_input(str(where, ": kind: '", profile.kind, "' (expected baselet, pool or app)"));
    TRY_ASSIGN(profile.name, json_string(document, "name", where));
    TRY_ASSIGN(profile.description, optional_string(document, "description", where));
    TRY_ASSIGN(profile.arch, optional_string(document, "arch", where, std::string(kDefaultArch)));
    if (!find_arch(profile.arch))
        return Error::bad_input(str(where, ": arch: '", profile.arch, "' is not a known architecture (", join(arch_names(), ", "), ")"));
    TRY_ASSIGN(profile.platform, optional_string(document, "platform", where));
    if (!profile.platform.empty() && !harness::find_platform(profile.platform))
        return Error::bad_input(str(where, ": platform: '", profile.platform, "' is not a known platform (",
                                    join(harness::platform_names(), ", "), ")"));
    TRY_ASSIGN(profile.tinyx_version, optional_string(document, "tinyx_version", where));
    if (document.contains("kernel")) {
        const auto& kernel = document["kernel"];
        if (!kernel.is_object()) return Error::bad_input(str(where, ": kernel: expected an object"));
        TRY_ASSIGN(profile.kernel_version, optional_string(kernel, "version", where + ": kernel"));
    }
    TRY_ASSIGN(profile.options, parse_options(document, where));

    if (document.contains("app")) {
        const auto& app = document["app"];
        auto app_where = where + ": app";
        if (!app.is_object()) return Error::bad_input(app_where + ": expected an object");
        AppSpec spec;
        TRY_ASSIGN(spec.image, optional_string(app, "image", app_where));
        if (spec.image.empty()) {
            TRY_ASSIGN(spec.app, json_string(app, "app", app_where));
        } else {
            TRY_ASSIGN(spec.app, optional_string(app, "app", app_where));
            if (!spec.app.empty()) return Error::bad_input(str(app_where, ": both app and image name the app: give one"));
        }
        TRY_ASSIGN(spec.image_digest, optional_string(app, "image_digest", app_where));
        TRY_ASSIGN(spec.env, optional_strings(app, "env", app_where));
        for (const auto& entry : spec.env) TRY(harness::check_environment_entry(entry, app_where + ".env"));
        TRY_ASSIGN(spec.user, optional_string(app, "user", app_where));
        TRY_ASSIGN(spec.workdir, optional_string(app, "workdir", app_where));
        TRY_ASSIGN(spec.run, optional_string(app, "run", app_where));
        TRY_ASSIGN(spec.includes, optional_strings(app, "includes", app_where));
        TRY_ASSIGN(spec.excludes, optional_strings(app, "excludes", app_where));
        if (app.contains("busybox")) {
            TRY_ASSIGN(spec.busybox, json_bool(app, "busybox", app_where));
        }
        TRY_ASSIGN(spec.compression, optional_string(app, "compression", app_where, "xz"));
        static const std::set<std::string> compressions = {"gzip", "xz", "zstd", "none"};
        if (!compressions.count(spec.compression))
            return Error::bad_input(str(app_where, ".compression: '", spec.compression, "' (expected gzip, xz, zstd or none)"));
        profile.app = spec;
    }
    if (document.contains("test")) {
        const auto& test = document["test"];
        auto test_where = where + ": test";
        if (!test.is_object()) return Error::bad_input(test_where + ": expected an object");
        TestSpec spec;
        TRY_ASSIGN(spec.guest_test, optional_string(test, "guest_test", test_where));
        TRY_ASSIGN(spec.host_test, optional_string(test, "host_test", test_where));
        if (test.contains("forward")) {
            const auto& ports = test["forward"];
            if (!ports.is_array()) return Error::bad_input(test_where + ".forward: expected a list of ports");
            for (std::size_t i = 0; i < ports.size(); ++i) {
                if (!ports[i].is_number_integer())
                    return Error::bad_input(str(test_where, ".forward[", i, "]: expected a port number"));
                TRY(check_range(str(test_where, ".forward[", i, "]"), double(ports[i].get<long long>()), harness::kPortRange));
                spec.forward.push_back(ports[i].get<int>());
            }
        }
        TRY_ASSIGN(spec.timeout_seconds, optional_int(test, "timeout", test_where, 120, harness::kTimeoutRangeSeconds));
        TRY_ASSIGN(spec.memory_mb, optional_int(test, "memory", test_where, 256, harness::kMemoryRangeMb));
        TRY_ASSIGN(spec.append, optional_string(test, "append", test_where));
        if (test.contains("outbound_network")) {
            TRY_ASSIGN(spec.outbound_network, json_bool(test, "outbound_network", test_where));
        }
        if (!spec.host_test.empty() && spec.forward.empty())
            return Error::bad_input(test_where + ".forward: a host_test needs at least one forwarded port");
        profile.test = spec;
    }
    if (profile.kind == "app" && !profile.app) return Error::bad_input(where + ": an app profile needs an 'app' object");
    if (document.contains("sizes")) {
        if (!document["sizes"].is_object()) return Error::bad_input(where + ": sizes: expected an object");
        profile.sizes = document["sizes"];
    }
    if (document.contains("pruning")) profile.pruning = document["pruning"];
    if (document.contains("file_pruning")) profile.file_pruning = document["file_pruning"];
    if (document.contains("compression")) {
        const auto& record = document["compression"];
        const auto record_where = where + ": compression";
        if (!record.is_object()) return Error::bad_input(record_where + ": expected an object");
        CompressionChoice choice;
        TRY_ASSIGN(choice.goal, optional_string(record, "goal", record_where));
        TRY_ASSIGN(choice.kernel, optional_string(record, "kernel", record_where)); // empty: the architecture has no choice
        TRY_ASSIGN(choice.initramfs, json_string(record, "initramfs", record_where));
        TRY_ASSIGN(choice.why, optional_string(record, "why", record_where));
        if (!choice.kernel.empty()) {
            TRY_ASSIGN(const auto* kernel, find_compression(choice.kernel, record_where + ".kernel"));
            if (kernel->kernel_symbol.empty())
                return Error::bad_input(str(record_where, ".kernel: '", choice.kernel, "' is not a kernel compression"));
        }
        TRY(find_compression(choice.initramfs, record_where + ".initramfs"));
        if (profile.app && profile.app->compression != choice.initramfs)
            return Error::bad_input(str(record_where, ".initramfs: '", choice.initramfs, "' but app.compression is '",
                                        profile.app->compression, "'"));
        profile.compression = choice;
    }
    return profile;
}

void apply_test(const TestSpec& test, harness::BootRequest& boot) {
    boot.target.memory_mb = test.memory_mb;
    boot.target.append = test.append;
    boot.target.outbound_network = test.outbound_network;
    boot.test.timeout_seconds = test.timeout_seconds;
    boot.test.guest_test = test.guest_test;
    boot.test.host_test = test.host_test;
    boot.test.forwards = test.forward;
}

Result<Profile> load_profile(const fs::path& path) {
    TRY_ASSIGN(auto document, read_json_file(path));
    return parse_profile(document, path.string());
}

Json profile_to_json(const Profile& profile) {
    Json out;
    out["schema"] = schema_id;
    out["kind"] = profile.kind;
    out["name"] = profile.name;
    if (!profile.description.empty()) out["description"] = profile.description;
    out["arch"] = profile.arch;
    if (!profile.kernel_version.empty()) out["kernel"] = {{"version", profile.kernel_version}};
    if (!profile.platform.empty()) out["platform"] = profile.platform;
    if (!profile.tinyx_version.empty()) out["tinyx_version"] = profile.tinyx_version;
    Json options = Json::array();
    for (const auto& option : profile.options) {
        Json item = {{"symbol", option.symbol}, {"value", option.value}};
        if (!option.why.empty()) item["why"] = option.why;
        options.push_back(item);
    }
    out["options"] = options;
    if (profile.app) {
        const auto& app = *profile.app;
        Json a = Json::object();
        if (app.image.empty()) {
            a["app"] = app.app;
        } else {
            a["image"] = app.image;
            a["image_digest"] = app.image_digest;
        }
        a["run"] = app.run;
        if (!app.env.empty()) a["env"] = app.env;
        if (!app.user.empty()) a["user"] = app.user;
        if (!app.workdir.empty()) a["workdir"] = app.workdir;
        a["includes"] = app.includes;
        a["excludes"] = app.excludes;
        a["busybox"] = app.busybox;
        a["compression"] = app.compression;
        out["app"] = a;
    }
    if (profile.test) {
        const auto& test = *profile.test;
        Json t;
        if (!test.guest_test.empty()) t["guest_test"] = test.guest_test;
        if (!test.host_test.empty()) t["host_test"] = test.host_test;
        t["forward"] = test.forward;
        t["timeout"] = test.timeout_seconds;
        t["memory"] = test.memory_mb;
        if (!test.append.empty()) t["append"] = test.append;
        if (test.outbound_network) t["outbound_network"] = true;
        out["test"] = t;
    }
    if (!profile.sizes.empty()) out["sizes"] = profile.sizes;
    if (!profile.pruning.is_null()) out["pruning"] = profile.pruning;
    if (!profile.file_pruning.is_null()) out["file_pruning"] = profile.file_pruning;
    if (profile.compression) {
        const auto& choice = *profile.compression;
        out["compression"] = {{"initramfs", choice.initramfs}};
        if (!choice.kernel.empty()) out["compression"]["kernel"] = choice.kernel;
        if (!choice.goal.empty()) out["compression"]["goal"] = choice.goal;
        if (!choice.why.empty()) out["compression"]["why"] = choice.why;
    }
    return out;
}

Result<void> save_profile(const fs::path& path, const Profile& profile) {
    return write_json_file(path, profile_to_json(profile));
}

Result<Profile> merge_profiles(const std::vector<Profile>& profiles) {
    if (profiles.empty()) return Error::bad_input("nothing to merge");
    Profile merged = profiles.front();
    std::map<std::string, std::pair<std::string, std::string>> origin; // symbol -> (value, profile name)
    std::vector<std::string> conflicts;
    merged.options.clear();
    for (const auto& profile : profiles) {
        if (profile.arch != merged.arch)
            conflicts.push_back(str("arch: ", merged.name, " is ", merged.arch, ", ", profile.name, " is ", profile.arch));
        if (!profile.kernel_version.empty() && !merged.kernel_version.empty() &&
            profile.kernel_version != merged.kernel_version)
            conflicts.push_back(str("kernel.version: ", merged.name, " has ", merged.kernel_version, ", ", profile.name,
                                    " has ", profile.kernel_version));
        for (const auto& option : profile.options) {
            auto [it, inserted] = origin.emplace(option.symbol, std::make_pair(option.value, profile.name));
            if (inserted) {
                merged.options.push_back(option);
            } else if (it->second.first != option.value) {
                conflicts.push_back(str(option.symbol, ": ", it->second.second, " sets ", it->second.first, ", ",
                                        profile.name, " sets ", option.value));
            }
        }
    }
    if (!conflicts.empty()) {
        Error error = Error::bad_input(str("profiles conflict in ", conflicts.size(), " place(s)"));
        error.details = conflicts;
        return error;
    }
    return merged;
}

std::vector<std::string> diff_profiles(const Profile& a, const Profile& b) {
    std::vector<std::string> lines;
    std::map<std::string, std::string> left, right;
    for (const auto& o : a.options) left[o.symbol] = o.value;
    for (const auto& o : b.options) right[o.symbol] = o.value;
    for (const auto& [symbol, value] : left) {
        auto it = right.find(symbol);
        if (it == right.end())
            lines.push_back(str("- ", symbol, "=", value));
        else if (it->second != value)
            lines.push_back(str("~ ", symbol, " ", value, " -> ", it->second));
    }
    for (const auto& [symbol, value] : right)
        if (!left.count(symbol)) lines.push_back(str("+ ", symbol, "=", value));
    auto field = [&](const char* name, const std::string& x, const std::string& y) {
        if (x != y) lines.push_back(str("~ ", name, ": '", x, "' -> '", y, "'"));
    };
    field("kind", a.kind, b.kind);
    field("kernel.version", a.kernel_version, b.kernel_version);
    field("platform", a.platform, b.platform);
    AppSpec no_app;
    const auto& app_a = a.app ? *a.app : no_app;
    const auto& app_b = b.app ? *b.app : no_app;
    field("app.app", app_a.app, app_b.app);
    field("app.image", app_a.image, app_b.image);
    field("app.image_digest", app_a.image_digest, app_b.image_digest);
    field("app.env", join(app_a.env, " "), join(app_b.env, " "));
    field("app.user", app_a.user, app_b.user);
    field("app.run", app_a.run, app_b.run);
    field("app.includes", join(app_a.includes, " "), join(app_b.includes, " "));
    TestSpec no_test;
    const auto& test_a = a.test ? *a.test : no_test;
    const auto& test_b = b.test ? *b.test : no_test;
    field("test.guest_test", test_a.guest_test, test_b.guest_test);
    field("test.host_test", test_a.host_test, test_b.host_test);
    field("test.append", test_a.append, test_b.append);
    return lines;
}

std::set<std::string> kept_symbols(const Profile& profile) {
    std::set<std::string> kept;
    for (const auto& option : profile.options)
        if (option.value != "n") kept.insert(option.symbol);
    return kept;
}

std::string config_fragment(const std::vector<OptionSetting>& options) {
    std::string out;
    for (const auto& option : options) {
        if (option.value == "n") {
            out += str("# CONFIG_", option.symbol, " is not set\n");
        } else if (option.value == "y" || option.value == "m" ||
                   option.value.find_first_not_of("0123456789") == std::string::npos ||
                   starts_with(option.value, "0x")) {
            out += str("CONFIG_", option.symbol, "=", option.value, "\n");
        } else {
            std::string escaped;
            for (char c : option.value) {
                if (c == '"' || c == '\\') escaped += '\\';
                escaped += c;
            }
            out += str("CONFIG_", option.symbol, "=\"", escaped, "\"\n");
        }
    }
    return out;
}

fs::path shipped_profiles_dir() {
    if (const char* dir = std::getenv("TINYX_PROFILES_DIR"); dir && *dir) return dir;
    // The binary lives in <tree>/build/ (or an install prefix's bin/); look for profiles/ beside or above it.
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    for (auto dir = exe.parent_path(); !ec && !dir.empty() && dir != dir.parent_path(); dir = dir.parent_path()) {
        if (fs::exists(dir / "profiles" / "baselets")) return dir / "profiles";
        if (fs::exists(dir / "share" / "tinyx" / "profiles")) return dir / "share" / "tinyx" / "profiles";
    }
    return TINYX_DEFAULT_PROFILES_DIR;
}

AppSpec rebase_host_paths(AppSpec app, const fs::path& directory) {
    auto rebase = [&](const std::string& host) {
        if (host.empty() || fs::path(host).is_absolute()) return host;
        return (directory / host).lexically_normal().string();
    };
    for (auto& include : app.includes) {
        const auto colon = include.find(':');
        include = rebase(include.substr(0, colon)) + (colon == std::string::npos ? "" : include.substr(colon));
    }
    // A package name has no slash; "./server" or "bin/server" is a path.
    if (app.app.find('/') != std::string::npos) app.app = rebase(app.app);
    // An image's path, after its transport: oci:images/nginx:1 -> oci:/abs/images/nginx:1.
    if (auto colon = app.image.find(':'); colon != std::string::npos) {
        const std::string rest = app.image.substr(colon + 1);
        if (!rest.empty() && rest[0] != '/') app.image = app.image.substr(0, colon + 1) + rebase(rest);
    }
    return app;
}

std::string app_label(const AppSpec& app) { return app.image.empty() ? app.app : app.image; }

} // namespace tinyx::profiles
