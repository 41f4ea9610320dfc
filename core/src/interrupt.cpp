#include "core/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace tinyx::interrupt {
namespace {

std::atomic<bool> g_requested{false};
int g_pipe[2] = {-1, -1};

void ensure_pipe() {
    if (g_pipe[0] >= 0) return;
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
}

extern "C" void on_signal(int signo) {
    g_requested.store(true);
    if (g_pipe[1] >= 0) {
        char byte = 1;
        [[maybe_unused]] auto ignored = ::write(g_pipe[1], &byte, 1);
    }
    std::signal(signo, SIG_DFL); // a second Ctrl-C ends us the hard way
}

} // namespace

void install_handlers() {
    ensure_pipe();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGHUP, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN); // a closed pipe is an error value, not a death
}

bool requested() { return g_requested.load(); }

int wake_fd() {
    ensure_pipe();
    return g_pipe[0];
}

void request_for_testing() {
    ensure_pipe();
    g_requested.store(true);
    char byte = 1;
    [[maybe_unused]] auto ignored = ::write(g_pipe[1], &byte, 1);
}

void reset_for_testing() {
    g_requested.store(false);
    char buffer[64];
    if (g_pipe[0] >= 0)
        while (::read(g_pipe[0], buffer, sizeof buffer) > 0) {
        }
}

} // namespace tinyx::interrupt
