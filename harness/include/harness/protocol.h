/*
 * The boot-test protocol: the one definition shared by the host side (the harness library)
 * and the guest side (harness/guest/init.c, compiled into every image as /init).
 * Plain C so both can include it.
 *
 * Two channels. The console (ttyS0; arm64: ttyAMA0) is for people: kernel messages, the app's and
 * the test's output, the init's own notes. The host never takes a verdict from it. Verdicts travel
 * on the marker channel, a device of the init's own that no other guest process has (a second
 * serial port, ttyS1; on arm64's virt, which has one UART, a virtio console, hvc0):
 *
 * 1. The kernel command line names the channel: tinyx_channel=<device under /dev>. An unknown
 *    parameter with "=" and no dot reaches /init in its environment (so even a kernel without
 *    /proc passes it), and it needs no " -- ": monitors append their own parameters to the end of
 *    the command line (QEMU's and Firecracker's microVMs name their virtio-mmio devices there),
 *    which after " -- " would go to /init instead of the kernel. Nothing secret is on the
 *    command line; any guest process can read it from /proc/cmdline.
 * 2. /init opens the device (raw mode, close-on-exec), says TINYX_CHANNEL_HELLO, and reads the
 *    boot's parameters the host sends back, one "name=value" a line, up to TINYX_PARAM_END:
 *      tinyx.nonce=<hex>    per-boot random token carried by every marker
 *      tinyx.test=<base64>  the guest test, a /bin/sh script (optional; any length)
 *      tinyx.ports=<p,p>    guest TCP ports that must accept connections on 127.0.0.1 before
 *                           the app counts as started (optional)
 *      tinyx.wait=<s>       how long the guest waits for those ports (default 60)
 *      tinyx.keep=1         keep the VM running after the guest test (a host test runs too; the
 *                           host ends QEMU). Default: the init ends the VM after the test.
 *      tinyx.env=<NAME=VALUE>  one variable for the app and the guest test, over the image's
 *                           own (init.conf); repeatable (`tinyx boot --env`)
 *      tinyx.trace=1        record which files of the root file system the app and the test
 *                           touch (the file trace, below); implies tinyx.keep=1
 * 3. /init then removes the device node and makes itself non-dumpable before it starts the app:
 *    the nonce lives only in the init's memory, and the app can neither open the channel by its
 *    path nor read what the host sent.
 * 4. Guest -> host: marker lines on the channel, each on a line of its own:
 *      @@tinyx:<nonce>:<event>:<guest uptime in ms>[:<value>]
 *
 *    After it starts the app the init sends TINYX_EVENT_BOOT_TIMES, the times of the boot's
 *    phases on the guest's clock: "<run-init> <unpack-start> <unpack-end> <init-start> <app-launch>",
 *    the first three in microseconds from the kernel's log (/dev/kmsg: "Run /init as init process",
 *    "Unpacking initramfs...", "Freeing initrd memory"), the last two the init's own uptime in
 *    milliseconds; -1 for what is unknown (a kernel without printk, a disk root).
 *
 * 5. The file trace (tinyx.trace=1). Before it starts the app, the init remounts / with strict
 *    atime (every read, mapping, execution and directory listing sets the entry's access time;
 *    an initramfs unpacks with access time = modification time, long past) and notes the clock.
 *    When the host sends TINYX_TRACE_DUMP on the channel (after its test), the init walks /,
 *    without touching anything, and reports each file, symlink and directory accessed, written
 *    or changed since then (access, modification or change time) as a TINYX_EVENT_TOUCHED marker, value "<f|l|d> <path>" (bytes below 0x20, 0x7f and
 *    '%' as %XX), then TINYX_EVENT_TRACE_END with the number reported. Access times need no
 *    kernel option (fanotify would need FANOTIFY, which pruned kernels drop); a stat() alone
 *    sets no access time, so the trace is a prediction the test then confirms.
 *
 * Without tinyx_channel (an image booted outside tinyx, e.g. in production) the init starts the
 * app and keeps it running; no markers, no test.
 */
#ifndef TINYX_HARNESS_PROTOCOL_H
#define TINYX_HARNESS_PROTOCOL_H

#define TINYX_PROTOCOL_VERSION "3"

#define TINYX_MARKER_PREFIX "@@tinyx:"
/* The init's first line on the channel: "@@tinyx-hello:<protocol version>". */
#define TINYX_CHANNEL_HELLO "@@tinyx-hello:"

#define TINYX_PARAM_CHANNEL "tinyx_channel="
#define TINYX_PARAM_NONCE "tinyx.nonce="
#define TINYX_PARAM_TEST "tinyx.test="
#define TINYX_PARAM_PORTS "tinyx.ports="
#define TINYX_PARAM_WAIT "tinyx.wait="
#define TINYX_PARAM_KEEP "tinyx.keep="
#define TINYX_PARAM_ENV "tinyx.env="
#define TINYX_PARAM_TRACE "tinyx.trace="
#define TINYX_PARAM_END "tinyx.end"
/* Host -> guest after the parameters: report the file trace now. */
#define TINYX_TRACE_DUMP "tinyx.trace-dump"

/* The host's parameters may not exceed this (the guest test is most of it). */
#define TINYX_PARAMS_MAX_BYTES (1024 * 1024)
/* How long the init waits for them, in seconds. */
#define TINYX_PARAMS_WAIT_SECONDS 120

/* Events, in the order a good boot prints them. */
#define TINYX_EVENT_INIT "init"               /* /init started (value: protocol version) */
#define TINYX_EVENT_APP_STARTED "app-started" /* the run command runs and its ports accept */
#define TINYX_EVENT_BOOT_TIMES "boot-times"   /* value: the boot's phases on the guest's clock (4.) */
#define TINYX_EVENT_TEST_START "test-start"   /* the guest test begins */
#define TINYX_EVENT_TEST_EXIT "test-exit"     /* value: the guest test's exit status */
/* Events that end a boot early. */
#define TINYX_EVENT_APP_EXITED "app-exited"   /* value: status; the app ended before the test */
#define TINYX_EVENT_ERROR "init-error"        /* value: what went wrong, in words */
/* The file trace, on TINYX_TRACE_DUMP. */
#define TINYX_EVENT_TOUCHED "touched"         /* value: "<f|l|d> <path>", escaped */
#define TINYX_EVENT_TRACE_END "trace-end"     /* value: how many "touched" markers came before */

/* What the init prints on the console before it gives up (not a marker: for people, and for
 * the host to quote when the channel never came up). */
#define TINYX_INIT_ERROR_PREFIX "tinyx-init: error: "

/* Where the image keeps what the init needs to know about the app (written by packagers). */
#define TINYX_INIT_CONFIG_PATH "/etc/tinyx/init.conf"

#endif
