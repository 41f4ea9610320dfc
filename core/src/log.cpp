#include "core/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>
#include <unistd.h>

namespace tinyx::log {
namespace {

struct State {
    std::mutex mutex;
    Level level = Level::normal;
    int interactive = -1; // -1: decide from isatty on first use
    bool progress_visible = false;
};

State& state() {
    static State s;
    return s;
}

bool interactive_locked(State& s) {
    if (s.interactive < 0) s.interactive = ::isatty(STDERR_FILENO) ? 1 : 0;
    return s.interactive == 1;
}

void clear_progress_locked(State& s) {
    if (s.progress_visible) {
        std::fputs("\r\033[K", stderr);
        s.progress_visible = false;
    }
}

void emit(Level needed, std::string_view prefix, std::string_view message) {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    if (s.level < needed) return;
    clear_progress_locked(s);
    std::string line;
    line.reserve(prefix.size() + message.size() + 1);
    line += prefix;
    line += message;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace

void set_level(Level level) {
    std::lock_guard lock(state().mutex);
    state().level = level;
}
Level level() {
    std::lock_guard lock(state().mutex);
    return state().level;
}
void set_interactive(bool interactive) {
    std::lock_guard lock(state().mutex);
    state().interactive = interactive ? 1 : 0;
}

void error(std::string_view message) { emit(Level::quiet, "tinyx: error: ", message); }
void warn(std::string_view message) { emit(Level::normal, "tinyx: warning: ", message); }
void info(std::string_view message) { emit(Level::normal, "tinyx: ", message); }
void verbose(std::string_view message) { emit(Level::verbose, "tinyx: ", message); }
void debug(std::string_view message) { emit(Level::debug, "tinyx: debug: ", message); }

Progress::Progress(std::string task) : m_task(std::move(task)), m_start(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
    if (!m_finished) {
        auto& s = state();
        std::lock_guard lock(s.mutex);
        clear_progress_locked(s);
    }
}

double Progress::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

void Progress::update(std::string_view status) {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    if (s.level < Level::normal) return;
    auto now = std::chrono::steady_clock::now();
    if (interactive_locked(s)) {
        std::string line = "\r\033[K" + m_task + ": " + std::string(status);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
        s.progress_visible = true;
        return;
    }
    // Plain mode: a line when the status changes, at most one every 2 s.
    if (status == m_last_status) return;
    if (m_last_plain_print != std::chrono::steady_clock::time_point{} &&
        now - m_last_plain_print < std::chrono::seconds(2))
        return;
    m_last_status = status;
    m_last_plain_print = now;
    std::string line = "tinyx: " + m_task + ": " + std::string(status) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

void Progress::finish(std::string_view status) {
    m_finished = true;
    emit(Level::normal, "tinyx: ", m_task + ": " + std::string(status));
}

} // namespace tinyx::log
