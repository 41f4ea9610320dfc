#include "core/log.hpp"
#include "core/process.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <unistd.h>

using namespace tinyx;

namespace {

// Runs `body` with stderr redirected to a temporary file and returns what it wrote.
template <class Body>
std::string capture_stderr(Body body) {
    std::fflush(stderr);
    int saved = ::dup(2);
    FILE* file = std::tmpfile();
    ::dup2(::fileno(file), 2);
    body();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::string text;
    std::rewind(file);
    char buffer[4096];
    while (auto n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
    std::fclose(file);
    return text;
}

} // namespace

TEST_CASE("log: levels filter messages; errors always show") {
    log::set_interactive(false);
    log::set_level(log::Level::quiet);
    auto quiet = capture_stderr([] {
        log::info("hidden");
        log::error("shown");
    });
    CHECK(quiet == "tinyx: error: shown\n");
    log::set_level(log::Level::normal);
    auto normal = capture_stderr([] {
        log::verbose("hidden");
        log::warn("careful");
    });
    CHECK(normal == "tinyx: warning: careful\n");
}

TEST_CASE("log: progress prints plain lines when not on a terminal") {
    log::set_interactive(false);
    log::set_level(log::Level::normal);
    auto text = capture_stderr([] {
        log::Progress progress("pruning");
        progress.update("trial 1");
        progress.update("trial 1"); // unchanged: no new line
        progress.finish("done");
    });
    CHECK(text == "tinyx: pruning: trial 1\ntinyx: pruning: done\n");
}

TEST_CASE("log: progress rewrites one line in place on a terminal") {
    log::set_interactive(true);
    log::set_level(log::Level::normal);
    auto text = capture_stderr([] {
        log::Progress progress("build");
        progress.update("a");
        progress.update("b");
        log::info("message");
    });
    log::set_interactive(false);
    CHECK(text == "\r\033[Kbuild: a\r\033[Kbuild: b\r\033[Ktinyx: message\n");
}
