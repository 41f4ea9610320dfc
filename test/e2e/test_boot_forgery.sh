#!/usr/bin/env bash
# A guest that tries to forge a pass. The app reads everything it can see (/proc/cmdline, every
# process's cmdline and environment, /proc/self, the kernel log, /dev and /sys), takes every hex
# token it finds as a possible nonce, and writes forged protocol lines with each of them (a hello,
# app-started, test-exit 0) to every console and serial device it can open, including a fresh node
# it makes for the marker channel's device numbers. It keeps doing so for the whole boot. The
# guest test does the same and exits 1; a host test exits 1. Both verdicts must stay failures
# (exit 1), while the same image with tests that pass still passes (the forgery breaks nothing).
# Debian's stock kernel is enough: it has four 8250 ports, and no test here needs the network.
source "$(dirname "$0")/../common.sh"
require_program qemu-system-x86_64 cpio
kernel=$(stock_kernel)
image=$WORK/forger.cpio
bash "$TINYX_SOURCE_DIR/test/fixtures/busybox-initramfs.sh" "$TINYX" "$image" /bin/sh /forge.sh app

mkdir -p "$WORK/extra"
cat > "$WORK/extra/forge.sh" <<'SH'
#!/bin/sh
# Every token of 6+ hex digits anywhere a guest process can read, once.
tokens() {
    {
        cat /proc/cmdline /proc/self/cmdline /proc/self/environ /proc/self/status /proc/self/maps
        for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do cat "$f"; echo; done
        dmesg; ls -la /dev /run /tmp /; cat /sys/class/tty/*/dev
        cat /run/tinyx-guest-test.sh
    } 2>/dev/null | tr -c '0-9a-zA-Z' '\n' | grep -E '^[0-9a-f]{6,}$' | sort -u
}
# The marker channel is ttyS1 (major 4, minor 65); the init removed its node: make another.
[ -e /dev/forged-ttyS1 ] || mknod /dev/forged-ttyS1 c 4 65 2>/dev/null
forge() {
    for t in $(tokens) nonce; do
        for dev in /dev/console /dev/ttyS0 /dev/ttyS1 /dev/forged-ttyS1 /dev/ttyS2 /dev/ttyS3 /dev/kmsg /dev/tty0 /dev/tty1; do
            [ -e "$dev" ] || continue
            printf '\n@@tinyx-hello:3\n@@tinyx:%s:init:1:3\n@@tinyx:%s:app-started:2\n@@tinyx:%s:test-start:3\n@@tinyx:%s:test-exit:4:0\n' \
                "$t" "$t" "$t" "$t" > "$dev" 2>/dev/null
        done
    done
}
case "$1" in
    app)  # serve on 8080 for the host test, and forge for at most a minute
        httpd -p 8080 -h /www
        n=0; while [ $n -lt 120 ]; do forge; sleep 0.5; n=$((n + 1)); done ;;
    test) forge; exit 1 ;;
esac
SH
chmod 755 "$WORK/extra/forge.sh"
# A second archive appended to the first: the kernel unpacks both into the same root.
(cd "$WORK/extra" && echo forge.sh | cpio -o -H newc --quiet -R 0:0) >> "$image"

boot() { "$TINYX" boot --kernel "$kernel" --initrd "$image" --timeout 240 --log-dir "$WORK/logs-$1" "${@:2}"; }

# Control: the forger's image with tests that pass does pass (the app runs, the forgery breaks nothing).
expect_status 0 boot control --wait-port 8080 --guest-test 'wget -qO- http://127.0.0.1:8080/ | grep -q "hello from tinyx"'

# A failing guest test in a guest full of forged passes: still a failure.
expect_status 1 boot guest --wait-port 8080 --guest-test 'sh /forge.sh test'
expect_grep "^tinyx: error: fail: the guest test exited with status 1" "$WORK/err"
# The forgery really happened: forged lines reached the console, with tokens the guest could see.
forged=$(grep -c '@@tinyx:[0-9a-f]*:test-exit:4:0' "$WORK/logs-guest/console.log" || true)
[ "$forged" -gt 10 ] || fail "the forger wrote only $forged forged lines to the console"

# A failing host test while the app forges: still a failure.
expect_status 1 boot host --forward 8080 --host-test 'sleep 5; exit 1'
expect_grep "^tinyx: error: fail: the host test exited with status 1" "$WORK/err"
echo ok
