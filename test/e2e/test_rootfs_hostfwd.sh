#!/usr/bin/env bash
# nginx-light and redis-server images without BusyBox, booted on a tinyx-built kernel,
# answer real host clients (curl, redis-cli) through forwarded ports.
source "$(dirname "$0")/../common.sh"
require_program redis-cli curl qemu-system-x86_64
kernel=$("$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh")

expect_status 0 "$TINYX" rootfs --app nginx-light --run "nginx -g 'daemon off;'" --no-busybox --compression xz \
    --out "$WORK/nginx"
echo "nginx initramfs (xz, no BusyBox): $(stat -c %s "$WORK/nginx/initramfs.cpio.xz") bytes" >&2
expect_status 0 "$TINYX" boot --kernel "$kernel" --initrd "$WORK/nginx/initramfs.cpio.xz" --accel tcg --timeout 120 \
    --forward 80 --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q "Welcome to nginx"'

# Without a password redis only answers loopback clients; the host's client comes through QEMU's NAT.
expect_status 0 "$TINYX" rootfs --app redis-server --run "redis-server --protected-mode no" --no-busybox \
    --compression xz --out "$WORK/redis"
expect_status 0 "$TINYX" boot --kernel "$kernel" --initrd "$WORK/redis/initramfs.cpio.xz" --accel tcg --timeout 120 \
    --forward 6379 --host-test 'redis-cli -h $TINYX_HOST -p $TINYX_PORT_6379 PING | grep -qx PONG'

# The same client against a test that must fail: a wrong expectation is exit 1, not a pass.
expect_status 1 "$TINYX" boot --kernel "$kernel" --initrd "$WORK/redis/initramfs.cpio.xz" --accel tcg --timeout 120 \
    --forward 6379 --host-test 'redis-cli -h $TINYX_HOST -p $TINYX_PORT_6379 GET missing-key | grep -q value'
echo ok
