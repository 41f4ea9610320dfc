/*
 * The boot-test protocol: the one definition shared by the host side (the harness library)
 * and the guest side (harness/guest/init.c, compiled into every image as /init).
 * Plain C so both can include it.
 *
 * Host -> guest: kernel command-line parameters. The host puts them after " -- ", so the kernel
 * hands them to init as argv (no /proc needed, which lets the pruner drop PROC_FS for apps that
 * do not use it); without "--" the init reads them from /proc/cmdline (dotted parameters never
 * reach init's argv/env there). Both work the same for initramfs and disk images:
 *   tinyx.nonce=<hex>    per-boot random token; every marker the guest prints carries it, so
 *                        nothing the app or the test prints can be taken for a marker.
 *   tinyx.test=<base64>  the guest test, a /bin/sh script (optional).
 *   tinyx.ports=<p,p>    guest TCP ports that must accept connections on 127.0.0.1 before the
 *                        app counts as started (optional).
 *   tinyx.wait=<s>       how long the guest waits for those ports (default 60).
 *   tinyx.keep=1         keep the VM running after the guest test (a host test runs too; the
 *                        host ends QEMU). Default: the init ends the VM after the test.
 *
 * Guest -> host: marker lines on the serial console (ttyS0), each on a line of its own:
 *   @@tinyx:<nonce>:<event>:<guest uptime in ms>[:<value>]
 */
#ifndef TINYX_HARNESS_PROTOCOL_H
#define TINYX_HARNESS_PROTOCOL_H

#define TINYX_MARKER_PREFIX "@@tinyx:"

#define TINYX_PARAM_NONCE "tinyx.nonce="
#define TINYX_PARAM_TEST "tinyx.test="
#define TINYX_PARAM_PORTS "tinyx.ports="
#define TINYX_PARAM_WAIT "tinyx.wait="
#define TINYX_PARAM_KEEP "tinyx.keep="

/* Events, in the order a good boot prints them. */
#define TINYX_EVENT_INIT "init"               /* /init started (value: init version) */
#define TINYX_EVENT_APP_STARTED "app-started" /* the run command runs and its ports accept */
#define TINYX_EVENT_TEST_START "test-start"   /* the guest test begins */
#define TINYX_EVENT_TEST_EXIT "test-exit"     /* value: the guest test's exit status */
/* Events that end a boot early. */
#define TINYX_EVENT_APP_EXITED "app-exited"   /* value: status; the app ended before the test */
#define TINYX_EVENT_ERROR "init-error"        /* value: what went wrong, in words */

/* Where the image keeps what the init needs to know about the app (written by packagers). */
#define TINYX_INIT_CONFIG_PATH "/etc/tinyx/init.conf"

#endif
