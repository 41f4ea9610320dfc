#!/usr/bin/env bash
# --app of a Debian package that is not installed on this host (webfs, a small static web
# server): apt downloads it and its dependencies, they are unpacked into a private root
# (no install, no maintainer scripts), and the VM built from it passes a host-side curl
# test 3/3. The host's package state is the same before and after (dpkg -l).
source "$(dirname "$0")/../common.sh"
require_program apt-get apt-cache dpkg-deb curl
PACKAGE=webfs
[ "$(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null || true)" != "install ok installed" ] ||
    fail "prerequisite: $PACKAGE must NOT be installed on this host for this test (apt-get remove $PACKAGE)"
apt-cache show "$PACKAGE" >/dev/null 2>&1 || fail "prerequisite missing: apt's package lists (apt-get update)"
"$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh" >/dev/null # the kernel the build reuses

mkdir -p "$WORK/www"
echo "served by a package this host never installed" > "$WORK/www/index.html"
dpkg -l > "$WORK/dpkg-before.txt"
expect_status 0 "$TINYX" build --compression xz --kernel-compression xz --app "$PACKAGE" --run "webfsd -F -p 8080 -r /srv/www -f index.html" --include "$WORK/www:/srv/www" \
    --forward 8080 --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_8080/ | grep -q "never installed"' \
    --accel tcg --out "$WORK/vm"
dpkg -l > "$WORK/dpkg-after.txt"
diff "$WORK/dpkg-before.txt" "$WORK/dpkg-after.txt" >&2 || fail "the build changed the host's package state"
[ "$(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null || true)" != "install ok installed" ] || fail "$PACKAGE got installed"
expect_grep "is not installed: apt resolved it" "$WORK/err"
expect_grep '"passed": 3' "$WORK/vm/report.json"
expect_grep '"/usr/bin/webfsd"' "$WORK/vm/manifest.json"
expect_grep 'package webfs' "$WORK/vm/manifest.json"

# A name apt does not know either: bad input, one line, nothing written.
expect_status 2 "$TINYX" rootfs --app no-such-package-tinyx --out "$WORK/bad"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "apt knows no package" "$WORK/err"
[ ! -e "$WORK/bad" ] || fail "bad input wrote --out"
echo ok
