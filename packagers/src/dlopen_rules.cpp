#include "dlopen_rules.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <set>

namespace tinyx::packagers {

namespace fs = std::filesystem;

namespace {

// NSS services that answer from local files or the network alone. Others need a
// daemon the image does not run (systemd, sss, nis/ypbind, ldap/nslcd, mdns/avahi,
// resolve/systemd-resolved): their modules would only add size and time-outs.
const char* const k_self_contained_services[] = {"files", "dns", "compat", "db", "myhostname", "hesiod"};

// glibc >= 2.34 has files and dns built in; their libnss_*.so.2 are compatibility stubs.
const char* const k_builtin_services[] = {"files", "dns"};

const char* const k_nss_data_files[] = {"/etc/services", "/etc/protocols", "/etc/host.conf", "/etc/networks", "/etc/ethers",
                                        "/etc/rpc"};

const char* const k_nss_symbols[] = {"getpwnam", "getpwuid", "getpwnam_r", "getpwuid_r", "getgrnam", "getgrgid", "getgrnam_r",
                                     "getgrgid_r", "initgroups", "getgrouplist", "getaddrinfo", "getnameinfo", "gethostbyname",
                                     "gethostbyname_r", "gethostbyname2", "gethostbyaddr", "getservbyname", "getservbyname_r",
                                     "getprotobyname", "getprotobyname_r", "getspnam", "getpwent", "getgrent"};

const char* const k_thread_symbols[] = {"pthread_create", "pthread_cancel", "pthread_exit"};

bool contains(const char* const* begin, const char* const* end, const std::string& word) {
    return std::any_of(begin, end, [&](const char* w) { return word == w; });
}

} // namespace

const std::vector<DlopenRule>& dlopen_rules() {
    static const std::vector<DlopenRule> rules = {
        {"nss",
         "the closure has libc.so.6 and calls a name-service function (getpwnam, getaddrinfo, initgroups, ...)",
         "libnss_<service>.so.2 for the self-contained services /etc/nsswitch.conf names (files, dns, compat, db, myhostname); "
         "a filtered /etc/nsswitch.conf; /etc/services, /etc/protocols, /etc/host.conf, /etc/networks, /etc/ethers, /etc/rpc "
         "when present; a generated /etc/hosts (localhost and the guest's hostname) and, when the host has one, "
         "/etc/resolv.conf pointing at QEMU's user-network DNS (10.0.2.3)",
         "glibc loads NSS modules with dlopen() as nsswitch.conf says, and reads these files to answer user, group, host, "
         "service and protocol lookups; without them `user www-data;` or `-u nobody` fails in the guest"},
        {"gconv",
         "the closure imports iconv_open",
         "the gconv directory next to libc (gconv-modules, gconv-modules.d/, gconv-modules.cache and every module)",
         "iconv_open() dlopen()s a converter module listed in gconv-modules; a missing one fails with EINVAL at run time, "
         "and which charsets an app will convert is not knowable from its headers"},
        {"libgcc_s",
         "the closure imports pthread_create, pthread_cancel or pthread_exit",
         "libgcc_s.so.1 and its closure",
         "glibc dlopen()s libgcc_s.so.1 to unwind a thread's stack on cancellation or pthread_exit; without it the "
         "process aborts with 'libgcc_s.so.1 must be installed for pthread_cancel to work'"},
    };
    return rules;
}

std::string filter_nsswitch(const std::string& host_text, const std::vector<std::string>& available_services) {
    std::string out = "# The host's nsswitch.conf, with services that need a daemon this image does not run removed (tinyx).\n";
    for (const auto& raw : split_lines(host_text)) {
        std::string_view line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string database(trim(line.substr(0, colon)));
        std::vector<std::string> kept;
        bool keep_actions = false;
        std::string rest(line.substr(colon + 1));
        std::string word;
        std::vector<std::string> words;
        // Split into service names and [ACTION] groups (which may hold spaces).
        for (std::size_t i = 0; i < rest.size();) {
            if (rest[i] == '[') {
                auto close = rest.find(']', i);
                words.push_back(rest.substr(i, close == std::string::npos ? std::string::npos : close - i + 1));
                i = close == std::string::npos ? rest.size() : close + 1;
            } else if (rest[i] == ' ' || rest[i] == '\t') {
                ++i;
            } else {
                auto end = rest.find_first_of(" \t[", i);
                words.push_back(rest.substr(i, end == std::string::npos ? std::string::npos : end - i));
                i = end == std::string::npos ? rest.size() : end;
            }
        }
        for (const auto& w : words) {
            if (w[0] == '[') {
                if (keep_actions) kept.push_back(w);
                continue;
            }
            keep_actions = std::find(available_services.begin(), available_services.end(), w) != available_services.end();
            if (keep_actions) kept.push_back(w);
        }
        if (kept.empty() || kept[0][0] == '[') kept.insert(kept.begin(), "files");
        out += database + ": " + join(kept, " ") + "\n";
    }
    return out;
}

Result<std::vector<DlopenAddition>> apply_dlopen_rules(const ElfClosure& closure, const LibraryResolver& resolver,
                                                       const std::string& hostname) {
    const SourceRoot& root = resolver.root(); // every file is looked up inside it, links resolved there
    std::vector<DlopenAddition> additions;
    auto find_library = [&](const std::string& name) -> std::optional<fs::path> {
        for (const auto& dir : resolver.system_directories())
            if (root.is_regular_file(dir / name)) return dir / name;
        return std::nullopt;
    };

    // nss
    const bool uses_nss = closure.contains_soname("libc.so.6") &&
                          std::any_of(std::begin(k_nss_symbols), std::end(k_nss_symbols), [&](const char* s) { return closure.imports(s); });
    if (uses_nss) {
        std::string host_nsswitch = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
                                    "protocols: files\nservices: files\nethers: files\nrpc: files\n";
        if (auto nsswitch = root.canonical("/etc/nsswitch.conf")) {
            TRY_ASSIGN(host_nsswitch, read_file(root.real(*nsswitch)));
        }
        std::set<std::string> named;
        for (const auto& raw : split_lines(host_nsswitch)) {
            std::string_view line = trim(raw);
            if (line.empty() || line[0] == '#' || line.find(':') == std::string_view::npos) continue;
            for (auto& w : split(std::string(line.substr(line.find(':') + 1)), ' '))
                if (!w.empty() && w[0] != '[' && std::isalpha(static_cast<unsigned char>(w[0]))) named.insert(std::string(trim(w)));
        }
        std::vector<std::string> available;
        for (const auto& service : named) {
            if (!contains(std::begin(k_self_contained_services), std::end(k_self_contained_services), service)) continue;
            auto module = find_library("libnss_" + service + ".so.2");
            if (module) {
                additions.push_back({"nss", *module, "", "", str("libnss_", service, ".so.2 for the '", service, "' service")});
                available.push_back(service);
            } else if (contains(std::begin(k_builtin_services), std::end(k_builtin_services), service)) {
                available.push_back(service);
            }
        }
        additions.push_back({"nss", "", "/etc/nsswitch.conf", filter_nsswitch(host_nsswitch, available), "name-service switch"});
        for (const char* file : k_nss_data_files)
            if (root.is_regular_file(file))
                additions.push_back({"nss", file, file, "", "name-service data"});
        additions.push_back({"nss", "", "/etc/hosts",
                             str("127.0.0.1\tlocalhost\n127.0.1.1\t", hostname, "\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
                             "host names: localhost and the guest's own name"});
        if (root.exists("/etc/resolv.conf"))
            additions.push_back({"nss", "", "/etc/resolv.conf", "nameserver 10.0.2.3\n",
                                 "DNS through QEMU's user network (the host's resolver address means nothing in the guest)"});
    }

    // gconv
    if (closure.imports("iconv_open")) {
        for (const auto& dir : resolver.system_directories()) {
            auto resolved = root.canonical(dir / "gconv");
            if (!resolved || !root.is_directory(*resolved)) continue;
            const fs::path gconv = root.real(*resolved);
            std::error_code ec;
            std::vector<fs::path> files;
            for (fs::recursive_directory_iterator it(gconv, ec), end; !ec && it != end; it.increment(ec))
                if (it->is_regular_file() || it->is_symlink()) files.push_back(dir / "gconv" / it->path().lexically_relative(gconv));
            std::sort(files.begin(), files.end());
            for (const auto& f : files) additions.push_back({"gconv", f, "", "", "iconv converter"});
            break;
        }
    }

    // libgcc_s
    if (std::any_of(std::begin(k_thread_symbols), std::end(k_thread_symbols), [&](const char* s) { return closure.imports(s); }) &&
        !closure.contains_soname("libgcc_s.so.1")) {
        if (auto lib = find_library("libgcc_s.so.1")) additions.push_back({"libgcc_s", *lib, "", "", "thread cancellation unwinder"});
    }
    return additions;
}

} // namespace tinyx::packagers
