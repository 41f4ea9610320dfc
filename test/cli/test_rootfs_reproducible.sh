#!/usr/bin/env bash
# Two builds with the same SOURCE_DATE_EPOCH are bit-identical; the manifest explains every file.
source "$(dirname "$0")/../common.sh"
dpkg-query -W nginx-light >/dev/null 2>&1 || skip "nginx-light is not installed (scripts/setup installs it)"

export SOURCE_DATE_EPOCH=1700000000
for n in 1 2; do
    expect_status 0 "$TINYX" rootfs --app nginx-light --run "nginx -g 'daemon off;'" --out "$WORK/out$n"
done
cmp "$WORK/out1/initramfs.cpio.gz" "$WORK/out2/initramfs.cpio.gz" || fail "two builds differ"
cmp "$WORK/out1/manifest.json" "$WORK/out2/manifest.json" || fail "two manifests differ"

cd "$WORK" && mkdir x && cd x && gzip -dc ../out1/initramfs.cpio.gz | cpio -idm --quiet 2>/dev/null
for f in init etc/tinyx/init.conf usr/sbin/nginx etc/nginx/nginx.conf etc/passwd etc/group etc/nsswitch.conf \
         usr/lib/x86_64-linux-gnu/libc.so.6 usr/bin/busybox; do
    [ -e "$f" ] || fail "$f is missing from the image"
done
[ -L bin ] || fail "/bin should be the merged-/usr symlink"
grep -q '^www-data:' etc/passwd || fail "www-data (nginx.conf 'user www-data;') missing from /etc/passwd"
grep -q '^nobody:' etc/passwd || fail "nobody missing from /etc/passwd"
[ ! -e usr/share/doc ] || fail "documentation was copied"
[ ! -e usr/share/man ] || fail "man pages were copied"
[ ! -e etc/init.d ] || fail "init scripts were copied"
# Every mtime is clamped to SOURCE_DATE_EPOCH.
newer=$(find . -type f -newermt "@$((SOURCE_DATE_EPOCH + 1))" -print -quit)
[ -z "$newer" ] || fail "files newer than SOURCE_DATE_EPOCH: $newer"

m="$WORK/out1/manifest.json"
python3 - "$m" <<'PY' || fail "manifest check failed"
import json, sys
m = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in m["files"]}
assert m["run"] == ["/usr/sbin/nginx", "-g", "daemon off;"], m["run"]
assert "DT_NEEDED libpcre2-8.so.0" in files["/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0"]["reason"]
assert files["/etc/nginx/nginx.conf"]["reason"] == "package nginx-common config"
assert files["/etc/nsswitch.conf"]["reason"].startswith("dlopen rule: nss")
assert all(f["reason"] for f in m["files"]), "an entry without a reason"
assert all(k in f for f in m["files"] for k in ("path", "source", "size", "mode", "reason"))
PY
echo ok
