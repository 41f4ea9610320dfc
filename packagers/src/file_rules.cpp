#include "file_rules.hpp"

#include "core/arch.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

namespace tinyx::packagers {

namespace {

bool under(const std::string& path, std::string_view dir) {
    return path == dir || (starts_with(path, dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

// Paths whose contents serve other software, never the app inside a single-app VM.
const char* const k_dropped_dirs[] = {
    // documentation and localisation
    "/usr/share/doc", "/usr/share/doc-base", "/usr/share/man", "/usr/share/info", "/usr/share/locale", "/usr/share/gtk-doc",
    "/usr/share/help", "/usr/share/lintian", "/usr/share/bug", "/usr/share/reportbug", "/usr/share/apport",
    // editors and shells
    "/usr/share/vim", "/usr/share/emacs", "/usr/share/nano", "/usr/share/bash-completion", "/usr/share/zsh", "/usr/share/fish",
    "/etc/bash_completion.d",
    // desktop integration
    "/usr/share/menu", "/usr/share/applications", "/usr/share/icons", "/usr/share/pixmaps", "/usr/share/metainfo",
    "/usr/share/appdata", "/usr/share/mime",
    // init systems, service managers and periodic jobs (tinyx's /init starts the app)
    "/etc/init.d", "/etc/init", "/etc/default", "/etc/logrotate.d", "/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly",
    "/etc/cron.weekly", "/etc/cron.monthly", "/etc/systemd", "/lib/systemd", "/usr/lib/systemd", "/usr/lib/tmpfiles.d",
    "/usr/lib/sysusers.d", "/usr/lib/sysctl.d", "/etc/sysctl.d", "/usr/lib/modules-load.d", "/etc/insserv.conf.d",
    "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/rcS.d",
    "/lib/udev", "/usr/lib/udev", "/etc/udev", "/usr/share/dbus-1", "/etc/dbus-1", "/usr/share/polkit-1",
    "/etc/ufw", "/etc/apparmor.d", "/etc/update-motd.d", "/usr/share/initramfs-tools", "/etc/initramfs-tools",
    "/usr/lib/lsb", "/lib/lsb",
    // build-time files
    "/usr/include", "/usr/lib/pkgconfig", "/usr/share/pkgconfig", "/usr/src",
    "/usr/share/debhelper", "/usr/share/aclocal", "/usr/share/cmake",
};

const char* const k_program_dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/libexec", "/usr/local/bin", "/usr/local/sbin"};

} // namespace

const char* file_role_name(FileRole role) {
    switch (role) {
    case FileRole::dropped: return "dropped";
    case FileRole::config: return "config";
    case FileRole::data: return "data";
    case FileRole::state: return "state";
    case FileRole::program: return "program";
    }
    return "data";
}

FileRole classify_package_path(const std::string& path) {
    for (const char* dir : k_dropped_dirs)
        if (under(path, dir)) return FileRole::dropped;
    // pkg-config files of a multiarch library directory (/usr/lib/<triplet>/pkgconfig): build-time only.
    for (const auto& name : arch_names())
        if (under(path, str("/usr/lib/", find_arch(name).value()->multiarch, "/pkgconfig"))) return FileRole::dropped;
    if (ends_with(path, ".a") || ends_with(path, ".la") || ends_with(path, ".h")) return FileRole::dropped;
    if (under(path, "/etc")) return FileRole::config;
    if (under(path, "/var") || under(path, "/run") || under(path, "/srv")) return FileRole::state;
    for (const char* dir : k_program_dirs)
        if (under(path, dir)) return FileRole::program;
    if (under(path, "/usr/share") || under(path, "/usr/lib") || under(path, "/lib") || under(path, "/lib64") ||
        under(path, "/usr/lib64") || under(path, "/opt") || under(path, "/usr/local"))
        return FileRole::data;
    if (path == "/usr") return FileRole::data;
    return FileRole::dropped; // /boot, /usr/games and other places an app server does not live
}

bool is_shared_state_root(const std::string& dir) {
    static const std::set<std::string> roots = {"/var", "/run", "/var/log", "/var/lib", "/var/cache", "/var/run", "/var/spool",
                                                "/var/tmp", "/var/www", "/var/backups", "/var/local", "/var/mail", "/var/opt", "/srv"};
    return roots.count(dir) > 0;
}

bool looks_like_text(const std::string& bytes) { return bytes.find('\0') == std::string::npos; }

std::vector<std::string> state_directories_in_config(const std::string& text, const std::function<bool(const std::string&)>& is_directory_on_host) {
    std::set<std::string> dirs;
    for (const auto& raw_line : split_lines(text)) {
        std::string_view line = trim(raw_line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        std::size_t at = 0;
        while ((at = line.find('/', at)) != std::string_view::npos) {
            // A path token starts after a separator.
            if (at > 0 && std::string_view(" \t=\"':(,").find(line[at - 1]) == std::string_view::npos) {
                ++at;
                continue;
            }
            std::size_t end = line.find_first_of(" \t\"';,)#", at);
            std::string token(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
            at = end == std::string_view::npos ? line.size() : end;
            if (token.find('*') != std::string::npos || token.find('$') != std::string::npos) continue;
            std::string path = std::filesystem::path(token).lexically_normal().string();
            while (path.size() > 1 && path.back() == '/') path.pop_back();
            if (!(under(path, "/var") || under(path, "/run")) || path == "/var" || path == "/run") continue;
            std::string last = std::filesystem::path(path).filename().string();
            const bool is_file = !is_directory_on_host(path) && last.find('.') != std::string::npos;
            std::string dir = is_file ? std::filesystem::path(path).parent_path().string() : path;
            if (!is_shared_state_root(dir)) dirs.insert(dir);
        }
    }
    return {dirs.begin(), dirs.end()};
}

} // namespace tinyx::packagers
