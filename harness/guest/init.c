/*
 * tinyx-init: the /init of every tinyx image (and /sbin/tinyx-init on disks).
 *
 * It must work in images without a shell or BusyBox, so it does everything in C:
 * mounts the API file systems, sets the hostname, configures lo and eth0 for QEMU's
 * user network, creates the app's directories, starts the app from
 * TINYX_INIT_CONFIG_PATH, waits for its ports, optionally runs the guest test, and
 * reports each step as a nonce-carrying marker on the marker channel, a serial port
 * only the init holds (harness/protocol.h). Built statically (musl) and embedded in
 * the tinyx binary.
 */
#define _GNU_SOURCE
#include "harness/protocol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <limits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 256
#define MAX_ENV 256
#define MAX_PORTS 32
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int console_fd = -1;
static int channel_fd = -1; /* the marker channel; -1 outside tinyx's harness */
static char nonce[128];

/* ---- console output ---- */

static void write_all(int fd, const char* data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        length -= (size_t)n;
    }
}

static long uptime_ms(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_BOOTTIME, &now) != 0 && clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 0;
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A marker goes to the marker channel only (one write(), starting with a newline so a marker never
 * continues a partial line); the console gets a plain note for people reading the log. */
static void marker(const char* event, const char* value) {
    char line[1024];
    int n;
    if (value)
        n = snprintf(line, sizeof line, "\n" TINYX_MARKER_PREFIX "%s:%s:%ld:%s\n", nonce, event, uptime_ms(), value);
    else
        n = snprintf(line, sizeof line, "\n" TINYX_MARKER_PREFIX "%s:%s:%ld\n", nonce, event, uptime_ms());
    if (n < 0) return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* A value must stay on the marker's line. */
    for (int i = 1; i < n - 1; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    if (channel_fd >= 0) write_all(channel_fd, line, (size_t)n);

    if (strcmp(event, TINYX_EVENT_TOUCHED) == 0) return; /* the trace is for the host; the console stays readable */
    char note[512];
    int m = snprintf(note, sizeof note, "\ntinyx-init: %s%s%s\n", event, value ? " " : "", value ? value : "");
    if (m > 0 && (size_t)m < sizeof note) write_all(console_fd >= 0 ? console_fd : 2, note, (size_t)m);
}

static void say(const char* level, const char* format, ...) {
    char line[1024];
    int n = snprintf(line, sizeof line, "\ntinyx-init: %s: ", level);
    if (n < 0) return;
    va_list args;
    va_start(args, format);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, format, args);
    va_end(args);
    if (m < 0) return;
    size_t length = strlen(line);
    line[length++] = '\n';
    write_all(console_fd >= 0 ? console_fd : 2, line, length);
}

#define warn(...) say("warning", __VA_ARGS__)
#define info(...) say("info", __VA_ARGS__)

/* Ending the VM: with QEMU's -no-reboot a reboot request makes QEMU exit; this needs no ACPI.
 * The serial ports are drained first: a marker still in the UART's queue would be lost. */
static void end_vm(void) {
    if (channel_fd >= 0) tcdrain(channel_fd);
    if (console_fd >= 0) tcdrain(console_fd);
    sync();
    reboot(RB_AUTOBOOT);
    /* Still here (not PID 1, or no permission): leave instead of spinning. */
    _exit(1);
}

static void fail(const char* what) {
    say("error", "%s", what);
    marker(TINYX_EVENT_ERROR, what);
    end_vm();
}

/* ---- early setup ---- */

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static void attach_console(void) {
    int had[3] = {fd_is_open(0), fd_is_open(1), fd_is_open(2)};
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0) fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
    if (fd < 0) return;
    for (int i = 0; i < 3; i++)
        if (!had[i] && fd != i) dup2(fd, i);
    console_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (fd > 2) close(fd);
}

struct mount_point {
    const char* source;
    const char* target;
    const char* type;
    unsigned long flags;
    const char* options;
    mode_t mode;
};

static void mount_api_filesystems(void) {
    static const struct mount_point mounts[] = {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
        {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666", 0755},
        {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
        {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
        {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", 0755},
    };
    for (size_t i = 0; i < sizeof mounts / sizeof mounts[0]; i++) {
        const struct mount_point* m = &mounts[i];
        mkdir(m->target, m->mode);
        if (mount(m->source, m->target, m->type, m->flags, m->options) != 0 && errno != EBUSY)
            warn("cannot mount %s on %s: %s", m->type, m->target, strerror(errno));
    }
}

/* ---- parameters: the channel's name on the command line, the rest on the channel ---- */

struct params {
    char channel[64];
    char* test_base64;
    int ports[MAX_PORTS];
    int port_count;
    int wait_seconds;
    int keep_running;
    int trace; /* tinyx.trace=1: the file trace */
    int have_nonce;
    char* env[MAX_ENV]; /* tinyx.env=: over the image's environment */
    int env_count;
};

static int starts_with(const char* word, const char* prefix) { return strncmp(word, prefix, strlen(prefix)) == 0; }

/* What the host sends on the channel. */
static void take_channel_param(struct params* p, char* word) {
    if (starts_with(word, TINYX_PARAM_NONCE)) {
        snprintf(nonce, sizeof nonce, "%s", word + strlen(TINYX_PARAM_NONCE));
        p->have_nonce = nonce[0] != '\0';
    } else if (starts_with(word, TINYX_PARAM_TEST)) {
        p->test_base64 = word + strlen(TINYX_PARAM_TEST);
    } else if (starts_with(word, TINYX_PARAM_PORTS)) {
        char* cursor = word + strlen(TINYX_PARAM_PORTS);
        p->port_count = 0;
        while (*cursor && p->port_count < MAX_PORTS) {
            char* end;
            long port = strtol(cursor, &end, 10);
            if (end == cursor) break;
            if (port > 0 && port < 65536) p->ports[p->port_count++] = (int)port;
            cursor = (*end == ',') ? end + 1 : end;
            if (*end != ',') break;
        }
    } else if (starts_with(word, TINYX_PARAM_ENV)) {
        if (p->env_count < MAX_ENV && strchr(word + strlen(TINYX_PARAM_ENV), '=')) p->env[p->env_count++] = word + strlen(TINYX_PARAM_ENV);
    } else if (starts_with(word, TINYX_PARAM_TRACE)) {
        p->trace = atoi(word + strlen(TINYX_PARAM_TRACE)) != 0;
        if (p->trace) p->keep_running = 1; /* the host asks for the trace after its test, then ends the VM */
    } else if (starts_with(word, TINYX_PARAM_KEEP)) {
        p->keep_running = atoi(word + strlen(TINYX_PARAM_KEEP)) != 0;
    } else if (starts_with(word, TINYX_PARAM_WAIT)) {
        int seconds = atoi(word + strlen(TINYX_PARAM_WAIT));
        if (seconds > 0) p->wait_seconds = seconds;
    }
}

/* What the kernel command line says: only which device the channel is. */
static void take_command_line_param(struct params* p, const char* word) {
    if (starts_with(word, TINYX_PARAM_CHANNEL)) snprintf(p->channel, sizeof p->channel, "%s", word + strlen(TINYX_PARAM_CHANNEL));
}

static char* read_whole_file(const char* path, size_t limit) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char* data = malloc(limit + 1);
    size_t length = 0;
    while (data && length < limit) {
        ssize_t n = read(fd, data + length, limit - length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        length += (size_t)n;
    }
    close(fd);
    if (data) data[length] = '\0';
    return data;
}

/* The kernel gives /init the command line's unknown "name=value" words as its environment, and
 * the words after a " -- " as its arguments. The app gets an environment of its own. */
static void read_command_line(struct params* p, int argc, char** argv, char** envp) {
    p->wait_seconds = 60;
    for (char** word = envp; word && *word; word++) take_command_line_param(p, *word);
    for (int i = 1; i < argc; i++) take_command_line_param(p, argv[i]);
    if (p->channel[0]) return;
    /* Not in either (an init started some other way): /proc/cmdline, when there is a /proc. */
    char* cmdline = read_whole_file("/proc/cmdline", 65536);
    if (!cmdline) return;
    for (char* word = strtok(cmdline, " \t\n"); word; word = strtok(NULL, " \t\n")) take_command_line_param(p, word);
    free(cmdline);
}

/* Opens the marker channel, says hello and reads the host's parameters (harness/protocol.h), then
 * removes the device node so that no later process finds the channel by its path. */
static void open_channel(struct params* p) {
    char path[96], why[256];
    if (strchr(p->channel, '/') || p->channel[0] == '.') {
        snprintf(why, sizeof why, "bad marker channel name '%s'", p->channel);
        fail(why);
    }
    snprintf(path, sizeof path, "/dev/%s", p->channel);
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot open the marker channel %s: %s (the kernel needs a second serial port)", path,
                 strerror(errno));
        fail(why);
    }
    struct termios mode;
    if (tcgetattr(fd, &mode) == 0) {
        cfmakeraw(&mode); /* no echo, no line editing, no newline translation */
        tcsetattr(fd, TCSANOW, &mode);
    }
    static const char hello[] = "\n" TINYX_CHANNEL_HELLO TINYX_PROTOCOL_VERSION "\n";
    write_all(fd, hello, sizeof hello - 1);

    /* Lines until TINYX_PARAM_END. The buffer stays allocated: test_base64 points into it. */
    char* text = malloc(TINYX_PARAMS_MAX_BYTES + 1);
    if (!text) fail("out of memory reading the host's parameters");
    size_t length = 0, line_start = 0;
    long deadline = uptime_ms() + TINYX_PARAMS_WAIT_SECONDS * 1000L;
    int done = 0;
    while (!done) {
        long left = deadline - uptime_ms();
        if (left <= 0) fail("the host sent no parameters on the marker channel");
        struct pollfd wait = {fd, POLLIN, 0};
        int ready = poll(&wait, 1, (int)(left > 1000 ? 1000 : left));
        if (ready < 0 && errno != EINTR) fail("poll on the marker channel failed");
        if (ready <= 0) continue;
        if (length >= TINYX_PARAMS_MAX_BYTES) fail("the host's parameters are too long");
        ssize_t n = read(fd, text + length, TINYX_PARAMS_MAX_BYTES - length);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) fail("the marker channel closed before the host's parameters arrived");
        length += (size_t)n;
        for (size_t i = line_start; i < length && !done; i++) {
            if (text[i] != '\n') continue;
            text[i] = '\0';
            char* line = text + line_start;
            line_start = i + 1;
            size_t line_length = strlen(line);
            while (line_length > 0 && line[line_length - 1] == '\r') line[--line_length] = '\0';
            if (strcmp(line, TINYX_PARAM_END) == 0) done = 1;
            else take_channel_param(p, line);
        }
    }
    if (!p->have_nonce) fail("the host's parameters had no nonce");
    if (unlink(path) != 0) warn("cannot remove %s: %s", path, strerror(errno));
    /* Only a process allowed to ptrace us may read our memory (and with it the nonce) now. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    channel_fd = fd;
}

/* ---- network ---- */

static int set_address(int sock, const char* name, unsigned long request, const char* address) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    struct sockaddr_in* sin = (struct sockaddr_in*)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, address, &sin->sin_addr);
    return ioctl(sock, request, &ifr);
}

static int bring_up(int sock, const char* name) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static void configure_network(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        warn("no IPv4 networking (socket: %s)", strerror(errno));
        return;
    }
    if (set_address(sock, "lo", SIOCSIFADDR, "127.0.0.1") != 0 || bring_up(sock, "lo") != 0)
        warn("cannot bring up lo: %s", strerror(errno));
    /* QEMU user networking: guest 10.0.2.15/24, gateway 10.0.2.2. */
    if (set_address(sock, "eth0", SIOCSIFADDR, "10.0.2.15") != 0) {
        warn("no eth0 (%s): the guest has no network card", strerror(errno));
        close(sock);
        return;
    }
    if (set_address(sock, "eth0", SIOCSIFNETMASK, "255.255.255.0") != 0 || bring_up(sock, "eth0") != 0) {
        warn("cannot bring up eth0: %s", strerror(errno));
        close(sock);
        return;
    }
    struct rtentry route;
    memset(&route, 0, sizeof route);
    struct sockaddr_in* gateway = (struct sockaddr_in*)&route.rt_gateway;
    gateway->sin_family = AF_INET;
    inet_pton(AF_INET, "10.0.2.2", &gateway->sin_addr);
    ((struct sockaddr_in*)&route.rt_dst)->sin_family = AF_INET;
    ((struct sockaddr_in*)&route.rt_genmask)->sin_family = AF_INET;
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    if (ioctl(sock, SIOCADDRT, &route) != 0 && errno != EEXIST)
        warn("cannot add the default route via 10.0.2.2: %s", strerror(errno));
    close(sock);
}

/* ---- the init configuration (format: harness/guest_init.hpp) ---- */

struct config {
    char* run[MAX_ARGS + 1];
    int run_count;
    char* env[MAX_ENV + 4];
    int env_count;
    char* hostname;
    char* workdir;   /* the app's working directory, NULL: / */
    int run_as_user; /* the app drops to uid/gid; the guest test stays root */
    uid_t uid;
    gid_t gid;
};

static void make_parents(char* path) {
    for (char* slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
}

/* "dir PATH MODE UID GID": the path may hold spaces, so the numbers are taken from the right. */
static void create_directory(char* spec) {
    char* fields[3];
    for (int i = 2; i >= 0; i--) {
        char* space = strrchr(spec, ' ');
        if (!space) {
            warn("malformed dir line in " TINYX_INIT_CONFIG_PATH ": %s", spec);
            return;
        }
        *space = '\0';
        fields[i] = space + 1;
    }
    mode_t mode = (mode_t)strtoul(fields[0], NULL, 8);
    uid_t uid = (uid_t)strtoul(fields[1], NULL, 10);
    gid_t gid = (gid_t)strtoul(fields[2], NULL, 10);
    if (spec[0] != '/') {
        warn("directory %s is not absolute", spec);
        return;
    }
    make_parents(spec);
    if (mkdir(spec, mode) != 0 && errno != EEXIST) {
        warn("cannot create %s: %s", spec, strerror(errno));
        return;
    }
    if (chown(spec, uid, gid) != 0) warn("cannot chown %s: %s", spec, strerror(errno));
    if (chmod(spec, mode) != 0) warn("cannot chmod %s: %s", spec, strerror(errno));
}

static void set_env(struct config* c, char* entry) {
    char* equals = strchr(entry, '=');
    if (!equals) return;
    size_t key_length = (size_t)(equals - entry) + 1;
    for (int i = 0; i < c->env_count; i++)
        if (strncmp(c->env[i], entry, key_length) == 0) {
            c->env[i] = entry;
            return;
        }
    if (c->env_count < MAX_ENV + 3) c->env[c->env_count++] = entry;
}

static void read_config(struct config* c) {
    static char path_default[] = DEFAULT_PATH, home_default[] = "HOME=/", term_default[] = "TERM=linux";
    memset(c, 0, sizeof *c);
    set_env(c, path_default);
    set_env(c, home_default);
    set_env(c, term_default);
    char* text = read_whole_file(TINYX_INIT_CONFIG_PATH, 1 << 20);
    if (!text) {
        warn("no %s (%s): no app to start", TINYX_INIT_CONFIG_PATH, strerror(errno));
        return;
    }
    for (char* line = text; line && *line;) {
        char* next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char* value = strchr(line, ' ');
        if (value) *value++ = '\0';
        if (line[0] == '\0' || line[0] == '#') {
        } else if (!value) {
            warn("ignoring '%s' in %s: no value", line, TINYX_INIT_CONFIG_PATH);
        } else if (strcmp(line, "run") == 0) {
            if (c->run_count < MAX_ARGS) c->run[c->run_count++] = value;
        } else if (strcmp(line, "env") == 0) {
            set_env(c, value);
        } else if (strcmp(line, "dir") == 0) {
            create_directory(value);
        } else if (strcmp(line, "hostname") == 0) {
            c->hostname = value;
        } else if (strcmp(line, "workdir") == 0) {
            c->workdir = value;
        } else if (strcmp(line, "user") == 0) {
            char* end = NULL;
            c->uid = (uid_t)strtoul(value, &end, 10);
            c->gid = end && *end == ' ' ? (gid_t)strtoul(end + 1, NULL, 10) : (gid_t)c->uid;
            c->run_as_user = 1;
        } else {
            warn("ignoring unknown key '%s' in %s", line, TINYX_INIT_CONFIG_PATH);
        }
        line = next;
    }
    /* text stays allocated: run/env point into it. */
}

/* ---- children ---- */

static const char* env_value(char** env, const char* key) {
    size_t length = strlen(key);
    for (; *env; env++)
        if (strncmp(*env, key, length) == 0 && (*env)[length] == '=') return *env + length + 1;
    return NULL;
}

/* In the child: exec argv[0], searched in the app's PATH when it has no slash. */
static void exec_in_path(char** argv, char** env) {
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, env);
        return;
    }
    const char* path = env_value(env, "PATH");
    char candidate[4096];
    int saved = ENOENT;
    while (path && *path) {
        const char* colon = strchr(path, ':');
        size_t length = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)length, path, argv[0]);
        execve(candidate, argv, env);
        if (errno != ENOENT) saved = errno;
        path = colon ? colon + 1 : NULL;
    }
    errno = saved;
}

/* as: the app's placement (working directory, user); NULL for the guest test. */
static pid_t start(char** argv, char** env, const struct config* as) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    setsid();
    if (as && as->workdir && chdir(as->workdir) != 0) {
        say("error", "cannot enter the working directory %s: %s", as->workdir, strerror(errno));
        _exit(127);
    }
    if (as && as->run_as_user) {
        /* Group first: after setuid the process may no longer change it. */
        if (setgroups(0, NULL) != 0 || setgid(as->gid) != 0 || setuid(as->uid) != 0) {
            say("error", "cannot become uid %u gid %u: %s", (unsigned)as->uid, (unsigned)as->gid, strerror(errno));
            _exit(127);
        }
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
        dup2(null, 0);
        if (null > 2) close(null);
    }
    signal(SIGPIPE, SIG_DFL);
    exec_in_path(argv, env);
    say("error", "cannot run %s: %s", argv[0], strerror(errno));
    _exit(127);
}

static void describe_status(int status, char* out, size_t size) {
    if (WIFEXITED(status))
        snprintf(out, size, "%d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "%d (killed by signal %d)", 128 + WTERMSIG(status), WTERMSIG(status));
    else
        snprintf(out, size, "unknown status %d", status);
}

static int port_accepts(int port) {
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return 0;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(sock, (struct sockaddr*)&address, sizeof address) == 0;
    close(sock);
    return ok;
}

/* Until every port accepts on 127.0.0.1. An app that fails first ends the boot; one that exits 0
 * may have daemonised, so the ports decide. */
static void wait_for_app(pid_t app, const struct params* p) {
    long deadline = uptime_ms() + (long)p->wait_seconds * 1000;
    int app_running = app > 0;
    for (;;) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != app) continue;
            app_running = 0;
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || p->port_count == 0) {
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return; /* a one-shot app, done */
                char value[64];
                describe_status(status, value, sizeof value);
                say("error", "the app exited with status %s before it started", value);
                marker(TINYX_EVENT_APP_EXITED, value);
                end_vm();
            }
        }
        int ready = 1;
        for (int i = 0; i < p->port_count && ready; i++) ready = port_accepts(p->ports[i]);
        if (ready) return;
        if (uptime_ms() > deadline) {
            char what[256];
            int n = snprintf(what, sizeof what, "the app's ports did not accept connections within %ds:", p->wait_seconds);
            for (int i = 0; i < p->port_count && n > 0 && (size_t)n < sizeof what; i++)
                if (!port_accepts(p->ports[i])) n += snprintf(what + n, sizeof what - (size_t)n, " %d", p->ports[i]);
            if (!app_running && n > 0 && (size_t)n < sizeof what)
                snprintf(what + n, sizeof what - (size_t)n, " (the app's launcher had exited 0)");
            fail(what);
        }
        usleep(app_running || p->port_count ? 100000 : 0);
    }
}

static int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static size_t base64_decode(const char* in, char* out) {
    size_t length = 0;
    unsigned bits = 0;
    int count = 0;
    for (; *in && *in != '='; in++) {
        int v = base64_value(*in);
        if (v < 0) continue;
        bits = (bits << 6) | (unsigned)v;
        count += 6;
        if (count >= 8) {
            count -= 8;
            out[length++] = (char)((bits >> count) & 0xff);
        }
    }
    return length;
}

static int write_test_file(const char* base64, char* path, size_t path_size) {
    char* script = malloc(strlen(base64) + 1);
    if (!script) return -1;
    size_t length = base64_decode(base64, script);
    static const char* const dirs[] = {"/run", "/tmp", "/"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, path_size, "%s/tinyx-guest-test.sh", strcmp(dirs[i], "/") == 0 ? "" : dirs[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (fd < 0) continue;
        write_all(fd, script, length);
        close(fd);
        free(script);
        return 0;
    }
    free(script);
    return -1;
}

static void run_guest_test(const struct params* p, struct config* c, pid_t app) {
    char path[64];
    if (access("/bin/sh", X_OK) != 0) fail("the image has no /bin/sh to run the guest test (use a host test)");
    if (write_test_file(p->test_base64, path, sizeof path) != 0) fail("cannot write the guest test to /run, /tmp or /");
    char* argv[] = {"/bin/sh", path, NULL};
    marker(TINYX_EVENT_TEST_START, NULL);
    pid_t test = start(argv, c->env, NULL);
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno == EINTR) continue;
        if (pid < 0) fail("lost the guest test process");
        if (pid == app) info("the app ended during the test");
        if (pid != test) continue;
        char value[64];
        snprintf(value, sizeof value, "%d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255);
        marker(TINYX_EVENT_TEST_EXIT, value);
        if (!p->keep_running) end_vm();
        return;
    }
}

/* ---- the file trace (harness/protocol.h, 5.) ---- */

static struct timespec trace_start;

/* Strict atime on /, then the clock: from now on every access of an entry sets its access time to
 * at least trace_start (both read the kernel's coarse clock). */
static void start_trace(void) {
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_STRICTATIME, NULL) != 0)
        warn("cannot remount / with strict atime (%s): the trace sees only each entry's first access", strerror(errno));
    clock_gettime(CLOCK_REALTIME_COARSE, &trace_start);
}

static int since_start(const struct timespec* t) {
    return t->tv_sec > trace_start.tv_sec || (t->tv_sec == trace_start.tv_sec && t->tv_nsec >= trace_start.tv_nsec);
}

/* Read, mapped, executed or listed (access time), written (modification time), or chmod'ed,
 * renamed or linked (change time): a file opened only to be written is needed too. */
static int touched_since_start(const struct stat* st) {
    return since_start(&st->st_atim) || since_start(&st->st_mtim) || since_start(&st->st_ctim);
}

/* "<type> <path>" with bytes below 0x20, 0x7f and '%' as %XX: a marker stays on one line. */
static int report_touched(char type, const char* path) {
    char value[900];
    size_t n = 0;
    value[n++] = type;
    value[n++] = ' ';
    for (const unsigned char* c = (const unsigned char*)path; *c; c++) {
        if (n + 4 >= sizeof value) {
            warn("file trace: path too long to report: %.80s...", path);
            return 0;
        }
        if (*c < 0x20 || *c == 0x7f || *c == '%') n += (size_t)snprintf(value + n, 4, "%%%02X", *c);
        else value[n++] = (char)*c;
    }
    value[n] = '\0';
    marker(TINYX_EVENT_TOUCHED, value);
    return 1;
}

/* Walks the root file system (not the mounts on it), reporting what was touched. Each entry's
 * times are read before the walk opens it, and directories are opened with O_NOATIME: the walk
 * itself changes nothing it reports. */
static int walk_touched(char* path, size_t length, dev_t root_dev) {
    int count = 0;
    int fd = open(length ? path : "/", O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
    if (fd < 0) return 0;
    DIR* dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return 0;
    }
    struct dirent* entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        size_t name_length = strlen(entry->d_name);
        if (length + 1 + name_length >= PATH_MAX) continue;
        path[length] = '/';
        memcpy(path + length + 1, entry->d_name, name_length + 1);
        struct stat st;
        if (lstat(path, &st) == 0 && st.st_dev == root_dev) {
            if (S_ISDIR(st.st_mode)) {
                if (touched_since_start(&st)) count += report_touched('d', path);
                count += walk_touched(path, length + 1 + name_length, root_dev);
            } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
                if (touched_since_start(&st)) count += report_touched(S_ISLNK(st.st_mode) ? 'l' : 'f', path);
            }
        }
        path[length] = '\0';
    }
    closedir(dir);
    return count;
}

static void dump_trace(void) {
    struct stat root;
    char count_text[32];
    int count = 0;
    if (lstat("/", &root) == 0) {
        static char path[PATH_MAX];
        path[0] = '\0';
        if (touched_since_start(&root)) count += report_touched('d', "/");
        count += walk_touched(path, 0, root.st_dev);
    }
    snprintf(count_text, sizeof count_text, "%d", count);
    marker(TINYX_EVENT_TRACE_END, count_text);
}

/* What the host sends after the parameters: TINYX_TRACE_DUMP lines. */
static int channel_readable = 1;

static void read_host_requests(void) {
    static char pending[256];
    static size_t length;
    if (channel_fd < 0 || !channel_readable) return;
    struct pollfd wait = {channel_fd, POLLIN, 0};
    if (poll(&wait, 1, 0) <= 0) return;
    ssize_t n = read(channel_fd, pending + length, sizeof pending - 1 - length);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        channel_readable = 0; /* hung up: nothing more will come */
        return;
    }
    length += (size_t)n;
    pending[length] = '\0';
    char* newline;
    while ((newline = strchr(pending, '\n')) != NULL) {
        *newline = '\0';
        if (newline > pending && newline[-1] == '\r') newline[-1] = '\0';
        if (strcmp(pending, TINYX_TRACE_DUMP) == 0) dump_trace();
        length -= (size_t)(newline + 1 - pending);
        memmove(pending, newline + 1, length + 1);
    }
    if (length == sizeof pending - 1) length = 0; /* a line too long for any request */
}

/* No test: keep the app running (the host test runs against it; the host ends QEMU), answering
 * the host's requests on the channel. */
static void keep_running(pid_t app) {
    for (;;) {
        read_host_requests();
        const int listening = channel_fd >= 0 && channel_readable;
        int status;
        pid_t pid = waitpid(-1, &status, listening ? WNOHANG : 0);
        if (pid < 0 && errno == EINTR) continue;
        if (pid == 0) { /* nothing ended: wait for the host's next line, a while */
            struct pollfd wait = {channel_fd, POLLIN, 0};
            poll(&wait, 1, 200);
            continue;
        }
        if (pid < 0) {
            sleep(1); /* no children now; orphans may be handed to us later */
            continue;
        }
        if (pid == app && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            char value[64];
            describe_status(status, value, sizeof value);
            say("error", "the app exited with status %s", value);
            marker(TINYX_EVENT_APP_EXITED, value);
            end_vm();
        }
    }
}

/* The kernel's own times of the boot's phases, from its log (protocol.h, 4.): records are
 * "priority,sequence,microseconds,flags;message". -1 where the log does not say. */
struct kernel_times {
    long long run_init_us, unpack_start_us, unpack_end_us;
};

static void read_kernel_times(struct kernel_times* t) {
    t->run_init_us = t->unpack_start_us = t->unpack_end_us = -1;
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    char record[2048];
    for (;;) {
        ssize_t n = read(fd, record, sizeof record - 1);
        if (n < 0 && (errno == EPIPE || errno == EINTR)) continue; /* EPIPE: older records were overwritten */
        if (n <= 0) break;
        record[n] = '\0';
        unsigned priority;
        unsigned long long sequence;
        long long usec;
        const char* message = strchr(record, ';');
        if (!message || sscanf(record, "%u,%llu,%lld", &priority, &sequence, &usec) != 3) continue;
        message++;
        if (starts_with(message, "Unpacking initramfs") || starts_with(message, "Trying to unpack rootfs image as initramfs"))
            t->unpack_start_us = usec;
        else if (starts_with(message, "Freeing initrd memory"))
            t->unpack_end_us = usec;
        else if (starts_with(message, "Run ") && strstr(message, " as init process"))
            t->run_init_us = usec;
    }
    close(fd);
}

int main(int argc, char** argv, char** envp) {
    const long init_start_ms = uptime_ms();
    umask(022);
    mkdir("/dev", 0755);
    int dev_error = mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") != 0 ? errno : 0;
    attach_console();
    if (dev_error && dev_error != EBUSY) warn("cannot mount devtmpfs on /dev: %s", strerror(dev_error));
    mount_api_filesystems();

    struct params params;
    memset(&params, 0, sizeof params);
    read_command_line(&params, argc, argv, envp);
    if (params.channel[0]) open_channel(&params);
    marker(TINYX_EVENT_INIT, TINYX_PROTOCOL_VERSION);
    if (getpid() != 1) warn("not running as PID 1");

    struct config config;
    read_config(&config);
    for (int i = 0; i < params.env_count; i++) set_env(&config, params.env[i]);
    const char* hostname = config.hostname ? config.hostname : "tinyx";
    if (sethostname(hostname, strlen(hostname)) != 0) warn("cannot set the hostname: %s", strerror(errno));
    configure_network();

    pid_t app = 0;
    if (params.trace) start_trace();
    struct kernel_times kernel;
    read_kernel_times(&kernel);
    const long app_launch_ms = uptime_ms();
    if (config.run_count > 0) {
        app = start(config.run, config.env, &config);
        if (app < 0) fail("cannot fork the app");
    }
    char times[160];
    snprintf(times, sizeof times, "%lld %lld %lld %ld %ld", kernel.run_init_us, kernel.unpack_start_us, kernel.unpack_end_us,
             init_start_ms, app_launch_ms);
    marker(TINYX_EVENT_BOOT_TIMES, times);
    wait_for_app(app, &params);
    marker(TINYX_EVENT_APP_STARTED, NULL);

    if (params.test_base64) run_guest_test(&params, &config, app);
    keep_running(app);
    return 0;
}
