#include "core/fs.hpp"
#include "dlopen_rules.hpp"
#include "dpkg.hpp"
#include "file_rules.hpp"
#include "users.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tinyx;
using namespace tinyx::packagers;

TEST_CASE("parse_depends: versions, alternatives and arch qualifiers") {
    auto groups = parse_depends("libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any");
    REQUIRE(groups.size() == 3);
    CHECK(groups[0] == std::vector<std::string>{"libc6"});
    CHECK(groups[1] == std::vector<std::string>{"debconf", "debconf-2.0"});
    CHECK(groups[2] == std::vector<std::string>{"python3"});
}

TEST_CASE("PackageDb: diversions, native arch, application packages") {
    auto temp = TempDir::create("tinyx-dpkg-");
    REQUIRE(temp);
    REQUIRE(write_file_atomic(temp->path() / "app.list", "/.\n/usr\n/usr/sbin/appd\n/etc/app.conf\n"));
    REQUIRE(write_file_atomic(temp->path() / "app-common.list", "/.\n/etc/app/main.conf\n"));
    const std::string query =
        "app\tamd64\tii \tapp\thttpd\toptional\tno\t\tlibc6 (>= 2.34), app-common | app-other, iproute2, missing-pkg\n"
        "app-common\tall\tii \tapp\thttpd\toptional\tno\t\tdebconf\n"
        "libc6\tamd64\tii \tglibc\tlibs\toptional\tno\t\t\n"
        "libc6\ti386\tii \tglibc\tlibs\toptional\tno\t\t\n"
        "iproute2\tamd64\tii \tiproute2\tnet\timportant\tno\t\t\n"
        "debconf\tall\tii \tdebconf\tadmin\trequired\tno\t\t\n"
        "removed\tamd64\trc \tremoved\tnet\toptional\tno\t\t\n";
    const std::string diversions = "diversion of /usr/sbin/appd to /usr/sbin/appd.real by other\n"
                                   "diversion of /etc/app.conf to /etc/app.conf.orig by app\n";
    auto db = PackageDb::from_text(query, diversions, "amd64", temp->path());
    REQUIRE(db);
    REQUIRE(db->find("app"));
    CHECK_FALSE(db->find("removed"));
    CHECK_FALSE(db->find("nonexistent"));
    REQUIRE(db->find("libc6"));
    CHECK(db->find("libc6")->architecture == "amd64");
    CHECK(db->find("libc6:i386")->architecture == "i386");

    auto files = db->files(*db->find("app"));
    REQUIRE(files);
    CHECK(*files == std::vector<std::string>{"/usr", "/usr/sbin/appd.real", "/etc/app.conf"});

    std::vector<std::string> names;
    for (const auto* p : db->application_packages(*db->find("app"))) names.push_back(p->name);
    CHECK(names == std::vector<std::string>{"app", "app-common"}); // not libc6 (libs), iproute2 (important), debconf (required)
}

TEST_CASE("PackageDb on the real dpkg database: nginx-light reaches nginx and nginx-common, not libc") {
    auto db = PackageDb::load();
    REQUIRE(db);
    const PackageInfo* nginx_light = db->find("nginx-light");
    REQUIRE(nginx_light);
    std::vector<std::string> names;
    for (const auto* p : db->application_packages(*nginx_light)) names.push_back(p->name);
    CHECK(std::count(names.begin(), names.end(), "nginx") == 1);
    CHECK(std::count(names.begin(), names.end(), "nginx-common") == 1);
    CHECK(std::count(names.begin(), names.end(), "libc6") == 0);
    CHECK(std::count(names.begin(), names.end(), "iproute2") == 0);
    auto files = db->files(*db->find("nginx-common"));
    REQUIRE(files);
    CHECK(std::count(files->begin(), files->end(), "/etc/nginx/nginx.conf") == 1);
}

TEST_CASE("classify_package_path keeps config, data, state and programs; drops docs and init glue") {
    CHECK(classify_package_path("/etc/nginx/nginx.conf") == FileRole::config);
    CHECK(classify_package_path("/usr/share/nginx/html/index.html") == FileRole::data);
    CHECK(classify_package_path("/usr/lib/nginx/modules/x.so") == FileRole::data);
    CHECK(classify_package_path("/var/lib/nginx") == FileRole::state);
    CHECK(classify_package_path("/usr/sbin/nginx") == FileRole::program);
    for (const char* dropped : {"/usr/share/doc/nginx/copyright", "/usr/share/man/man8/nginx.8.gz", "/usr/share/locale/de/x.mo",
                                "/usr/share/lintian/overrides/x", "/usr/share/bug/x", "/etc/init.d/nginx", "/etc/logrotate.d/nginx",
                                "/lib/systemd/system/nginx.service", "/usr/share/vim/addons/syntax/nginx.vim", "/usr/include/x.h",
                                "/etc/default/nginx", "/usr/share/apport/package-hooks/source_nginx.py"})
        CHECK(classify_package_path(dropped) == FileRole::dropped);
}

TEST_CASE("state_directories_in_config: directories and the parents of files under /var and /run") {
    auto never_a_dir = [](const std::string&) { return false; };
    auto dirs = state_directories_in_config("dir /var/lib/redis\n"
                                            "logfile /var/log/redis/redis-server.log\n"
                                            "pidfile \"/run/app/app.pid\"\n"
                                            "# dir /var/lib/commented\n"
                                            "root /var/www/html;\n"
                                            "error_log /var/log/x.log;\n" // parent is the shared /var/log
                                            "include /etc/other/*.conf;\n",
                                            never_a_dir);
    CHECK(dirs == std::vector<std::string>{"/run/app", "/var/lib/redis", "/var/log/redis", "/var/www/html"});
}

TEST_CASE("users: config and command names, rendering") {
    auto db = UserDb::from_text("root:x:0:0:root:/root:/bin/bash\n"
                                "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                                "alice:x:1000:1000::/home/alice:/bin/bash\n",
                                "root:x:0:\nadm:x:4:alice\nwww-data:x:33:\nnogroup:x:65534:\nalice:x:1000:\n");
    CHECK(accounts_named_in_config("user www-data;\n#user alice;\nworker_processes auto;\n", db) == std::vector<std::string>{"www-data"});
    CHECK(accounts_named_in_config("username = \"www-data\"\n", db) == std::vector<std::string>{"www-data"});
    CHECK(accounts_named_in_config("User nobody\nGroup nogroup\n", db) == std::vector<std::string>{"nobody", "nogroup"});
    CHECK(accounts_named_in_command({"app", "-u", "nobody", "--group=www-data"}, db) == std::vector<std::string>{"nobody", "www-data"});

    UserSelection selection(db);
    CHECK(selection.add_user("root", "r"));
    CHECK(selection.add_user("www-data", "config"));
    CHECK_FALSE(selection.add_user("nosuchuser", "x"));
    CHECK(selection.add_gid(4, "group of /var/log/x"));
    CHECK(selection.render_passwd() == "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n");
    CHECK(selection.render_group() == "root:x:0:\nadm:x:4:\nwww-data:x:33:\n"); // alice is not in the image
}

TEST_CASE("filter_nsswitch keeps self-contained services") {
    const std::string host = "# comment\npasswd: files systemd\nhosts: files mdns4_minimal [NOTFOUND=return] dns\nnetgroup: nis\n";
    CHECK(filter_nsswitch(host, {"files", "dns"}).find("passwd: files\nhosts: files dns\nnetgroup: files\n") != std::string::npos);
}

TEST_CASE("dlopen rules on real closures") {
    auto resolver = LibraryResolver::load();
    REQUIRE(resolver);
    ElfClosure closure(*resolver);
    REQUIRE(closure.add_root("/usr/sbin/nginx", "app"));
    auto additions = apply_dlopen_rules(closure, *resolver, "tinyx");
    REQUIRE(additions);
    auto has = [&](const std::string& rule, const std::string& name) {
        return std::any_of(additions->begin(), additions->end(), [&](const DlopenAddition& a) {
            return a.rule == rule && (a.host_path.filename() == name || a.guest_path == name);
        });
    };
    CHECK(has("nss", "libnss_files.so.2"));
    CHECK(has("nss", "/etc/nsswitch.conf"));
    CHECK(has("nss", "/etc/hosts"));
    CHECK(has("libgcc_s", "libgcc_s.so.1") == closure.imports("pthread_create"));
    CHECK_FALSE(has("nss", "libnss_systemd.so.2")); // needs systemd running
    CHECK(dlopen_rules().size() == 3);

    ElfClosure static_closure(*resolver);
    REQUIRE(static_closure.add_root("/bin/busybox", "static"));
    auto none = apply_dlopen_rules(static_closure, *resolver, "tinyx");
    REQUIRE(none);
    CHECK(none->empty());
}
