#!/usr/bin/env bash
# The benchmark's own dependencies (Debian 12, as root; idempotent), on top of scripts/setup's:
# the Go compiler of the survey's example, the apps measured, the Debian VM tools (debootstrap,
# virt-make-fs), curl and redis-cli for the tests, gcc for /bench-init, matplotlib for the plots.
set -eu -o pipefail
pkgs=(golang-go nginx-light redis-server redis-tools debootstrap libguestfs-tools qemu-system-x86
      curl cpio xz-utils bc gcc libc6-dev kmod python3 python3-matplotlib linux-source-6.1 umoci skopeo mmdebstrap)
ls /boot/vmlinuz-* >/dev/null 2>&1 || pkgs+=(linux-image-amd64)  # the stock kernel of the boot stage
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    apt-get update -qq
    # No services started on the host: the bench starts its apps itself.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
