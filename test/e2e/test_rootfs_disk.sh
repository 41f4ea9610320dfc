#!/usr/bin/env bash
# A qcow2 ext4 disk image (libguestfs) boots with the init at /sbin/tinyx-init and the
# kernel arguments its manifest records, and redis answers inside the guest. One boot.
# Debian's stock kernel has virtio-blk and ext4 as modules, so a throwaway initramfs
# made here loads them and switches to the disk; the disk itself is what is tested.
source "$(dirname "$0")/../common.sh"
KERNEL=${TINYX_TEST_STOCK_KERNEL:-/boot/vmlinuz-6.1.0-56-amd64}
[ -r "$KERNEL" ] || skip "no stock kernel at $KERNEL"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
dpkg-query -W redis-server >/dev/null 2>&1 || skip "redis-server not installed"
kver=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
[ -d "/lib/modules/$kver" ] || skip "no modules for $kver"

expect_status 0 "$TINYX" rootfs --app redis-server --run 'redis-server --port 6379' --format qcow2 --out "$WORK/disk"
[ -s "$WORK/disk/disk.qcow2" ] || fail "no disk.qcow2"
qemu-img info "$WORK/disk/disk.qcow2" | grep -q 'file format: qcow2' || fail "not a qcow2 image"
# The manifest is pretty-printed: the list's items follow "kernel_args" one a line.
args=$(grep -A3 '"kernel_args": \[' "$WORK/disk/manifest.json" | sed -n 's/^ *"\([^"]*\)",\{0,1\}$/\1/p' | tr '\n' ' ' | sed 's/ $//')
[ "$args" = "root=/dev/vda rw init=/sbin/tinyx-init" ] || fail "manifest kernel_args: '$args'"

# The module loader: insmod virtio-blk + ext4 and their dependencies, mount /dev/vda, run its init.
loader="$WORK/loader"
mkdir -p "$loader/bin" "$loader/m"
cp /bin/busybox "$loader/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4; do
    f=$(find "/lib/modules/$kver/kernel" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || skip "module $m.ko not found for $kver"
    cp "$f" "$loader/m/"
done
init_line=${args##*init=}
cat > "$loader/init" <<SH
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /dev /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4; do
    /bin/busybox insmod /m/\$m.ko
done
n=0; while [ ! -b /dev/vda ] && [ \$n -lt 100 ]; do /bin/busybox sleep 0.1; n=\$((n+1)); done
/bin/busybox mount -t ext4 -o rw /dev/vda /newroot || echo "loader: cannot mount /dev/vda"
/bin/busybox umount /proc
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot $init_line
SH
chmod 755 "$loader/init"
(cd "$loader" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$WORK/loader.cpio.gz"

nonce=e2edisk$$
script=$(printf 'printf "PING\\r\\n" | nc -w 3 127.0.0.1 6379 | grep -q PONG' | base64 -w0)
cp "$WORK/disk/disk.qcow2" "$WORK/run.qcow2" # the guest writes; keep the built image pristine
timeout 240 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -no-reboot -display none -serial "file:$WORK/console.log" \
    -kernel "$KERNEL" -initrd "$WORK/loader.cpio.gz" -drive "file=$WORK/run.qcow2,format=qcow2,if=virtio" \
    -append "console=ttyS0 panic=-1 $args tinyx.nonce=$nonce tinyx.ports=6379 tinyx.test=$script" || true
grep -q "@@tinyx:$nonce:app-started:" "$WORK/console.log" || { tail -n 30 "$WORK/console.log" >&2; fail "redis did not start from the disk image"; }
grep -qE "@@tinyx:$nonce:test-exit:[0-9]+:0\$" <(tr -d '\r' < "$WORK/console.log") || { tail -n 30 "$WORK/console.log" >&2; fail "the guest test did not pass"; }
echo ok
