// Human output on stderr: leveled messages and one progress line for long steps.
// On a terminal the progress line is rewritten in place; elsewhere (CI logs) it
// becomes plain, rate-limited lines so logs stay readable.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tinyx::log {

enum class Level { quiet = 0, normal = 1, verbose = 2, debug = 3 };

void set_level(Level level);
Level level();
// Force plain-line progress even on a terminal (tests); default: isatty(stderr).
void set_interactive(bool interactive);

void error(std::string_view message);   // always shown, "tinyx: error: " prefix
void warn(std::string_view message);    // shown unless quiet, "tinyx: warning: " prefix
void info(std::string_view message);    // shown unless quiet
void verbose(std::string_view message); // -v
void debug(std::string_view message);   // -vv

// One long step with a status that changes: "pruning: trial 12 (40 left, 3m10s)".
class Progress {
  public:
    explicit Progress(std::string task);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(std::string_view status);
    // Leave a final line ("pruning: done, 24 trials in 1h02m").
    void finish(std::string_view status);
    double elapsed_seconds() const;

  private:
    std::string m_task;
    std::string m_last_status;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_plain_print{};
    bool m_finished = false;
};

} // namespace tinyx::log
