// Profiles: the reusable record of what an image needs (docs/profiles.md).
//
// Three kinds share one schema ("tinyx-profile/1"):
//  - baselet: options a platform needs to boot at all (profiles/baselets/), never pruned;
//  - pool:    candidate options pruning may keep or drop (profiles/pools/);
//  - app:     what pruning kept for one application, with its run command, image inputs,
//             test and sizes (profiles/apps/), so a rebuild needs no trials.
// Loading validates everything and names the exact field that is wrong
// ("nginx.json: test.forward[0]: expected a port number 1-65535").
#pragma once

#include "core/arch.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "harness/boot.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tinyx::profiles {

inline constexpr const char* schema_id = "tinyx-profile/1";

struct OptionSetting {
    std::string symbol; // without CONFIG_
    std::string value;  // y, m, n, a number or a string as in .config (strings unquoted)
    std::string why;    // the reason it is there (evidence for app profiles)
    bool operator==(const OptionSetting&) const = default;
};

// How the image is gathered (mirrors `tinyx rootfs` options).
struct AppSpec {
    std::string app; // package name, ELF path or directory; empty for a container image
    std::string image;        // container image reference (oci:DIR[:TAG], ...) instead of app
    std::string image_digest; // the image's digest the profile was built from (checked on rebuild)
    std::vector<std::string> env; // NAME=VALUE
    std::string user;             // NAME[:GROUP] or UID[:GID]; empty: root (or the image's User)
    std::string workdir;          // empty: / (or the image's WorkingDir)
    std::string run;
    std::vector<std::string> includes; // HOST[:GUEST]
    std::vector<std::string> excludes; // globs
    bool busybox = true;
    std::string compression = "xz";
};

// How the image is judged (mirrors `tinyx boot` options).
struct TestSpec {
    std::string guest_test;
    std::string host_test;
    std::vector<int> forward;
    int timeout_seconds = 120;
    int memory_mb = 256;
    std::string append; // extra kernel arguments (boot options kept by pruning)
    bool outbound_network = false; // the guest may reach the outside (default: forwarded ports only)
};

// How a build compressed the kernel and the initramfs, and why (tinyx build --optimize). A rebuild
// compresses the same way, and its kernel keeps only the initramfs decompressor it needs.
struct CompressionChoice {
    std::string goal;      // "size", "boot" or "balanced"; empty when flags fixed both
    std::string kernel;    // core/compression.hpp names
    std::string initramfs;
    std::string why;       // the rule's outcome, one sentence
    bool operator==(const CompressionChoice&) const = default;
};

struct Profile {
    std::string kind; // "baselet", "pool" or "app"
    std::string name;
    std::string description;
    std::string arch = std::string(kDefaultArch);
    std::string kernel_version; // "6.1.192"; empty = any
    std::string platform;       // baselet name an app profile was built on, e.g. "qemu-x86_64"
    std::string tinyx_version;
    std::vector<OptionSetting> options;
    std::optional<AppSpec> app;
    std::optional<TestSpec> test;
    Json sizes = Json::object();   // kernel_bytes, initramfs_bytes, ...
    Json pruning = nullptr;        // the pruning report's summary, null if never pruned
    Json file_pruning = nullptr;   // the file pruning's summary (search, candidates, trials, removed, bytes), null if none
    // Unset in profiles made before it was recorded: the kernel keeps tinyconfig's compression
    // and every decompressor, the initramfs app.compression.
    std::optional<CompressionChoice> compression;
};

Result<Profile> parse_profile(const Json& document, const std::string& where);
Result<Profile> load_profile(const fs::path& path);
Json profile_to_json(const Profile& profile);
Result<void> save_profile(const fs::path& path, const Profile& profile);

// Union of options; the same symbol with different values is a conflict, reported
// with both sources. The first profile's name/app/test are kept.
Result<Profile> merge_profiles(const std::vector<Profile>& profiles);

// Human-readable, line-per-difference comparison ("+ EPOLL=y", "- AIO=y", "~ NR_CPUS 1 -> 2", "test.host_test: ...").
std::vector<std::string> diff_profiles(const Profile& a, const Profile& b);

// The one place a profile's test becomes a boot: the test, its ports and timeout, and what it
// asks of the guest (memory, kernel arguments, outbound network) on top of `boot`'s target.
void apply_test(const TestSpec& test, harness::BootRequest& boot);

// Symbols the profile turns on (y, m or a value): what its pruning kept.
std::set<std::string> kept_symbols(const Profile& profile);

// The options as .config lines ("CONFIG_X=y", "# CONFIG_Y is not set", strings quoted).
std::string config_fragment(const std::vector<OptionSetting>& options);

// Where the shipped profiles live: $TINYX_PROFILES_DIR, else <source>/profiles next to the binary's tree.
fs::path shipped_profiles_dir();

// Host paths in an app spec (the HOST part of includes, an app given as a path)
// with every relative one resolved against `directory`. A profile's relative
// paths are relative to the profile file's own directory, so a profile can ship
// next to the files it includes; a profile a build writes holds absolute paths.
AppSpec rebase_host_paths(AppSpec app, const fs::path& directory);

// What names the app in messages and default profile names: the package, path or image reference.
std::string app_label(const AppSpec& app);

} // namespace tinyx::profiles
