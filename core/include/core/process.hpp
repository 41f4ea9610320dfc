// Running other programs (make, qemu, the user's tests) with Boost.Process.
//
// Every child starts in a process group of its own, so a timeout or Ctrl-C can
// end the whole tree it started (a shell and its sleeping child, qemu and its
// helpers, make and its compilers). If tinyx itself dies, even by SIGKILL, the
// child gets SIGKILL and a watchdog in its group kills the rest of the group.
// The exit code and the terminating signal are kept apart.
#pragma once

#include "core/result.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx {

// Where a child's stdout or stderr goes.
struct Output {
    enum class Kind { capture, file, append_file, inherit, discard, to_stdout };
    Kind kind = Kind::capture;
    std::filesystem::path path; // for file and append_file

    static Output capture() { return {Kind::capture, {}}; }
    static Output file(std::filesystem::path p) { return {Kind::file, std::move(p)}; }
    static Output append_to(std::filesystem::path p) { return {Kind::append_file, std::move(p)}; }
    static Output inherit() { return {Kind::inherit, {}}; }
    static Output discard() { return {Kind::discard, {}}; }
    // For stderr only: into the same place as stdout (one interleaved log).
    static Output same_as_stdout() { return {Kind::to_stdout, {}}; }
};

struct ProcessSpec {
    std::vector<std::string> argv; // argv[0] is looked up in PATH unless it contains '/'
    std::optional<std::filesystem::path> cwd;
    std::map<std::string, std::string> env_set; // added to (or replacing in) the inherited environment
    std::vector<std::string> env_unset;
    bool clear_env = false; // start from an empty environment instead of ours
    Output out = Output::capture();
    Output err = Output::capture();
    bool inherit_stdin = false; // otherwise /dev/null
    std::optional<std::chrono::milliseconds> timeout;
    // After the timeout: SIGTERM to the group, this long to exit, then SIGKILL.
    std::chrono::milliseconds kill_grace{500};
    // When the direct child exits, SIGKILL what it left behind in its group.
    bool kill_group_on_exit = true;

    // /bin/sh -c COMMAND
    static ProcessSpec shell(std::string command);
};

struct ProcessResult {
    std::optional<int> exit_code; // set when the child exited
    std::optional<int> signal;    // set when a signal ended it
    bool timed_out = false;
    bool interrupted = false; // Ctrl-C ended it
    std::string out;          // captured stdout (Output::capture)
    std::string err;          // captured stderr
    double seconds = 0;

    bool success() const { return exit_code && *exit_code == 0 && !timed_out && !interrupted; }
    // "exited with status 2", "killed by signal 9 (Killed)", "timed out after 5.0s".
    std::string describe() const;
};

// A started child. Destroying it ends its process group and reaps it.
class Process {
  public:
    static Result<Process> spawn(const ProcessSpec& spec);
    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    ~Process();

    int pid() const { return m_pid; }
    bool finished() const { return m_finished; }
    // Read output and check for exit for at most `max_wait`. Returns finished().
    // Also returns early when an interrupt is requested.
    bool pump(std::chrono::milliseconds max_wait);
    // SIGTERM to the group, up to `grace` to exit, then SIGKILL; waits for the child.
    void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(500));
    // Wait until the child exits, the spec's timeout passes or Ctrl-C.
    ProcessResult wait();
    // Read access to captured output so far (useful while it runs).
    const std::string& out_so_far() const { return m_result.out; }
    const std::string& err_so_far() const { return m_result.err; }
    double seconds() const;

  private:
    Process() = default;
    void reap(bool block);
    void close_pipes();
    ProcessResult finish();

    int m_pid = -1;
    int m_out_fd = -1;
    int m_err_fd = -1;
    int m_watch_fd = -1; // the write end of the group watchdog's pipe
    bool m_finished = false;
    bool m_kill_group_on_exit = true;
    std::optional<std::chrono::milliseconds> m_timeout;
    std::chrono::milliseconds m_grace{500};
    std::chrono::steady_clock::time_point m_start;
    ProcessResult m_result;
};

// Run to completion. An Error only when the program could not be started;
// a non-zero exit is a ProcessResult the caller judges.
Result<ProcessResult> run_process(const ProcessSpec& spec);

// Absolute path of a program in PATH, or nothing.
std::optional<std::filesystem::path> find_program(const std::string& name);

} // namespace tinyx
