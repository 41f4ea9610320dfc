#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

using namespace tinyx;
using namespace std::chrono_literals;

namespace {

// A killed orphan may linger as a zombie until some init reaps it; a zombie runs nothing.
bool pid_alive(int pid) {
    if (::kill(pid, 0) != 0) return false;
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat.ok()) return false;
    auto state_pos = stat->rfind(')');
    return state_pos == std::string::npos || state_pos + 2 >= stat->size() || (*stat)[state_pos + 2] != 'Z';
}

} // namespace

TEST_CASE("process: exit codes and signals are told apart") {
    auto exited = run_process(ProcessSpec::shell("exit 3"));
    REQUIRE(exited.ok());
    CHECK(exited->exit_code == 3);
    CHECK_FALSE(exited->signal);
    CHECK_FALSE(exited->success());
    CHECK(exited->describe() == "exited with status 3");

    auto killed = run_process(ProcessSpec::shell("kill -KILL $$"));
    REQUIRE(killed.ok());
    CHECK_FALSE(killed->exit_code);
    CHECK(killed->signal == SIGKILL);

    // A shell exiting with 137 is an exit code, not a signal.
    auto looks_killed = run_process(ProcessSpec::shell("exit 137"));
    REQUIRE(looks_killed.ok());
    CHECK(looks_killed->exit_code == 137);
    CHECK_FALSE(looks_killed->signal);

    auto ok = run_process(ProcessSpec::shell("true"));
    REQUIRE(ok.ok());
    CHECK(ok->success());
}

TEST_CASE("process: stdout and stderr are captured separately, argv is not split by a shell") {
    ProcessSpec spec;
    spec.argv = {"printf", "%s|%s", "a b", "$HOME;"};
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->out == "a b|$HOME;");

    auto both = run_process(ProcessSpec::shell("echo out; echo err >&2"));
    REQUIRE(both.ok());
    CHECK(both->out == "out\n");
    CHECK(both->err == "err\n");
}

TEST_CASE("process: environment and working directory") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto spec = ProcessSpec::shell("echo \"$TINYX_A:${HOME:-unset}\"; pwd");
    spec.env_set["TINYX_A"] = "value";
    spec.env_unset = {"HOME"};
    spec.cwd = dir->path();
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->out == "value:unset\n" + fs::canonical(dir->path()).string() + "\n");
}

// Keys of different lengths over an empty start: bp::environment's lookup read past
// the shorter entries here, which only ASan saw.
TEST_CASE("process: a cleared environment holds exactly the variables set") {
    auto spec = ProcessSpec::shell("/usr/bin/env | /usr/bin/sort");
    spec.clear_env = true;
    spec.env_set["A"] = "1";
    spec.env_set["A_MUCH_LONGER_NAME"] = "2";
    spec.env_set["PWD_LIKE"] = "x=y";
    auto result = run_process(spec);
    REQUIRE(result.ok());
    // sh itself adds PWD; nothing of ours (HOME, PATH) may leak through.
    CHECK(result->out.find("A=1\nA_MUCH_LONGER_NAME=2\n") != std::string::npos);
    CHECK(result->out.find("PWD_LIKE=x=y\n") != std::string::npos);
    CHECK(result->out.find("HOME=") == std::string::npos);
}

TEST_CASE("process: a missing program is an error value, not a result") {
    ProcessSpec spec;
    spec.argv = {"tinyx-no-such-program"};
    auto result = run_process(spec);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().exit == Exit::bad_input);
    CHECK(result.error().message.find("tinyx-no-such-program") != std::string::npos);
}

TEST_CASE("process: a timeout kills the whole tree within a second of the limit") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto pid_file = dir->path() / "child.pid";
    // The shell starts a sleeping child, records its pid, and waits for it.
    auto spec = ProcessSpec::shell("sleep 60 & echo $! > '" + pid_file.string() + "'; wait");
    spec.timeout = 1000ms;
    auto start = std::chrono::steady_clock::now();
    auto result = run_process(spec);
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(result.ok());
    CHECK(result->timed_out);
    CHECK_FALSE(result->success());
    CHECK(took < 2000ms);
    auto child_pid = std::stoi(*read_file(pid_file));
    // The grandchild belongs to the killed group; give the kernel a moment to reap it via init.
    for (int i = 0; i < 100 && pid_alive(child_pid); ++i) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(pid_alive(child_pid));
}

TEST_CASE("process: a child that ignores SIGTERM is killed after the grace period") {
    auto spec = ProcessSpec::shell("trap '' TERM; while :; do sleep 0.1; done");
    spec.timeout = 300ms;
    spec.kill_grace = 300ms;
    auto start = std::chrono::steady_clock::now();
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->timed_out);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
}

TEST_CASE("process: 100 MiB of output on both streams does not deadlock") {
    auto spec = ProcessSpec::shell("head -c 104857600 /dev/zero; head -c 1048576 /dev/zero >&2");
    spec.timeout = 60s;
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->success());
    CHECK(result->out.size() == 104857600u);
    CHECK(result->err.size() == 1048576u);
}

TEST_CASE("process: output to files, stderr merged into stdout") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto log = dir->path() / "log.txt";
    auto spec = ProcessSpec::shell("echo one; echo two >&2");
    spec.out = Output::file(log);
    spec.err = Output::same_as_stdout();
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->out.empty());
    CHECK(*read_file(log) == "one\ntwo\n");
}

TEST_CASE("process: what the child leaves behind in its group is killed when it exits") {
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto pid_file = dir->path() / "bg.pid";
    auto spec = ProcessSpec::shell("sleep 60 >/dev/null 2>&1 & echo $! > '" + pid_file.string() + "'");
    auto result = run_process(spec);
    REQUIRE(result.ok());
    CHECK(result->success());
    auto bg = std::stoi(*read_file(pid_file));
    for (int i = 0; i < 100 && pid_alive(bg); ++i) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(pid_alive(bg));
}

TEST_CASE("process: an interrupt ends the child promptly") {
    auto spawned = Process::spawn(ProcessSpec::shell("sleep 30"));
    REQUIRE(spawned.ok());
    std::thread trigger([] {
        std::this_thread::sleep_for(200ms);
        interrupt::request_for_testing();
    });
    auto start = std::chrono::steady_clock::now();
    auto result = spawned->wait();
    trigger.join();
    interrupt::reset_for_testing();
    CHECK(result.interrupted);
    CHECK(std::chrono::steady_clock::now() - start < 2000ms);
    CHECK_FALSE(pid_alive(spawned->pid()));
}

TEST_CASE("process: when tinyx is killed with SIGKILL, the whole group it started dies too") {
    // A stand-in for tinyx: a forked copy of this test that spawns a shell whose background
    // job (a compiler, say) is not its direct child, reports the job's pid, and waits.
    auto dir = TempDir::create("tinyx-test-");
    REQUIRE(dir.ok());
    auto pid_file = dir->path() / "job.pid";
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t standin = ::fork();
    REQUIRE(standin >= 0);
    if (standin == 0) {
        ::close(ready[0]);
        auto spawned = Process::spawn(ProcessSpec::shell("sleep 300 & echo $! > '" + pid_file.string() + "'; wait"));
        if (!spawned.ok()) ::_exit(1);
        for (int i = 0; i < 500 && !fs::exists(pid_file); ++i) std::this_thread::sleep_for(10ms);
        (void)!::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(50ms); // the shell has written the whole pid
    auto job = std::stoi(*read_file(pid_file));
    REQUIRE(pid_alive(job));
    ::kill(standin, SIGKILL); // no destructor runs, no signal handler: only the kernel cleans up
    ::waitpid(standin, nullptr, 0);
    for (int i = 0; i < 200 && pid_alive(job); ++i) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(pid_alive(job));
}
