// tinyx profile show|diff|merge|validate: inspect and combine profiles (docs/profiles.md).
#include "commands.hpp"
#include "core/strings.hpp"
#include "profiles/profile.hpp"

#include <iostream>
#include <memory>

namespace tinyx::cli {
namespace {

struct ProfileOptions {
    std::vector<std::string> files;
    std::string out;
    bool json = false;
};

Result<int> show(const ProfileOptions& options) {
    TRY_ASSIGN(auto profile, profiles::load_profile(options.files.at(0)));
    if (options.json) {
        std::cout << dump_json(profiles::profile_to_json(profile));
        return 0;
    }
    std::cout << profile.kind << " profile '" << profile.name << "'";
    if (!profile.kernel_version.empty()) std::cout << " for Linux " << profile.kernel_version;
    std::cout << " (" << profile.arch << (profile.platform.empty() ? "" : ", platform " + profile.platform) << ")\n";
    if (!profile.description.empty()) std::cout << profile.description << "\n";
    if (profile.app) {
        std::cout << "app:     " << profile.app->app << "\n";
        if (!profile.app->run.empty()) std::cout << "run:     " << profile.app->run << "\n";
        for (const auto& include : profile.app->includes) std::cout << "include: " << include << "\n";
    }
    if (profile.test) {
        if (!profile.test->guest_test.empty()) std::cout << "guest test: " << profile.test->guest_test << "\n";
        if (!profile.test->host_test.empty()) std::cout << "host test:  " << profile.test->host_test << "\n";
        if (!profile.test->forward.empty()) {
            std::vector<std::string> ports;
            for (int port : profile.test->forward) ports.push_back(std::to_string(port));
            std::cout << "forward:    " << join(ports, ", ") << "\n";
        }
    }
    std::cout << profile.options.size() << " options:\n";
    for (const auto& option : profile.options)
        std::cout << "  " << option.symbol << "=" << option.value << (option.why.empty() ? "" : "  # " + option.why)
                  << "\n";
    if (!profile.sizes.empty()) {
        for (const auto& [key, value] : profile.sizes.items())
            if (value.is_number_integer()) std::cout << key << ": " << human_bytes(value.get<unsigned long long>()) << "\n";
    }
    return 0;
}

Result<int> validate(const ProfileOptions& options) {
    for (const auto& file : options.files) {
        TRY(profiles::load_profile(file));
        std::cout << file << ": valid\n";
    }
    return 0;
}

Result<int> diff(const ProfileOptions& options) {
    if (options.files.size() != 2) return Error::bad_input("profile diff takes exactly two profiles");
    TRY_ASSIGN(auto a, profiles::load_profile(options.files[0]));
    TRY_ASSIGN(auto b, profiles::load_profile(options.files[1]));
    auto lines = profiles::diff_profiles(a, b);
    for (const auto& line : lines) std::cout << line << "\n";
    return lines.empty() ? 0 : 1; // like diff(1): 1 = they differ
}

Result<int> merge(const ProfileOptions& options) {
    std::vector<profiles::Profile> loaded;
    for (const auto& file : options.files) {
        TRY_ASSIGN(auto profile, profiles::load_profile(file));
        loaded.push_back(std::move(profile));
    }
    TRY_ASSIGN(auto merged, profiles::merge_profiles(loaded));
    if (options.out.empty()) {
        std::cout << dump_json(profiles::profile_to_json(merged));
    } else {
        TRY(profiles::save_profile(options.out, merged));
        std::cerr << "tinyx: merged " << loaded.size() << " profiles (" << merged.options.size() << " options) into "
                  << options.out << "\n";
    }
    return 0;
}

} // namespace

void setup_profile(CLI::App& app, Runner& runner) {
    auto* cmd = app.add_subcommand("profile", "Show, compare, merge and validate profiles");
    cmd->require_subcommand(1);
    cmd->footer("Examples:\n"
                "  tinyx profile show profiles/apps/busybox-httpd.json\n"
                "  tinyx profile validate my.json            names the exact field on errors\n"
                "  tinyx profile diff old.json new.json      exit 1 when they differ\n"
                "  tinyx profile merge profiles/baselets/qemu-x86_64.json profiles/apps/busybox-httpd.json --out combined.json");
    auto options = std::make_shared<ProfileOptions>();

    auto* show_cmd = cmd->add_subcommand("show", "Print a profile in readable form");
    show_cmd->add_option("profile", options->files, "Profile file")->required()->expected(1)->check(CLI::ExistingFile);
    show_cmd->add_flag("--json", options->json, "Print the normalised JSON instead");
    show_cmd->footer("Example:\n  tinyx profile show profiles/baselets/qemu-x86_64.json");
    show_cmd->callback([options, &runner] { runner = [options] { return show(*options); }; });

    auto* validate_cmd = cmd->add_subcommand("validate", "Check profiles against the schema (exit 2 naming the field)");
    validate_cmd->add_option("profiles", options->files, "Profile files")->required()->check(CLI::ExistingFile);
    validate_cmd->footer("Example:\n  tinyx profile validate profiles/apps/*.json");
    validate_cmd->callback([options, &runner] { runner = [options] { return validate(*options); }; });

    auto* diff_cmd = cmd->add_subcommand("diff", "Option-level and field-level difference of two profiles");
    diff_cmd->add_option("profiles", options->files, "Two profile files")->required()->expected(2)->check(CLI::ExistingFile);
    diff_cmd->footer("Example:\n  tinyx profile diff profiles/apps/busybox-httpd.json out/httpd/profile.json");
    diff_cmd->callback([options, &runner] { runner = [options] { return diff(*options); }; });

    auto* merge_cmd = cmd->add_subcommand("merge", "Union of the options of several profiles; conflicts are errors");
    merge_cmd->add_option("profiles", options->files, "Profile files")->required()->check(CLI::ExistingFile);
    merge_cmd->add_option("--out", options->out, "Write the merged profile here (default: stdout)");
    merge_cmd->footer("Example:\n  tinyx profile merge out/nginx/profile.json out/redis/profile.json --out both.json");
    merge_cmd->callback([options, &runner] { runner = [options] { return merge(*options); }; });
}

} // namespace tinyx::cli
