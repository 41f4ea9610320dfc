#!/usr/bin/env bash
# tinyx build end to end: BusyBox httpd from its Debian package, no BusyBox applets in the
# image, a host-side curl through a forwarded port; then a rebuild from the profile it wrote
# (same kernel config, no pruning, its kernel from the image store), a failing test (exit 1, verdict fail), and bad input.
source "$(dirname "$0")/../common.sh"

# Warms the kept kernel build dir (the fixture builds the same start config).
"$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh" >/dev/null

mkdir -p "$WORK/www"
echo "hello from tinyx" > "$WORK/www/index.html"
app=(--app busybox-static --run "busybox httpd -f -p 80 -h /www" --include "$WORK/www:/www" --no-busybox)
host_test='curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q "hello from tinyx"'

expect_status 0 "$TINYX" build "${app[@]}" --forward 80 --host-test "$host_test" --accel tcg --out "$WORK/img"
for f in bzImage initramfs.cpio.xz manifest.json config profile.json report.json summary.md; do
    [ -s "$WORK/img/$f" ] || fail "missing output $f"
done
expect_grep '"verdict": "pass"' "$WORK/img/report.json"
expect_grep '"passed": 3' "$WORK/img/report.json"
expect_grep 'Result: \*\*pass\*\*' "$WORK/img/summary.md"
grep -q '^CONFIG_VIRTIO_NET=y' "$WORK/img/config" || fail "final config lacks the baselet's VIRTIO_NET"
expect_status 0 "$TINYX" profile validate "$WORK/img/profile.json"

# The profile rebuilds the same kernel config and passes its recorded test.
# Built a minute ago, so the image store has its kernel: no make at all.
expect_status 0 "$TINYX" build --profile "$WORK/img/profile.json" --accel tcg --out "$WORK/again"
cmp -s "$WORK/img/config" "$WORK/again/config" || fail "rebuild from the profile changed the kernel config"
expect_grep "was built before; reusing" "$WORK/err"
cmp -s "$WORK/img/bzImage" "$WORK/again/bzImage" || fail "the reused kernel differs from the one built"
expect_grep '"verdict": "pass"' "$WORK/again/report.json"
expect_grep '"pruning": null' "$WORK/again/report.json"

# A test that fails: exit 1 and a report that says so.
expect_status 1 "$TINYX" build "${app[@]}" --forward 80 --host-test 'curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/missing' \
    --accel tcg --verify 1 --out "$WORK/failing"
expect_grep '"verdict": "fail"' "$WORK/failing/report.json"

# Bad input: exit 2, error first, no report claiming anything.
expect_status 2 "$TINYX" build --app no-such-package-tinyx --out "$WORK/bad"
expect_first_line "tinyx: error:" "$WORK/err"
[ ! -e "$WORK/bad/report.json" ] || fail "a failed build left report.json"
expect_status 2 "$TINYX" build --app busybox-static --host-test true --out "$WORK/bad2"
expect_grep "forward" "$WORK/err"
HINT="$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json"
expect_status 2 "$TINYX" build --app busybox-static --hint-profile "$HINT" --out "$WORK/bad3"
expect_grep "give --prune" "$WORK/err"
expect_status 2 "$TINYX" build --profile "$HINT" --hint-profile "$HINT" --prune --out "$WORK/bad4"
expect_grep "hint-profile only" "$WORK/err"
expect_status 2 "$TINYX" build --app busybox-static --prune --hint-profile "$TINYX_SOURCE_DIR/profiles/pools/server.json" --out "$WORK/bad5"
expect_grep "kind is 'pool'" "$WORK/err"
echo ok
