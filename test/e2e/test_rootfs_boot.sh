#!/usr/bin/env bash
# nginx-light and redis-server images, booted on Debian's stock kernel, answer a client
# inside the guest over loopback (BusyBox wget / nc). Two boots.
source "$(dirname "$0")/../common.sh"
require_program qemu-system-x86_64
require_package nginx-light redis-server
KERNEL=$(stock_kernel)

# nginx: xz, the size the issue tracks.
expect_status 0 "$TINYX" rootfs --app nginx-light --run "nginx -g 'daemon off;'" --compression xz --out "$WORK/nginx"
image="$WORK/nginx/initramfs.cpio.xz"
echo "nginx-light initramfs (xz): $(stat -c %s "$image") bytes"
expect_status 0 "$TINYX" boot --kernel "$KERNEL" --initrd "$image" --memory 512 --timeout 240 --wait-port 80 \
    --guest-test 'wget -qO- http://127.0.0.1/ | grep -q "Welcome to nginx"'

# redis: no --run (the package's only program, redis-server, is the default), gzip.
expect_status 0 "$TINYX" rootfs --app redis-server --out "$WORK/redis"
expect_grep "/usr/bin/redis-server" "$WORK/out"
expect_status 0 "$TINYX" boot --kernel "$KERNEL" --initrd "$WORK/redis/initramfs.cpio.gz" --memory 512 --timeout 240 \
    --wait-port 6379 --guest-test 'printf "PING\r\n" | nc -w 3 127.0.0.1 6379 | grep -q PONG'
echo ok
