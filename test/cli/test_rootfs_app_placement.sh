#!/usr/bin/env bash
# A path app under a directory the guest's init mounts a fresh filesystem over (/tmp, /run)
# would be hidden in the VM: an ELF app from there is packed where the guest leaves it alone
# (/usr/local/bin, the run command follows it); a directory app from there is refused with
# the way out. A user's server built in /tmp/build/server is the common case.
source "$(dirname "$0")/../common.sh"
BUILD=$(mktemp -d /tmp/tinyx-placement-XXXXXX)
trap 'rm -rf "$BUILD"' RETURN EXIT
cp /bin/busybox "$BUILD/server"
expect_status 0 "$TINYX" rootfs --app "$BUILD/server" --run "$BUILD/server httpd -f -p 80" --no-busybox --out "$WORK/image"
expect_grep "packed as /usr/local/bin/server" "$WORK/err"
expect_grep '"/usr/local/bin/server"' "$WORK/image/manifest.json"
python3 - "$WORK/image/manifest.json" "$BUILD" <<'PY' || fail "the run command still names the hidden path"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["run"][0] == "/usr/local/bin/server", m["run"]
assert not any(f["path"].startswith(sys.argv[2]) for f in m["files"]), "the /tmp path went into the image"
PY
mkdir -p "$BUILD/site"
expect_status 2 "$TINYX" rootfs --app "$BUILD/site" --run "/bin/true" --out "$WORK/image2"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "mounts a fresh filesystem over" "$WORK/err"
expect_grep "include $BUILD/site:/srv/app" "$WORK/err"
echo ok
