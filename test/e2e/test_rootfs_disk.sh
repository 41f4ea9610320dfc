#!/usr/bin/env bash
# A qcow2 ext4 disk image (libguestfs) boots with the init at /sbin/tinyx-init and the
# kernel arguments its manifest records, and redis answers inside the guest. One boot.
# Debian's stock kernel (the newest in /boot) has virtio-blk and ext4 as modules, so a
# throwaway loader initramfs made here loads them and switches to the disk, passing on the
# init's arguments; `tinyx boot --disk --initrd` runs it, so the disk is tested through the
# whole boot-test protocol.
source "$(dirname "$0")/../common.sh"
require_program qemu-system-x86_64 qemu-img cpio gzip
require_package redis-server libguestfs-tools
KERNEL=$(stock_kernel)
kver=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
[ -d "/lib/modules/$kver" ] || fail "prerequisite missing: /lib/modules/$kver (the modules of $KERNEL)"

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
    [ -n "$f" ] || fail "prerequisite missing: module $m.ko of $kver"
    cp "$f" "$loader/m/"
done
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
exec /bin/busybox switch_root /newroot /sbin/tinyx-init "\$@"
SH
chmod 755 "$loader/init"
(cd "$loader" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$WORK/loader.cpio.gz"

# tinyx boots the disk read-only (snapshot=on): the built image stays pristine.
expect_status 0 "$TINYX" boot --kernel "$KERNEL" --initrd "$WORK/loader.cpio.gz" --disk "$WORK/disk/disk.qcow2" \
    --memory 512 --timeout 240 --wait-port 6379 --log-dir "$WORK/logs" \
    --guest-test 'printf "PING\r\n" | nc -w 3 127.0.0.1 6379 | grep -q PONG'
expect_grep "root=/dev/vda rw init=/sbin/tinyx-init" "$WORK/logs/console.log"
echo ok
