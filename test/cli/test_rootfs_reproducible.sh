#!/usr/bin/env bash
# Two builds with the same SOURCE_DATE_EPOCH are bit-identical; the manifest explains every file.
source "$(dirname "$0")/../common.sh"
require_package nginx-light

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
# (grep, not a JSON parser: CI has no python3; the manifest is pretty-printed, one field a line)
grep -A4 '"run": \[' "$m" | tr -d ' \n' | grep -qF '"run":["/usr/sbin/nginx","-g","daemonoff;"]' || fail "manifest run"
expect_grep '"reason": "ELF closure of /usr/sbin/nginx (DT_NEEDED libpcre2-8.so.0)"' "$m"
expect_grep '"reason": "package nginx-common config"' "$m"
expect_grep '"reason": "dlopen rule: nss' "$m"
entries=$(grep -c '"type": ' "$m"); reasons=$(grep -c '"reason": "[^"]' "$m")
[ "$entries" -gt 100 ] && [ "$entries" = "$reasons" ] || fail "$entries entries but $reasons reasons in the manifest"

# A bare --app name is the package even when the working directory holds an entry of
# that name (here the --out directory itself); ./name would be the directory.
(cd "$WORK" && expect_status 0 "$TINYX" rootfs --app nginx-light --run "nginx -g 'daemon off;'" --out nginx-light)
expect_grep '"reason": "package nginx-common config"' "$WORK/nginx-light/manifest.json"
echo ok
