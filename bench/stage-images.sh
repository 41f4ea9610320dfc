#!/usr/bin/env bash
# Stage "images": makes every image the other stages measure or boot, for each app of $APPS
# (or the apps given as arguments). Idempotent: what exists is kept (delete $OUT/images/NAME to
# redo one app, $OUT/debian/base to redo the Debian base).
#   - the tinyx image: taken from the app's `tinyx build` output when there is one (stage build),
#     else made here with `tinyx rootfs` (initramfs, booted with $KERNEL);
#   - the same app as a tinyx ext4 disk (`tinyx rootfs --format qcow2`), for the qcow2 size;
#   - the Debian VM: debootstrap --variant=minbase $SUITE + systemd-sysv + Debian's stock kernel
#     (linux-image-amd64, with its initramfs-tools initrd) + iproute2, then per app the app's
#     Debian package (or its ELF file and includes) and a unit that starts the app with the same
#     command line as in the tinyx image; packed into a qcow2 by virt-make-fs (libguestfs, no
#     root needed for that step; debootstrap and chroot need root).
#
#   bench/stage-images.sh [APP...]
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] && APPS="$*"

# ---- Debian base (shared by every app) ----
DEB=$OUT/debian
ensure_debian_base() {
    [ -f "$DEB/base.done" ] && return 0
    [ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"
    command -v debootstrap >/dev/null || die "no debootstrap: run bench/setup-deps.sh"
    rm -rf "$DEB/base"; mkdir -p "$DEB"
    log "debootstrap --variant=minbase $SUITE + systemd-sysv, linux-image-amd64, iproute2 (a few minutes)"
    debootstrap --variant=minbase --include=systemd-sysv,linux-image-amd64,iproute2 \
        "$SUITE" "$DEB/base" "$MIRROR" >"$OUT/logs/debootstrap.log" 2>&1 ||
        die "debootstrap failed, see $OUT/logs/debootstrap.log"
    local b=$DEB/base
    echo "/dev/vda / ext4 rw,relatime 0 1" >"$b/etc/fstab"
    echo debian-bench >"$b/etc/hostname"
    # QEMU's user network, configured as tinyx's init does it (static 10.0.2.15/24, gateway
    # 10.0.2.2): no DHCP wait on either side. net.ifnames=0 on the command line keeps eth0.
    cat >"$b/usr/local/sbin/bench-net" <<'EOF'
#!/bin/sh
for i in $(seq 300); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
EOF
    chmod 755 "$b/usr/local/sbin/bench-net"
    cat >"$b/etc/systemd/system/bench-net.service" <<'EOF'
[Unit]
Description=tinyx bench: QEMU user network on eth0
Before=network.target
Wants=network.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/bench-net
[Install]
WantedBy=multi-user.target
EOF
    mkdir -p "$b/etc/systemd/system/multi-user.target.wants"
    ln -sf /etc/systemd/system/bench-net.service "$b/etc/systemd/system/multi-user.target.wants/"
    chroot "$b" apt-get clean
    rm -rf "$b"/var/lib/apt/lists/*_Packages "$b"/var/lib/apt/lists/*_InRelease
    touch "$DEB/base.done"
}

# ---- one app's Debian VM image ----
debian_image() {
    local dir=$APP_DIR/debian tree=$APP_DIR/debian/tree
    [ -f "$dir/disk.qcow2" ] && [ -f "$dir/sizes.json" ] && return 0
    ensure_debian_base
    rm -rf "$dir"; mkdir -p "$dir"
    log "$APP_NAME: Debian VM image"
    cp -a "$DEB/base" "$tree"
    local wants=$tree/etc/systemd/system/multi-user.target.wants
    ls "$wants" >"$dir/units.before"
    if [[ "$APP_APP" == */* ]]; then
        # An ELF file (the Go server): copied to the same path as in the tinyx image.
        mkdir -p "$tree$(dirname "$APP_APP")"; cp -a "$APP_APP" "$tree$APP_APP"
    else
        cp /etc/resolv.conf "$tree/etc/resolv.conf"
        printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"; chmod 755 "$tree/usr/sbin/policy-rc.d"
        mount -t proc proc "$tree/proc"
        local rc=0
        { chroot "$tree" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$tree" \
            apt-get install -y -q --no-install-recommends "$APP_APP"; } >"$OUT/logs/debian-$APP_NAME.log" 2>&1 || rc=$?
        umount "$tree/proc"
        rm -f "$tree/usr/sbin/policy-rc.d"; : >"$tree/etc/resolv.conf"
        [ $rc = 0 ] || die "apt-get install $APP_APP failed, see $OUT/logs/debian-$APP_NAME.log"
        chroot "$tree" apt-get clean
        rm -rf "$tree"/var/lib/apt/lists/*_Packages "$tree"/var/lib/apt/lists/*_InRelease
    fi
    local inc host guest
    for inc in "${APP_INCLUDES[@]}"; do
        host=${inc%%:*}; guest=${inc#*:}; [ "$guest" = "$inc" ] && guest=$host
        mkdir -p "$tree$(dirname "$guest")"; cp -a "$host" "$tree$guest"
    done
    # The package's own services are disabled: the app runs with the tinyx image's command line.
    local unit
    for unit in $(ls "$wants" | comm -13 "$dir/units.before" -); do rm -f "$wants/$unit"; done
    rm "$dir/units.before"
    printf '#!/bin/sh\nexec %s\n' "$APP_RUN" >"$tree/usr/local/sbin/bench-app"
    chmod 755 "$tree/usr/local/sbin/bench-app"
    cat >"$tree/etc/systemd/system/bench-app.service" <<'EOF'
[Unit]
Description=tinyx bench: the app, with the tinyx image's command line
After=bench-net.service
[Service]
ExecStart=/usr/local/sbin/bench-app
[Install]
WantedBy=multi-user.target
EOF
    ln -sf /etc/systemd/system/bench-app.service "$wants/"
    local version
    version=$(ls "$tree"/boot/ | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)
    cp "$tree/boot/vmlinuz-$version" "$dir/vmlinuz"
    cp "$tree/boot/initrd.img-$version" "$dir/initrd.img"
    local files kernel modules
    files=$(du -sb "$tree" | cut -f1)
    modules=$(du -sb "$tree/lib/modules" | cut -f1)
    kernel=$(stat -c %s "$dir/vmlinuz")
    log "$APP_NAME: virt-make-fs (qcow2, ext4)"
    virt-make-fs --format=qcow2 --type=ext4 --size=+256M "$tree" "$dir/made.qcow2" \
        >"$OUT/logs/virt-make-fs-$APP_NAME.log" 2>&1 || die "virt-make-fs failed, see $OUT/logs/virt-make-fs-$APP_NAME.log"
    # mkfs writes its inode tables out: a plain `qemu-img convert` drops those zero clusters
    # (~1/3 of the file), so the Debian VM is measured at its compact size.
    qemu-img convert -O qcow2 "$dir/made.qcow2" "$dir/disk.qcow2"
    rm "$dir/made.qcow2"
    cat >"$dir/sizes.json" <<EOF
{"qcow2_bytes": $(stat -c %s "$dir/disk.qcow2"), "files_bytes": $files, "kernel_bytes": $kernel,
 "initrd_bytes": $(stat -c %s "$dir/initrd.img"), "modules_bytes": $modules,
 "kernel_version": "$version",
 "packages": $(chroot "$tree" dpkg-query -W -f '.\n' | wc -l)}
EOF
    [ -n "${KEEP_DEBIAN_TREE:-}" ] || rm -rf "$tree"
}

# ---- tinyx images ----
rootfs_args() {
    local a=(--app "$APP_APP")
    [ -n "$APP_RUN" ] && a+=(--run "$APP_RUN")
    local x
    for x in "${APP_INCLUDES[@]}"; do a+=(--include "$x"); done
    for x in "${APP_EXCLUDES[@]}"; do a+=(--exclude "$x"); done
    [ "$APP_BUSYBOX" = false ] && a+=(--no-busybox)
    printf '%s\0' "${a[@]}"
}

tinyx_images() {
    local args=()
    mapfile -d '' args < <(rootfs_args)
    if [ "$APP_SOURCE" != build ] && [ ! -f "$APP_INITRD" ]; then
        log "$APP_NAME: tinyx rootfs (initramfs, $APP_COMPRESSION)"
        "$TINYX" rootfs "${args[@]}" --compression "$APP_COMPRESSION" --out "$APP_DIR/tinyx" \
            >"$OUT/logs/rootfs-$APP_NAME.log" 2>&1 || die "tinyx rootfs failed, see $OUT/logs/rootfs-$APP_NAME.log"
    fi
    if ! ls "$APP_DIR"/tinyx-disk/*.qcow2 >/dev/null 2>&1; then
        log "$APP_NAME: tinyx rootfs --format qcow2"
        "$TINYX" rootfs "${args[@]}" --format qcow2 --out "$APP_DIR/tinyx-disk" \
            >"$OUT/logs/rootfs-disk-$APP_NAME.log" 2>&1 || die "tinyx rootfs --format qcow2 failed, see $OUT/logs/rootfs-disk-$APP_NAME.log"
    fi
}

case " $APPS " in *" go-hello "*) ensure_go_hello ;; esac
for name in $APPS; do
    load_app "$name"
    mkdir -p "$APP_DIR"
    tinyx_images
    debian_image
done
log "images: done ($APPS)"
