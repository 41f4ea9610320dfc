#include "core/process.hpp"

#include "core/interrupt.hpp"
#include "core/strings.hpp"

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bp = boost::process;

namespace tinyx {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

// Opens what the child's descriptor `target` should become; -1 = leave inherited.
Result<int> open_output(const Output& output, int pipe_write_end) {
    switch (output.kind) {
    case Output::Kind::capture: return pipe_write_end;
    case Output::Kind::file:
    case Output::Kind::append_file: {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (output.kind == Output::Kind::file ? O_TRUNC : O_APPEND);
        int fd = ::open(output.path.c_str(), flags, 0644);
        if (fd < 0) return Error::bad_input(str("cannot write ", output.path.string(), ": ", std::strerror(errno)));
        return fd;
    }
    case Output::Kind::discard: {
        int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd < 0) return Error::internal("cannot open /dev/null");
        return fd;
    }
    case Output::Kind::inherit:
    case Output::Kind::to_stdout: return -1;
    }
    return -1;
}

// The group's watchdog, forked by the child before it execs: it waits until tinyx's end of
// `watch_read`'s pipe closes (tinyx ended, however it ended: even SIGKILL closes it) and then
// kills the whole process group. PR_SET_PDEATHSIG reaches only the direct child; this way
// make's compilers and a test's background jobs cannot outlive tinyx either.
[[noreturn]] void run_group_watchdog(int watch_read) {
    ::prctl(PR_SET_NAME, "tinyx-watchdog");
    if (watch_read != STDIN_FILENO) ::dup2(watch_read, STDIN_FILENO);
    ::close_range(1, ~0U, 0); // hold nothing of the child's: no pipe stays open because of us
    char byte;
    while (::read(STDIN_FILENO, &byte, 1) < 0 && errno == EINTR) {
    }
    ::kill(0, SIGKILL); // our process group: the child and everything it started
    ::_exit(0);
}

// Runs in the child between fork and exec: own process group, die with the
// parent (and the group with it), then wire up stdin/stdout/stderr.
struct ChildSetup {
    int in_fd, out_fd, err_fd;
    bool err_to_out;
    int watch_read; // -1: no group watchdog
    template <class Executor>
    void operator()(Executor&) const {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (watch_read >= 0 && ::fork() == 0) run_group_watchdog(watch_read);
        if (in_fd >= 0) ::dup2(in_fd, STDIN_FILENO);
        if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
        if (err_to_out)
            ::dup2(STDOUT_FILENO, STDERR_FILENO);
        else if (err_fd >= 0)
            ::dup2(err_fd, STDERR_FILENO);
        // Restore default dispositions the parent changed (SIGPIPE ignored, our handlers).
        std::signal(SIGPIPE, SIG_DFL);
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        std::signal(SIGHUP, SIG_DFL);
    }
};

// The child's environment, built here rather than with bp::environment: its
// find() compares a key against every entry over the key's length and reads
// past shorter entries (ASan reports a heap overflow).
class ChildEnvironment {
  public:
    explicit ChildEnvironment(const ProcessSpec& spec) {
        std::map<std::string, std::string> vars;
        if (!spec.clear_env)
            for (char** entry = ::environ; *entry != nullptr; ++entry) {
                std::string_view text(*entry);
                auto eq = text.find('=');
                if (eq == std::string_view::npos) continue;
                vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
            }
        for (const auto& name : spec.env_unset) vars.erase(name);
        for (const auto& [name, value] : spec.env_set) vars[name] = value;
        m_entries.reserve(vars.size());
        for (const auto& [name, value] : vars) m_entries.push_back(name + "=" + value);
        for (auto& entry : m_entries) m_pointers.push_back(entry.data());
        m_pointers.push_back(nullptr);
    }
    char** block() { return m_pointers.data(); }

  private:
    std::vector<std::string> m_entries;
    std::vector<char*> m_pointers;
};

bool read_some(int& fd, std::string& sink) {
    char buffer[65536];
    while (true) {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            sink.append(buffer, std::size_t(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        ::close(fd); // EOF or error
        fd = -1;
        return false;
    }
}

} // namespace

ProcessSpec ProcessSpec::shell(std::string command) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", std::move(command)};
    return spec;
}

std::string ProcessResult::describe() const {
    if (interrupted) return "interrupted";
    if (timed_out) return str("timed out after ", human_seconds(seconds));
    if (signal) return str("killed by signal ", *signal, " (", ::strsignal(*signal), ")");
    if (exit_code) return *exit_code == 0 ? "exited successfully" : str("exited with status ", *exit_code);
    return "still running";
}

std::optional<std::filesystem::path> find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        if (::access(name.c_str(), X_OK) == 0) return std::filesystem::path(name);
        return std::nullopt;
    }
    auto found = bp::search_path(name);
    if (found.empty()) return std::nullopt;
    return std::filesystem::path(found.string());
}

Result<Process> Process::spawn(const ProcessSpec& spec) {
    if (spec.argv.empty()) return Error::internal("no command to run");
    auto exe = find_program(spec.argv[0]);
    if (!exe) return Error::bad_input(str("command not found: ", spec.argv[0]));

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (spec.out.kind == Output::Kind::capture && ::pipe2(out_pipe, O_CLOEXEC) != 0)
        return Error::internal(str("pipe: ", std::strerror(errno)));
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
    if (spec.err.kind == Output::Kind::capture && ::pipe2(err_pipe, O_CLOEXEC) != 0)
        return Error::internal(str("pipe: ", std::strerror(errno)));
    Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

    TRY_ASSIGN(int out_target, open_output(spec.out, out_write.fd));
    TRY_ASSIGN(int err_target, open_output(spec.err, err_write.fd));
    Fd out_file(out_target == out_write.fd ? -1 : out_target);
    Fd err_file(err_target == err_write.fd ? -1 : err_target);
    Fd null_in;
    if (!spec.inherit_stdin) null_in.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    // Our end stays open as long as the Process lives: its closing tells the watchdog to end the group.
    int watch_pipe[2] = {-1, -1};
    if (spec.kill_group_on_exit && ::pipe2(watch_pipe, O_CLOEXEC) != 0)
        return Error::from_errno(errno, "pipe");
    Fd watch_read(watch_pipe[0]), watch_write(watch_pipe[1]);

    ChildEnvironment env(spec);

    std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
    ChildSetup setup{null_in.fd, out_target, err_target, spec.err.kind == Output::Kind::to_stdout, watch_read.fd};
    Process process;
    process.m_start = Clock::now();
    try {
        std::error_code start_error;
        auto cwd = spec.cwd ? spec.cwd->string() : std::filesystem::current_path().string();
        bp::child child(bp::exe = exe->string(), bp::args = args, bp::start_dir = cwd,
                        bp::extend::on_setup = [&env](auto& executor) { executor.env = env.block(); },
                        bp::extend::on_exec_setup = setup, start_error);
        if (start_error) {
            // No memory or no processes left to fork: the machine, not the command.
            if (start_error.value() == EAGAIN || is_machine_fault_errno(start_error.value()))
                return Error::machine_fault(str("cannot run ", spec.argv[0], ": ", start_error.message()));
            return Error::bad_input(str("cannot run ", spec.argv[0], ": ", start_error.message()));
        }
        process.m_pid = child.id();
        child.detach(); // we reap it ourselves with waitpid, to keep signal and exit code apart
    } catch (const std::exception& e) {
        return Error::bad_input(str("cannot run ", spec.argv[0], ": ", e.what()));
    }
    // The child may not have called setpgid yet; doing it here too closes the race
    // where we signal the group before it exists.
    ::setpgid(process.m_pid, process.m_pid);

    process.m_out_fd = out_read.release();
    process.m_err_fd = err_read.release();
    process.m_watch_fd = watch_write.release();
    for (int fd : {process.m_out_fd, process.m_err_fd})
        if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    process.m_timeout = spec.timeout;
    process.m_grace = spec.kill_grace;
    process.m_kill_group_on_exit = spec.kill_group_on_exit;
    return process;
}

Process::Process(Process&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_out_fd(std::exchange(other.m_out_fd, -1)),
      m_err_fd(std::exchange(other.m_err_fd, -1)), m_watch_fd(std::exchange(other.m_watch_fd, -1)),
      m_finished(other.m_finished),
      m_kill_group_on_exit(other.m_kill_group_on_exit), m_timeout(other.m_timeout), m_grace(other.m_grace),
      m_start(other.m_start), m_result(std::move(other.m_result)) {
    other.m_finished = true;
}

Process::~Process() {
    if (m_pid > 0 && !m_finished) terminate(std::chrono::milliseconds(200));
    close_pipes();
    if (m_watch_fd >= 0) ::close(m_watch_fd);
}

double Process::seconds() const { return std::chrono::duration<double>(Clock::now() - m_start).count(); }

void Process::close_pipes() {
    for (int* fd : {&m_out_fd, &m_err_fd})
        if (*fd >= 0) ::close(std::exchange(*fd, -1));
    // Only once the group is gone (reaped and killed, or terminated): the watchdog has nothing left to do.
    if (m_finished && m_watch_fd >= 0) ::close(std::exchange(m_watch_fd, -1));
}

void Process::reap(bool block) {
    if (m_finished || m_pid <= 0) return;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(m_pid, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == m_pid) {
        m_finished = true;
        if (WIFEXITED(status)) m_result.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) m_result.signal = WTERMSIG(status);
        m_result.seconds = seconds();
        if (m_kill_group_on_exit) ::kill(-m_pid, SIGKILL); // what it left behind
    } else if (r < 0) {
        m_finished = true; // not our child any more (should not happen)
    }
}

bool Process::pump(std::chrono::milliseconds max_wait) {
    auto deadline = Clock::now() + max_wait;
    while (true) {
        reap(false);
        if (m_finished) {
            // Drain what is buffered; a grandchild outside the group may hold the pipe, so don't wait for EOF.
            if (m_out_fd >= 0) read_some(m_out_fd, m_result.out);
            if (m_err_fd >= 0) read_some(m_err_fd, m_result.err);
            if (m_kill_group_on_exit) {
                // The group was killed: EOF comes promptly.
                for (int i = 0; i < 50 && (m_out_fd >= 0 || m_err_fd >= 0); ++i) {
                    pollfd fds[2] = {{m_out_fd, POLLIN, 0}, {m_err_fd, POLLIN, 0}};
                    ::poll(fds, 2, 10);
                    if (m_out_fd >= 0) read_some(m_out_fd, m_result.out);
                    if (m_err_fd >= 0) read_some(m_err_fd, m_result.err);
                }
            }
            close_pipes();
            return true;
        }
        if (interrupt::requested()) return false;
        auto now = Clock::now();
        if (now >= deadline) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        // Wake at least every 50 ms to notice the exit (no SIGCHLD plumbing needed).
        int wait_ms = int(std::min<long long>(left, 50));
        pollfd fds[3] = {{m_out_fd, POLLIN, 0}, {m_err_fd, POLLIN, 0}, {interrupt::wake_fd(), POLLIN, 0}};
        int n = ::poll(fds, 3, wait_ms);
        if (n > 0) {
            if (m_out_fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) read_some(m_out_fd, m_result.out);
            if (m_err_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) read_some(m_err_fd, m_result.err);
        }
    }
}

void Process::terminate(std::chrono::milliseconds grace) {
    if (m_pid <= 0 || m_finished) return;
    ::kill(-m_pid, SIGTERM);
    ::kill(m_pid, SIGTERM);
    auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
        reap(false);
        if (m_finished) break;
        ::usleep(10000);
    }
    ::kill(-m_pid, SIGKILL); // whatever is left in the group, the child included
    ::kill(m_pid, SIGKILL);
    reap(true);
    close_pipes();
}

ProcessResult Process::wait() {
    while (true) {
        auto step = std::chrono::milliseconds(200);
        if (m_timeout) {
            auto left = *m_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start);
            if (left <= std::chrono::milliseconds(0)) {
                m_result.timed_out = true;
                terminate(m_grace);
                break;
            }
            step = std::min(step, left);
        }
        if (pump(step)) break;
        if (interrupt::requested()) {
            m_result.interrupted = true;
            terminate(m_grace);
            break;
        }
    }
    return finish();
}

ProcessResult Process::finish() {
    m_result.seconds = seconds();
    return std::move(m_result);
}

Result<ProcessResult> run_process(const ProcessSpec& spec) {
    TRY_ASSIGN(auto process, Process::spawn(spec));
    return process.wait();
}

} // namespace tinyx
