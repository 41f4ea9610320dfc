#include "file_pruning.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fnmatch.h>

using namespace tinyx;
using namespace tinyx::pipeline;

TEST_CASE("file pruning: literal paths become globs that match only themselves", "[build][files]") {
    for (std::string path : {"/etc/nginx/koi-utf", "/srv/a[1]*?.txt", "/x\\y"}) {
        auto glob = literal_glob(path);
        CHECK(::fnmatch(glob.c_str(), path.c_str(), 0) == 0);
    }
    CHECK(::fnmatch(literal_glob("/srv/a[1]").c_str(), "/srv/a1", 0) != 0);
    CHECK(::fnmatch(literal_glob("/srv/*").c_str(), "/srv/x", 0) != 0);
}

TEST_CASE("file pruning: a real nginx image protects its program, ELF closure and init, nothing else", "[build][files]") {
    auto dir = TempDir::create("tinyx-file-pruning-");
    REQUIRE(dir);
    packagers::RootfsRequest request;
    request.app = "nginx-light";
    request.run = "nginx -g 'daemon off;'";
    request.busybox = false;
    request.compression = "none";
    request.out_dir = dir->path() / "image";
    auto image = packagers::build_rootfs(request);
    REQUIRE(image);
    const auto guarded = protected_paths(image->manifest_json);
    for (const char* path : {"/init", "/etc/tinyx/init.conf", "/usr/sbin/nginx", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                             "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                             "/usr/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}) {
        INFO(path);
        CHECK(guarded.count(path));
    }
    // The symlink's target follows the symlink into protection.
    bool libz_target = std::any_of(guarded.begin(), guarded.end(),
                                   [](const std::string& p) { return p.rfind("/usr/lib/x86_64-linux-gnu/libz.so.1.", 0) == 0; });
    CHECK(libz_target);
    // Package data, configuration and dlopen'ed extras are for the test to decide.
    for (const char* path : {"/etc/nginx/koi-utf", "/etc/nginx/nginx.conf", "/etc/services", "/etc/passwd",
                             "/usr/lib/x86_64-linux-gnu/libnss_files.so.2"}) {
        INFO(path);
        CHECK_FALSE(guarded.count(path));
    }
}

TEST_CASE("file pruning: only what the program needs to start is protected, not its plugins' libraries", "[build][files]") {
    // The shape of an interpreter's image: the program is a symlink, its target's closure is
    // protected; an extension module's closure is the test's to decide, like the module.
    const Json manifest = Json::parse(R"json({
      "run": ["/usr/bin/python3", "-m", "http.server"],
      "files": [
        {"path": "/init", "type": "file", "reason": "tinyx guest init"},
        {"path": "/usr/bin/python3", "type": "symlink", "reason": "package python3-minimal program"},
        {"path": "/usr/bin/python3.11", "type": "file", "reason": "target of symlink /usr/bin/python3"},
        {"path": "/usr/lib/x86_64-linux-gnu/libc.so.6", "type": "file",
         "reason": "ELF closure of /usr/bin/python3.11 (DT_NEEDED libc.so.6)"},
        {"path": "/usr/lib/x86_64-linux-gnu/libz.so.1", "type": "symlink",
         "reason": "ELF closure of /usr/bin/python3.11 (DT_NEEDED libz.so.1)"},
        {"path": "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "type": "file",
         "reason": "target of symlink /usr/lib/x86_64-linux-gnu/libz.so.1"},
        {"path": "/usr/lib/python3.11/lib-dynload/_ssl.so", "type": "file", "reason": "package libpython3.11 data"},
        {"path": "/usr/lib/x86_64-linux-gnu/libssl.so.3", "type": "file",
         "reason": "ELF closure of /usr/lib/python3.11/lib-dynload/_ssl.so (DT_NEEDED libssl.so.3)"},
        {"path": "/usr/lib/python3.11/os.py", "type": "file", "reason": "package libpython3.11-minimal data"},
        {"path": "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc", "type": "file",
         "reason": "byte-code cache of /usr/lib/python3.11/os.py"}
      ]})json");
    const auto guarded = protected_paths(manifest);
    for (const char* path : {"/init", "/usr/bin/python3", "/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                             "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"}) {
        INFO(path);
        CHECK(guarded.count(path));
    }
    for (const char* path : {"/usr/lib/python3.11/lib-dynload/_ssl.so", "/usr/lib/x86_64-linux-gnu/libssl.so.3",
                             "/usr/lib/python3.11/os.py", "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc"}) {
        INFO(path);
        CHECK_FALSE(guarded.count(path));
    }
}
