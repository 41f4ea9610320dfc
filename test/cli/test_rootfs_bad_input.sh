#!/usr/bin/env bash
# tinyx rootfs refuses bad input with exit 2, one clear first line, and no image left behind.
source "$(dirname "$0")/../common.sh"

no_image() { ! ls "$1"/initramfs.cpio* "$1"/disk.* >/dev/null 2>&1 || fail "an image was left in $1"; }

expect_status 2 "$TINYX" rootfs --app no-such-package-tinyx --out "$WORK/o1"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "no-such-package-tinyx" "$WORK/err"
expect_grep "not an installed package, a file or a directory, and apt knows no package" "$WORK/err"
no_image "$WORK/o1"

# A file that is neither ELF nor a script with #!, and no --run naming what runs it (a script with
# #! is an app: test_rootfs_interpreted.sh).
printf 'console.log("hi")\n' > "$WORK/app.js"
expect_status 2 "$TINYX" rootfs --app "$WORK/app.js" --out "$WORK/o2"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "app.js: neither an ELF executable nor a script with a #! line" "$WORK/err"
no_image "$WORK/o2"

# A foreign-architecture ELF: a copy of a host binary with e_machine set to AArch64 (183).
cp /bin/busybox "$WORK/arm-binary"
printf '\xb7\x00' | dd of="$WORK/arm-binary" bs=1 seek=18 conv=notrunc status=none
expect_status 2 "$TINYX" rootfs --app "$WORK/arm-binary" --out "$WORK/o3"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "arm-binary: ELF file for AArch64" "$WORK/err"
no_image "$WORK/o3"

expect_status 2 "$TINYX" rootfs --app /bin/busybox --run 'busybox httpd -f' --include "$WORK/missing-file:/srv/x" --out "$WORK/o4"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "missing-file does not exist" "$WORK/err"
no_image "$WORK/o4"

touch "$WORK/a-file"
expect_status 2 "$TINYX" rootfs --app /bin/busybox --out "$WORK/a-file/out"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "--out $WORK/a-file/out" "$WORK/err"

expect_status 2 "$TINYX" rootfs --app /bin/busybox --format iso --out "$WORK/o5"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "'iso'" "$WORK/err"

expect_status 2 "$TINYX" rootfs --app /bin/busybox --compression bzip2 --out "$WORK/o6"
expect_grep "'bzip2'" "$WORK/err"

expect_status 2 "$TINYX" rootfs --app /bin/busybox --run "busybox 'unterminated" --out "$WORK/o7"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "--run" "$WORK/err"

# An app whose program cannot be chosen: redis-tools ships several.
if dpkg-query -W redis-tools >/dev/null 2>&1; then
    expect_status 2 "$TINYX" rootfs --app redis-tools --out "$WORK/o8"
    expect_grep "run is required" "$WORK/err"
    no_image "$WORK/o8"
fi

# Nothing was staged and left behind next to the outputs.
! ls -d "$WORK"/.o*.tmp-* >/dev/null 2>&1 || fail "a staging directory was left behind"
echo ok
