#!/usr/bin/env bash
# A host test through a forwarded port against BusyBox httpd in the guest, and an app
# that exits before it listens (boot failure). Needs a kernel with virtio-net built in:
# test/fixtures/test-kernel.sh builds one (tinyconfig + the QEMU baselet) once and caches it.
source "$(dirname "$0")/../common.sh"
require_program qemu-system-x86_64 curl
kernel=$(bash "$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh") || fail "could not build the test kernel"
image=$WORK/busybox.cpio
bash "$TINYX_SOURCE_DIR/test/fixtures/busybox-initramfs.sh" "$TINYX" "$image"

# The server answers on the host side through 127.0.0.1:$TINYX_PORT_8080; curl's output proves it.
expect_status 0 "$TINYX" -v boot --kernel "$kernel" --initrd "$image" --forward 8080 --json \
  --host-test 'curl -fsS --max-time 30 "http://$TINYX_HOST:$TINYX_PORT_8080/" > "'"$WORK"'/fetched" && echo "port $TINYX_PORT_8080"'
expect_grep "hello from tinyx" "$WORK/fetched"
expect_grep '^  "verdict": "pass",$' "$WORK/out"
expect_grep '"host_test_status": 0,' "$WORK/out"
expect_grep '"8080": [0-9][0-9]*$' "$WORK/out"

# An app that fails before it listens: a boot failure (3) naming the app's exit status.
bash "$TINYX_SOURCE_DIR/test/fixtures/busybox-initramfs.sh" "$TINYX" "$WORK/failing.cpio" /bin/busybox sh -c 'echo cannot start; exit 9'
expect_status 3 "$TINYX" boot --kernel "$kernel" --initrd "$WORK/failing.cpio" --forward 8080 --log-dir "$WORK/logs" --host-test true
expect_grep "^tinyx: error: boot-failed: the app exited with status 9 before it started" "$WORK/err"
expect_grep "cannot start" "$WORK/err"
[ -z "$(pgrep -f "qemu-system.*$WORK" || true)" ] || fail "QEMU left running"
echo ok
