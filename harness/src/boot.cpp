#include "harness/boot.hpp"
#include "harness/guest_init.hpp"

#include "markers.hpp"
#include "harness/protocol.h"

#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fcntl.h>
#include <netinet/in.h>
#include <set>
#include <csignal>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tinyx::harness {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kForwardAttempts = 8;
constexpr std::size_t kTailLines = 15;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Fd {
    int fd = -1;
    Fd() = default;
    Fd(Fd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// Distinct free TCP ports on 127.0.0.1. They are free now; QEMU may still lose a race for
// one, which run_boot notices and retries with new ports.
Result<std::vector<int>> pick_free_ports(std::size_t count) {
    std::vector<Fd> sockets(count);
    std::vector<int> ports;
    for (auto& sock : sockets) {
        sock.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock.fd < 0) return Error::internal(str("socket: ", std::strerror(errno)));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return Error::internal(str("cannot find a free port on 127.0.0.1: ", std::strerror(errno)));
        ports.push_back(ntohs(address.sin_port));
    }
    return ports;
}

// Everything `fd` has to give now (a file up to its end, a non-blocking socket until it would block).
std::string read_available(int fd) {
    std::string data;
    char buffer[65536];
    while (true) {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buffer, std::size_t(n));
    }
    return data;
}

// Reads what QEMU appended to the console file since the last call.
class ConsoleFile {
  public:
    explicit ConsoleFile(fs::path path) : m_path(std::move(path)) {}
    std::string read_new() {
        if (m_fd.fd < 0) m_fd.fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
        return m_fd.fd < 0 ? std::string() : read_available(m_fd.fd);
    }

  private:
    fs::path m_path;
    Fd m_fd;
};

std::vector<int> ports_to_wait_for(const BootRequest& request) {
    std::set<int> ports(request.test.forwards.begin(), request.test.forwards.end());
    ports.insert(request.test.wait_ports.begin(), request.test.wait_ports.end());
    return {ports.begin(), ports.end()};
}

GuestParams guest_params(const BootRequest& request, std::string nonce) {
    GuestParams params;
    params.nonce = std::move(nonce);
    params.guest_test = request.test.guest_test;
    params.wait_ports = ports_to_wait_for(request);
    params.wait_seconds = int(std::clamp(std::min(double(request.test.port_wait_seconds), request.test.timeout_seconds), 1.0, 86400.0));
    // A host test runs after the guest's; a file trace is asked for after both.
    params.keep_running_after_test = !request.test.host_test.empty() || request.test.trace_files;
    params.env = request.test.env;
    params.trace_files = request.test.trace_files;
    return params;
}

KernelLineParams kernel_line_params(const BootRequest& request) {
    KernelLineParams params;
    params.disk_root = request.target.disk.has_value();
    params.append = request.target.append;
    if (auto arch = find_arch(request.target.arch)) {
        params.console_tty = std::string((*arch)->console_tty);
        params.channel_tty = std::string((*arch)->channel_tty);
    }
    return params;
}

// The host end of the marker channel: a Unix socket in a private directory that QEMU
// connects to as the guest's second serial port. Only the init inside the guest has the
// other end (harness/protocol.h).
class MarkerChannel {
  public:
    static Result<MarkerChannel> listen() {
        // Not under $TMPDIR: a Unix socket's path must fit in 108 bytes.
        TRY_ASSIGN(auto dir, TempDir::create("tinyx-channel-", "/tmp"));
        MarkerChannel channel(std::move(dir));
        channel.m_listen.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (channel.m_listen.fd < 0) return Error::from_errno(errno, "socket(AF_UNIX)");
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const std::string path = channel.path().string();
        if (path.size() >= sizeof address.sun_path) return Error::internal(str("socket path too long: ", path));
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        if (::bind(channel.m_listen.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(channel.m_listen.fd, 1) != 0)
            return Error::from_errno(errno, str("listening on ", path));
        return channel;
    }
    fs::path path() const { return m_dir.path() / "markers"; }

    // Accepts QEMU's connection, sends what is queued, returns what arrived.
    std::string pump() {
        if (m_conn.fd < 0) {
            m_conn.fd = ::accept4(m_listen.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (m_conn.fd < 0) return {};
        }
        while (!m_out.empty()) {
            auto n = ::send(m_conn.fd, m_out.data(), m_out.size(), MSG_NOSIGNAL);
            if (n <= 0) break; // the rest goes when the guest has read some
            m_out.erase(0, std::size_t(n));
        }
        return read_available(m_conn.fd);
    }
    void send(std::string bytes) { m_out += bytes; }

  private:
    explicit MarkerChannel(TempDir dir) : m_dir(std::move(dir)) {}
    TempDir m_dir;
    Fd m_listen, m_conn;
    std::string m_out;
};

// Everything one boot observed, turned into a verdict at the end.
struct Observation {
    bool init = false;
    bool app_started = false;
    bool test_started = false;
    std::optional<int> test_exit;
    std::optional<std::string> app_exited;
    std::optional<std::string> init_error;
    std::optional<std::string> wrong_protocol; // the init said hello with another version
    std::optional<long long> trace_end;        // the count the init's trace-end carried
};

// A "touched" marker's value: "<type> <path>", %XX escapes undone.
std::optional<FileTrace::Entry> parse_touched(const std::string& value) {
    if (value.size() < 3 || value[1] != ' ' || (value[0] != 'f' && value[0] != 'l' && value[0] != 'd')) return std::nullopt;
    FileTrace::Entry entry;
    entry.type = value[0];
    for (std::size_t i = 2; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size() && std::isxdigit((unsigned char)value[i + 1]) &&
            std::isxdigit((unsigned char)value[i + 2])) {
            entry.path += char(std::stoi(value.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            entry.path += value[i];
        }
    }
    if (entry.path.empty() || entry.path[0] != '/') return std::nullopt;
    return entry;
}

std::optional<int> parse_status(const std::string& value) {
    if (value.empty() || value.size() > 6) return std::nullopt;
    int status = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        status = status * 10 + (c - '0');
    }
    return status;
}

struct Outcome {
    Verdict verdict;
    std::string reason;
};

// QEMU's own complaints that mean the host, not the guest, failed: no memory for the
// guest, a full disk, an accelerator that cannot start, our socket gone.
bool qemu_failed_on_the_host(const ProcessResult& qemu) {
    if (qemu.signal) return true; // killed by someone else than us: the OOM killer, say
    if (!qemu.exit_code || *qemu.exit_code == 0) return false;
    for (const char* sign : {"Cannot allocate memory", "cannot set up guest memory", "No space left on device",
                             "Input/output error", "Failed to connect", "failed to initialize kvm", "Could not access KVM"})
        if (qemu.out.find(sign) != std::string::npos) return true;
    return false;
}

// One QEMU run: start it, follow the marker channel and the console, run the host test, decide.
class BootSession {
  public:
    BootSession(const BootRequest& request, Accelerator accel, int memory_mb, fs::path console_log, std::string nonce)
        : m_request(request), m_accel(accel), m_memory_mb(memory_mb), m_console_log(std::move(console_log)),
          m_nonce(nonce), m_channel_parser(std::move(nonce)) {}

    // Returns nothing when QEMU could not bind a forwarded port (retry with other ports).
    Result<std::optional<BootRun>> run(const std::vector<PortForward>& forwards);

  private:
    void handle(const Marker& marker);
    void take_channel(const std::string& bytes, MarkerChannel& channel);
    Result<void> start_host_test(const std::vector<PortForward>& forwards);
    std::optional<Outcome> decide(bool qemu_gone);
    std::string phase() const;

    const BootRequest& m_request;
    Accelerator m_accel;
    int m_memory_mb;
    fs::path m_console_log;
    std::string m_nonce;
    ChannelParser m_channel_parser;
    ConsoleParser m_console;
    bool m_params_sent = false;
    bool m_trace_wanted = false;    // the test passed: ask the init for the file trace
    bool m_trace_requested = false; // asked; "touched" markers before this are not the trace
    std::vector<FileTrace::Entry> m_touched;
    Observation m_seen;
    BootRun m_run;
    Clock::time_point m_start;
    std::optional<Process> m_host_test;
    std::optional<ProcessResult> m_host_result;
};

std::string BootSession::phase() const {
    if (!m_seen.init) return m_console.bytes_seen() == 0 ? "the first console output" : "the kernel to start /init";
    if (!m_seen.app_started) return "the app to start (and its ports to accept connections)";
    if (!m_request.test.guest_test.empty() && !m_seen.test_exit) return "the guest test to finish";
    if (m_trace_requested) return "the guest's file trace";
    return "the host test to finish";
}

void BootSession::handle(const Marker& marker) {
    double now = since(m_start);
    if (marker.event == TINYX_EVENT_INIT) {
        m_seen.init = true;
        m_run.seconds.init = now;
        m_run.guest_ms.init = marker.uptime_ms;
    } else if (marker.event == TINYX_EVENT_APP_STARTED) {
        m_seen.app_started = true;
        m_run.seconds.app_started = now;
        m_run.guest_ms.app_started = marker.uptime_ms;
    } else if (marker.event == TINYX_EVENT_BOOT_TIMES) {
        auto& guest = m_run.guest_ms;
        long long values[5] = {-1, -1, -1, -1, -1};
        if (std::sscanf(marker.value.c_str(), "%lld %lld %lld %lld %lld", &values[0], &values[1], &values[2], &values[3], &values[4]) == 5) {
            guest.run_init_us = values[0];
            guest.unpack_start_us = values[1];
            guest.unpack_end_us = values[2];
            guest.init_start = values[3];
            guest.app_launch = values[4];
        }
    } else if (marker.event == TINYX_EVENT_TEST_START) {
        m_seen.test_started = true;
        m_run.seconds.test_start = now;
        m_run.guest_ms.test_start = marker.uptime_ms;
    } else if (marker.event == TINYX_EVENT_TEST_EXIT) {
        if (m_seen.test_exit) return; // the init reports the test once
        m_seen.test_exit = parse_status(marker.value).value_or(255);
        m_run.guest_test_status = m_seen.test_exit;
        m_run.seconds.test_done = now;
        m_run.guest_ms.test_exit = marker.uptime_ms;
    } else if (marker.event == TINYX_EVENT_APP_EXITED) {
        m_seen.app_exited = marker.value;
    } else if (marker.event == TINYX_EVENT_ERROR) {
        m_seen.init_error = marker.value;
    } else if (marker.event == TINYX_EVENT_TOUCHED && m_trace_requested && !m_seen.trace_end) {
        if (auto entry = parse_touched(marker.value)) m_touched.push_back(std::move(*entry));
    } else if (marker.event == TINYX_EVENT_TRACE_END && m_trace_requested && !m_seen.trace_end) {
        m_seen.trace_end = std::strtoll(marker.value.c_str(), nullptr, 10);
    } else {
        log::debug(str("ignoring unknown guest event '", marker.event, "'"));
    }
}

// Channel bytes: the hello first (answered with this boot's parameters), then markers.
void BootSession::take_channel(const std::string& bytes, MarkerChannel& channel) {
    for (const auto& marker : m_channel_parser.feed(bytes)) handle(marker);
    if (m_params_sent || !m_channel_parser.hello()) return;
    m_params_sent = true;
    if (*m_channel_parser.hello() != TINYX_PROTOCOL_VERSION) {
        m_seen.wrong_protocol = *m_channel_parser.hello();
        return;
    }
    channel.send(channel_parameters(guest_params(m_request, m_nonce)));
    take_channel(channel.pump(), channel); // sends them; what the init says next is read here too
}

Result<void> BootSession::start_host_test(const std::vector<PortForward>& forwards) {
    ProcessSpec spec = ProcessSpec::shell(m_request.test.host_test);
    spec.env_set["TINYX_HOST"] = "127.0.0.1";
    for (const auto& forward : forwards)
        spec.env_set[str("TINYX_PORT_", forward.guest_port)] = std::to_string(forward.host_port);
    spec.out = Output::capture();
    spec.err = Output::same_as_stdout();
    log::verbose(str("running the host test: ", m_request.test.host_test));
    auto process = Process::spawn(spec);
    if (!process) return std::move(process).error().context("starting the host test");
    m_host_test.emplace(std::move(*process));
    return success();
}

// The verdict once everything needed is known; nothing while the boot must go on.
std::optional<Outcome> BootSession::decide(bool qemu_gone) {
    const bool want_guest_test = !m_request.test.guest_test.empty();
    const bool want_host_test = !m_request.test.host_test.empty();

    if (m_seen.wrong_protocol)
        return Outcome{Verdict::boot_failed, str("the image's init speaks boot-test protocol ", *m_seen.wrong_protocol,
                                                 "; this tinyx speaks ", TINYX_PROTOCOL_VERSION,
                                                 ": rebuild the image with this tinyx")};
    if (m_seen.init_error) return Outcome{Verdict::boot_failed, str("the guest init failed: ", *m_seen.init_error)};
    if (m_seen.app_exited && !m_seen.app_started)
        return Outcome{Verdict::boot_failed, str("the app exited with status ", *m_seen.app_exited, " before it started")};
    if (want_host_test && m_seen.app_started && !m_host_result) {
        if (!qemu_gone) return std::nullopt;
        // The guest is gone: the host test's own verdict follows soon, but a pass no longer counts.
        if (m_host_test && !m_host_test->finished()) return std::nullopt;
    }
    const bool guest_part_done = want_guest_test ? m_seen.test_exit.has_value() : m_seen.app_started;

    if (m_host_result && !m_host_result->success()) {
        std::string how = m_host_result->describe();
        if (m_seen.app_exited) how += str(" (the app had exited with status ", *m_seen.app_exited, ")");
        return Outcome{Verdict::test_failed, str("the host test ", how)};
    }
    if (guest_part_done && m_seen.test_exit && *m_seen.test_exit != 0)
        return Outcome{Verdict::test_failed, str("the guest test exited with status ", *m_seen.test_exit)};
    if (guest_part_done && (!want_host_test || m_host_result)) {
        if (qemu_gone && want_host_test && !want_guest_test)
            return Outcome{Verdict::boot_failed, "the guest ended while the host test was running"};
        // The test passed; with a file trace, the boot ends once the init has reported it.
        if (m_request.test.trace_files && !m_seen.trace_end && !qemu_gone) {
            m_trace_wanted = true;
            return std::nullopt;
        }
        return Outcome{Verdict::pass, ""};
    }
    if (!qemu_gone) return std::nullopt;

    if (m_console.panic_line()) return Outcome{Verdict::boot_failed, str("kernel panic: ", *m_console.panic_line())};
    if (m_seen.app_exited) return Outcome{Verdict::boot_failed, str("the app exited with status ", *m_seen.app_exited)};
    if (m_console.bytes_seen() == 0) return Outcome{Verdict::boot_failed, "QEMU ended without any console output"};
    if (!m_seen.init) {
        // Console text is no verdict, but it is the best explanation when the channel never came up.
        if (m_console.init_error_line()) return Outcome{Verdict::boot_failed, *m_console.init_error_line()};
        if (!m_channel_parser.hello())
            return Outcome{Verdict::boot_failed, "the guest ended before /init reported (no init, it crashed, or it could not open its marker channel)"};
        return Outcome{Verdict::boot_failed, "the guest ended before /init reported"};
    }
    if (!m_seen.app_started) return Outcome{Verdict::boot_failed, "the guest ended before the app started"};
    if (m_seen.test_started) return Outcome{Verdict::boot_failed, "the guest ended during the guest test without its exit status"};
    return Outcome{Verdict::boot_failed, "the guest ended before the test finished"};
}

Result<std::optional<BootRun>> BootSession::run(const std::vector<PortForward>& forwards) {
    m_run.memory_mb = m_memory_mb;
    m_run.accel = m_accel;
    m_run.forwards = forwards;

    TRY_ASSIGN(auto channel, MarkerChannel::listen());
    QemuLaunch launch;
    TRY_ASSIGN(launch.qemu, qemu_program(m_request.target));
    TRY_ASSIGN(const Platform* platform, find_platform(m_request.target.platform));
    TRY_ASSIGN(const Arch* arch, find_arch(m_request.target.arch));
    launch.machine = std::string(platform->qemu_machine.empty() ? arch->qemu_machine : platform->qemu_machine);
    launch.mmio_devices = !platform->pci;
    launch.tcg_cpu = std::string(arch->qemu_tcg_cpu);
    launch.channel_on_virtio_console = arch->channel_is_virtio_console;
    launch.kernel = m_request.target.kernel;
    launch.initrd = m_request.target.initrd;
    launch.disk = m_request.target.disk;
    launch.memory_mb = m_memory_mb;
    launch.accel = m_accel;
    launch.console_log = m_console_log;
    launch.marker_socket = channel.path();
    launch.outbound_network = m_request.target.outbound_network;
    launch.forwards = forwards;
    launch.kernel_command_line = kernel_command_line(kernel_line_params(m_request));
    launch.extra_args = m_request.target.qemu_extra_args;
    ProcessSpec spec;
    spec.argv = qemu_argv(launch);
    spec.out = Output::capture();
    spec.err = Output::same_as_stdout();
    m_run.qemu_command = shell_join(spec.argv);
    log::debug(str("starting ", m_run.qemu_command));

    std::error_code ignored;
    fs::remove(m_console_log, ignored);
    m_start = Clock::now();
    auto spawned = Process::spawn(spec);
    if (!spawned) return std::move(spawned).error().context("starting QEMU");
    Process& qemu = *spawned;
    ConsoleFile console(m_console_log);
    auto last_output = Clock::now();
    bool qemu_gone = false;
    bool ended_by_us = false;
    std::optional<Outcome> outcome;

    while (!outcome) {
        if (!qemu_gone) qemu_gone = qemu.pump(milliseconds(m_host_test ? 25 : 50));
        if (m_host_test && !m_host_result && m_host_test->pump(milliseconds(qemu_gone ? 50 : 0)))
            m_host_result = m_host_test->wait();

        take_channel(channel.pump(), channel);
        auto text = console.read_new();
        if (!text.empty()) {
            if (m_run.seconds.first_output < 0) m_run.seconds.first_output = since(m_start);
            last_output = Clock::now();
            m_console.feed(text);
        }
        if (qemu_gone) m_console.finish();

        if (interrupt::requested()) {
            qemu.terminate();
            if (m_host_test) m_host_test->terminate();
            return Error::interrupted();
        }
        if (qemu_gone && !m_seen.init &&
            qemu.out_so_far().find("Could not set up host forwarding rule") != std::string::npos)
            return std::optional<BootRun>{}; // lost a race for a port: the caller retries with new ones

        if (m_seen.app_started && !m_request.test.host_test.empty() && !m_host_test) TRY(start_host_test(forwards));
        if (m_trace_wanted && !m_trace_requested) {
            m_trace_requested = true;
            channel.send(std::string(TINYX_TRACE_DUMP) + "\n");
            take_channel(channel.pump(), channel);
        }

        outcome = decide(qemu_gone);
        if (outcome) break;
        if (since(m_start) > m_request.test.timeout_seconds)
            outcome = Outcome{Verdict::timeout, str("timed out after ", human_seconds(m_request.test.timeout_seconds),
                                                    " waiting for ", phase())};
        else if (!m_seen.init && !qemu_gone && since(last_output) > m_request.test.silence_seconds)
            outcome = Outcome{Verdict::timeout, str("no console output for ", human_seconds(m_request.test.silence_seconds),
                                                    " while waiting for ", phase())};
    }

    // The end of every boot: QEMU and the host test (with everything they started) are gone.
    if (!qemu.finished()) {
        ended_by_us = true;
        qemu.terminate();
    }
    auto qemu_result = qemu.wait();
    if (m_host_test && !m_host_result) {
        m_host_test->terminate();
        m_host_result = m_host_test->wait();
    }
    m_console.feed(console.read_new());
    m_console.finish();

    if (outcome->verdict != Verdict::pass && !ended_by_us && !m_seen.init && qemu_failed_on_the_host(qemu_result)) {
        Error error = Error::machine_fault(str("QEMU could not run the guest: it ", qemu_result.describe()));
        for (const auto& line : last_lines(qemu_result.out, 5)) error.details.push_back(line);
        return error;
    }
    m_run.verdict = outcome->verdict;
    m_run.reason = outcome->reason;
    if (outcome->verdict != Verdict::pass && !m_seen.init && qemu_gone) {
        auto qemu_lines = last_lines(qemu_result.out, 3);
        if (!qemu_lines.empty()) m_run.reason += str(" (QEMU ", qemu_result.describe(), ": ", join(qemu_lines, " / "), ")");
    }
    m_run.console_tail = m_console.tail(kTailLines);
    if (m_request.test.trace_files && outcome->verdict == Verdict::pass) {
        FileTrace trace;
        trace.complete = m_seen.trace_end && *m_seen.trace_end == (long long)m_touched.size();
        trace.touched = std::move(m_touched);
        m_run.file_trace = std::move(trace);
    }
    if (m_host_result) {
        m_run.host_test_status = m_host_result->exit_code ? *m_host_result->exit_code
                                                           : 128 + m_host_result->signal.value_or(0);
        m_run.host_test_tail = last_lines(m_host_result->out, kTailLines);
        if (!m_host_result->out.empty()) log::verbose(str("host test output:\n", m_host_result->out));
    }
    m_run.seconds.total = since(m_start);
    return std::optional<BootRun>(std::move(m_run));
}

Result<BootRun> run_boot(const BootRequest& request, Accelerator accel, int memory_mb, const fs::path& console_log) {
    for (int attempt = 1;; ++attempt) {
        std::vector<PortForward> forwards;
        TRY_ASSIGN(auto ports, pick_free_ports(request.test.forwards.size()));
        for (std::size_t i = 0; i < ports.size(); ++i) forwards.push_back({ports[i], request.test.forwards[i]});
        BootSession session(request, accel, memory_mb, console_log, make_nonce());
        TRY_ASSIGN(auto run, session.run(forwards));
        if (run) return std::move(*run);
        if (attempt == kForwardAttempts)
            return Error::internal(str("QEMU could not bind a forwarded port on 127.0.0.1 in ", kForwardAttempts, " attempts"));
        log::verbose("QEMU lost a race for a forwarded port; retrying with other ports");
    }
}

void log_run(const BootRun& run, const std::string& what) {
    if (run.verdict == Verdict::pass)
        log::info(str(what, ": pass in ", human_seconds(run.seconds.total), " (", accelerator_name(run.accel), ", ",
                      run.memory_mb, " MB)"));
    else
        log::info(str(what, ": ", verdict_name(run.verdict), ": ", run.reason));
}

} // namespace

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::test_failed: return "fail";
    case Verdict::boot_failed: return "boot-failed";
    case Verdict::timeout: return "timeout";
    }
    return "boot-failed";
}

Exit exit_code_for(Verdict verdict) {
    switch (verdict) {
    case Verdict::pass: return Exit::ok;
    case Verdict::test_failed: return Exit::test_failed;
    case Verdict::boot_failed: return Exit::boot_failed;
    case Verdict::timeout: return Exit::timeout;
    }
    return Exit::boot_failed;
}

Result<fs::path> qemu_program(const BootTarget& target) {
    if (!target.qemu.empty()) return target.qemu;
    TRY_ASSIGN(const Arch* arch, find_arch(target.arch));
    return fs::path(std::string(arch->qemu_system));
}

Result<void> check_kernel_image(const fs::path& kernel, const Arch& arch) {
    auto header = read_file_prefix(kernel, 0x240);
    if (!header) return std::move(header).error().context("--kernel");
    const std::string& bytes = *header;
    auto at = [&](std::size_t offset, std::string_view magic) {
        return bytes.size() >= offset + magic.size() && bytes.compare(offset, magic.size(), magic) == 0;
    };
    // What the file is, and the ELF machine it runs on: an x86 bzImage ("HdrS" at 0x202, the x86
    // boot protocol), an arm64 Image ("ARM\x64" at 0x38), an ELF vmlinux (its e_machine).
    std::string what;
    int machine = 0;
    if (at(0x202, "HdrS")) {
        what = "bzImage";
        machine = 62; // EM_X86_64: the boot protocol is x86's
    } else if (at(0x38, std::string_view("ARM\x64", 4))) {
        what = "arm64 Image";
        machine = 183; // EM_AARCH64
    } else if (at(0, "\x7f" "ELF") && bytes.size() >= 20) {
        what = "ELF vmlinux";
        machine = static_cast<unsigned char>(bytes[18]) | static_cast<unsigned char>(bytes[19]) << 8;
    } else if (at(0, "\x1f\x8b")) {
        // The architectures whose bootable image is gzip-compressed (arm64's Image.gz): QEMU unpacks it.
        if (ends_with(arch.kernel_image, ".gz")) return success();
        return Error::bad_input(str("--kernel ", kernel.string(), ": a gzip-compressed kernel (an arm64 Image.gz?), but the guest is ",
                                    arch.name, " (--arch), which boots a ", arch.kernel_image));
    } else {
        return Error::bad_input(str("--kernel ", kernel.string(), ": not a kernel image (no bzImage header, not an ELF "
                                    "vmlinux, not an arm64 Image or Image.gz)"));
    }
    if (machine == arch.elf_machine) return success();
    std::string runs_on = str("machine ", machine);
    for (const auto& name : arch_names())
        if (auto other = find_arch(name); other && (*other)->elf_machine == machine) runs_on = name;
    return Error::bad_input(str("--kernel ", kernel.string(), ": an ", runs_on, " kernel (", what, "), but the guest is ",
                                arch.name, " (--arch)"));
}

namespace {
Result<void> need_file(const fs::path& path, const char* flag) {
    std::error_code error;
    if (!fs::is_regular_file(path, error)) return Error::bad_input(str(flag, ": ", path.string(), ": no such file"));
    return success();
}
} // namespace

Result<void> validate(const BootRequest& request) {
    if (request.target.kernel.empty()) return Error::bad_input("--kernel: no kernel given");
    TRY(need_file(request.target.kernel, "--kernel"));
    TRY_ASSIGN(const Arch* arch, find_arch(request.target.arch));
    TRY(check_kernel_image(request.target.kernel, *arch));
    return validate_all_but_kernel(request);
}

Result<void> validate_all_but_kernel(const BootRequest& request) {
    TRY_ASSIGN(const Arch* arch, find_arch(request.target.arch));
    TRY_ASSIGN(const Platform* platform, find_platform(request.target.platform));
    TRY(check_platform_arch(*platform, *arch));
    if (request.target.initrd) TRY(need_file(*request.target.initrd, "--initrd"));
    if (request.target.disk) TRY(need_file(*request.target.disk, "--disk"));
    TRY(check_range("--memory", request.target.memory_mb, kMemoryRangeMb));
    TRY(check_range("--repeat", request.repeat, kRepeatRange));
    TRY(check_range("--timeout", request.test.timeout_seconds, kTimeoutRangeSeconds));
    TRY(check_range("--silence", request.test.silence_seconds, kTimeoutRangeSeconds));
    TRY(check_range("--port-wait", request.test.port_wait_seconds, kPortWaitRangeSeconds));
    for (int port : request.test.forwards) TRY(check_range("--forward", port, kPortRange));
    for (int port : request.test.wait_ports) TRY(check_range("--wait-port", port, kPortRange));
    if (std::set<int>(request.test.forwards.begin(), request.test.forwards.end()).size() != request.test.forwards.size())
        return Error::bad_input("--forward: a guest port is given twice");
    if (request.target.append.find('\n') != std::string::npos) return Error::bad_input("--append: newlines are not allowed");
    for (const auto& entry : request.test.env) TRY(check_environment_entry(entry, "--env"));
    TRY_ASSIGN(auto qemu, qemu_program(request.target));
    if (!find_program(qemu.string())) return Error::bad_input(str(qemu.string(), " not found (Debian: apt-get install qemu-system)"));

    auto line = kernel_command_line(kernel_line_params(request));
    if (line.size() >= kKernelCommandLineLimit)
        return Error::bad_input(str("the kernel command line would be ", line.size(), " bytes, over Linux's limit of ",
                                    kKernelCommandLineLimit, ": shorten --append"));
    if (channel_parameters(guest_params(request, make_nonce())).size() > TINYX_PARAMS_MAX_BYTES)
        return Error::bad_input(str("--guest-test: ", request.test.guest_test.size(), " bytes of script is over the ",
                                    TINYX_PARAMS_MAX_BYTES / 4 * 3 / 1024, " KiB the init takes; put it into the image "
                                    "(--include test.sh:/test.sh) and run it from a short --guest-test"));
    return success();
}

Result<BootReport> boot(const BootRequest& request) {
    TRY(validate(request));
    auto started = Clock::now();
    BootReport report;
    TRY_ASSIGN(auto qemu, qemu_program(request.target));
    TRY_ASSIGN(auto decision, choose_accelerator(request.target.accel, **find_arch(request.target.arch), qemu));
    report.accel = decision.accel;
    report.accel_reason = decision.why;
    log::info(str("accelerator: ", accelerator_name(decision.accel), " (", decision.why, ")"));

    // Console logs: kept in log_dir, else in a temporary directory removed when we return.
    std::optional<TempDir> temp;
    fs::path log_dir;
    if (request.log_dir) {
        TRY(make_directories(*request.log_dir));
        log_dir = *request.log_dir;
    } else {
        TRY_ASSIGN(auto made, TempDir::create("tinyx-boot-"));
        temp.emplace(std::move(made));
        log_dir = temp->path();
    }
    auto console_path = [&](const std::string& name) { return log_dir / name; };

    for (int i = 1; i <= request.repeat; ++i) {
        std::string name = request.repeat == 1 ? "console.log" : str("console-", i, ".log");
        log::Progress progress(request.repeat == 1 ? std::string("boot") : str("boot ", i, " of ", request.repeat));
        progress.update(str("running QEMU (", accelerator_name(decision.accel), ", ", request.target.memory_mb, " MB)"));
        TRY_ASSIGN(auto run, run_boot(request, decision.accel, request.target.memory_mb, console_path(name)));
        if (request.log_dir) run.console_log = console_path(name);
        progress.finish(run.verdict == Verdict::pass ? str("pass in ", human_seconds(run.seconds.total))
                                                     : verdict_name(run.verdict));
        report.verdict = run.verdict;
        report.reason = run.reason;
        report.boots.push_back(std::move(run));
        if (report.verdict != Verdict::pass) break;
    }

    if (report.verdict == Verdict::pass && request.find_min_memory) {
        // Invariant: `good` passed; `bad` failed or is below the floor.
        int good = request.target.memory_mb;
        int bad = request.min_memory_floor_mb - 1;
        int step = std::max(1, request.min_memory_precision_mb);
        // Too little memory ends a boot in a panic or an OOM kill, seconds in; a boot that hangs
        // instead is cut at a few times the passing boots' time, not at the test's timeout.
        BootRequest trial = request;
        double slowest = 0;
        for (const auto& run : report.boots) slowest = std::max(slowest, run.seconds.total);
        trial.test.timeout_seconds = std::min(request.test.timeout_seconds, std::max(30.0, 3 * slowest));
        const auto probe = [&](int mb) -> Result<void> {
            TRY_ASSIGN(auto run, run_boot(trial, decision.accel, mb, console_path(str("console-", mb, "mb.log"))));
            log_run(run, str("memory ", mb, " MB"));
            report.memory_trials.emplace_back(mb, run.verdict);
            (run.verdict == Verdict::pass ? good : bad) = mb;
            return success();
        };
        if (const auto hint = request.min_memory_hint_mb; hint && *hint > bad + step && *hint < good - step) {
            TRY(probe(*hint));
            // An estimate that was short is short by a factor, not by most of the range.
            if (bad == *hint && 2 * *hint < good - step) TRY(probe(2 * *hint));
        }
        while (good - bad > step) TRY(probe(bad + (good - bad) / 2));
        report.min_memory_mb = good;
        log::info(str("smallest memory that passes: ", good, " MB (within ", step, " MB)"));
    }
    report.seconds = since(started);
    return report;
}

std::vector<std::string> failure_details(const BootRun& run, std::size_t console_lines) {
    std::vector<std::string> details;
    if (!run.host_test_tail.empty()) {
        details.push_back("host test output (last lines):");
        for (const auto& line : run.host_test_tail) details.push_back("  " + line);
    }
    if (run.console_log) details.push_back(str("console log: ", run.console_log->string()));
    details.push_back("guest console (last lines):");
    auto start = run.console_tail.size() > console_lines ? run.console_tail.size() - console_lines : 0;
    for (std::size_t i = start; i < run.console_tail.size(); ++i) details.push_back("  " + run.console_tail[i]);
    if (run.console_tail.empty()) details.push_back("  (none)");
    return details;
}

Json file_trace_json(const FileTrace& trace) {
    Json touched = Json::array();
    for (const auto& entry : trace.touched) touched.push_back(str(entry.type, " ", entry.path));
    return Json{{"complete", trace.complete}, {"touched", touched}};
}

BootPhases boot_phases(const BootRun& run) {
    BootPhases phases;
    const auto& guest = run.guest_ms;
    if (run.seconds.init >= 0 && guest.init >= 0) phases.before_kernel = std::max(0.0, run.seconds.init - double(guest.init) / 1000);
    const bool unpacked = guest.unpack_start_us >= 0 && guest.unpack_end_us >= guest.unpack_start_us;
    if (unpacked) phases.initramfs_unpack = double(guest.unpack_end_us - guest.unpack_start_us) / 1e6;
    if (guest.run_init_us >= 0) phases.kernel_init = double(guest.run_init_us) / 1e6 - std::max(0.0, phases.initramfs_unpack);
    if (guest.run_init_us >= 0 && guest.app_launch >= 0) phases.init = std::max(0.0, double(guest.app_launch) / 1000 - double(guest.run_init_us) / 1e6);
    if (guest.app_launch >= 0 && guest.app_started >= 0) phases.app_start = double(guest.app_started - guest.app_launch) / 1000;
    return phases;
}

const std::vector<BootPhaseName>& boot_phase_names() {
    static const std::vector<BootPhaseName> names = {
        {"before_kernel", "firmware, loader and kernel decompression", &BootPhases::before_kernel},
        {"kernel_init", "kernel init", &BootPhases::kernel_init},
        {"initramfs_unpack", "initramfs unpack", &BootPhases::initramfs_unpack},
        {"init", "init", &BootPhases::init},
        {"app_start", "app start", &BootPhases::app_start},
    };
    return names;
}

Json boot_phases_json(const BootPhases& phases) {
    Json out = Json::object();
    for (const auto& phase : boot_phase_names()) {
        const double seconds = phases.*phase.seconds;
        out[phase.key] = seconds < 0 ? Json() : Json(seconds);
    }
    return out;
}

Json boot_report_json(const BootReport& report) {
    auto seconds_or_null = [](double value) { return value < 0 ? Json() : Json(value); };
    auto ms_or_null = [](long long value) { return value < 0 ? Json() : Json(value); };
    Json boots = Json::array();
    for (const auto& run : report.boots) {
        Json forwards = Json::object();
        for (const auto& forward : run.forwards) forwards[std::to_string(forward.guest_port)] = forward.host_port;
        boots.push_back({
            {"verdict", verdict_name(run.verdict)},
            {"reason", run.reason},
            {"memory_mb", run.memory_mb},
            {"accel", accelerator_name(run.accel)},
            {"guest_test_status", run.guest_test_status ? Json(*run.guest_test_status) : Json()},
            {"host_test_status", run.host_test_status ? Json(*run.host_test_status) : Json()},
            {"forwards", forwards},
            {"seconds",
             {{"first_output", seconds_or_null(run.seconds.first_output)},
              {"init", seconds_or_null(run.seconds.init)},
              {"app_started", seconds_or_null(run.seconds.app_started)},
              {"test_start", seconds_or_null(run.seconds.test_start)},
              {"test_done", seconds_or_null(run.seconds.test_done)},
              {"total", run.seconds.total}}},
            {"guest_uptime_ms",
             {{"init", ms_or_null(run.guest_ms.init)},
              {"app_started", ms_or_null(run.guest_ms.app_started)},
              {"test_start", ms_or_null(run.guest_ms.test_start)},
              {"test_exit", ms_or_null(run.guest_ms.test_exit)}}},
            {"phases", boot_phases_json(boot_phases(run))},
            {"console_log", run.console_log ? Json(run.console_log->string()) : Json()},
            {"console_tail", run.verdict == Verdict::pass ? Json::array() : Json(run.console_tail)},
            {"host_test_tail", run.verdict == Verdict::pass ? Json::array() : Json(run.host_test_tail)},
            {"qemu_command", run.qemu_command},
            {"file_trace", run.file_trace ? file_trace_json(*run.file_trace) : Json()},
        });
    }
    Json trials = Json::array();
    for (const auto& [memory, verdict] : report.memory_trials)
        trials.push_back({{"memory_mb", memory}, {"verdict", verdict_name(verdict)}});
    return {
        {"verdict", verdict_name(report.verdict)},
        {"exit_code", int(exit_code_for(report.verdict))},
        {"reason", report.reason},
        {"accel", accelerator_name(report.accel)},
        {"accel_reason", report.accel_reason},
        {"boots", boots},
        {"min_memory_mb", report.min_memory_mb ? Json(*report.min_memory_mb) : Json()},
        {"memory_trials", trials},
        {"seconds", report.seconds},
    };
}

} // namespace tinyx::harness
