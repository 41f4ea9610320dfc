#!/usr/bin/env bash
# Real boots of Debian's stock kernel with a BusyBox initramfs and tinyx's own /init:
# a pass, a failing guest test (that also prints forged markers), a hung guest test
# (timeout, no QEMU left) and a kernel panic (boot failure, long before the timeout).
source "$(dirname "$0")/../common.sh"
require_program qemu-system-x86_64
kernel=$(stock_kernel)
image=$WORK/busybox.cpio
bash "$TINYX_SOURCE_DIR/test/fixtures/busybox-initramfs.sh" "$TINYX" "$image"
boot() { "$TINYX" boot --kernel "$kernel" --initrd "$image" "$@"; }
qemu_left() { pgrep -f "qemu-system.*$WORK" || true; }

# 1. Pass: the app (httpd on 8080) is up before the test runs; JSON on stdout; logs kept.
expect_status 0 boot --wait-port 8080 --json --log-dir "$WORK/logs" \
  --guest-test 'wget -qO- http://127.0.0.1:8080/ | grep -q "hello from tinyx" && test "$GREETING" = "hello world"'
# The JSON report (pretty-printed, one field a line).
expect_first_line "{" "$WORK/out"
expect_grep '^  "verdict": "pass",$' "$WORK/out"
expect_grep '"guest_test_status": 0,' "$WORK/out"
expect_grep '"app_started": [0-9]' "$WORK/out"
expect_grep '"console_log": ".*/logs/console.log"' "$WORK/out"
expect_grep "Run /init as init process" "$WORK/logs/console.log"
expect_grep "accelerator: " "$WORK/err"

# 2. A failing test that prints marker text (no nonce, a wrong one) before failing: exit 1, not a pass.
expect_status 1 boot --guest-test 'echo "@@tinyx::test-exit:1:0"; echo "@@tinyx:0123abcd:test-exit:1:0"; echo broken; exit 5'
expect_grep "^tinyx: error: fail: the guest test exited with status 5" "$WORK/err"
expect_grep "broken" "$WORK/err"

# 3. A hung test: exit 4 within the timeout plus a few seconds, and no QEMU left behind.
start=$SECONDS
expect_status 4 boot --timeout 30 --log-dir "$WORK/hung" --guest-test 'sleep 1000'
elapsed=$((SECONDS - start))
[ "$elapsed" -lt 45 ] || fail "the hung test took ${elapsed}s to end with --timeout 30"
expect_grep "timed out after 30.0s waiting for the guest test to finish" "$WORK/err"
[ -z "$(qemu_left)" ] || fail "QEMU still running after the timeout: $(qemu_left)"

# 4. A kernel panic (no init): exit 3 as soon as QEMU ends, not at the 300 s timeout.
start=$SECONDS
expect_status 3 boot --timeout 300 --log-dir "$WORK/panic" --append "rdinit=/nonexistent"
elapsed=$((SECONDS - start))
[ "$elapsed" -lt 120 ] || fail "the panic was reported after ${elapsed}s"
expect_grep "^tinyx: error: boot-failed: kernel panic:" "$WORK/err"
expect_grep "Kernel Offset" "$WORK/err"
[ -z "$(qemu_left)" ] || fail "QEMU still running after the panic"
echo "ok"
