#!/usr/bin/env bash
# Stage "boot": QEMU start -> the app answering its host test, per app of $APPS, BOOTS boots each:
#   - tinyx's kernel and Debian's stock kernel ($STOCK_KERNEL) booting the SAME initramfs: the
#     app's tinyx image plus a small uncompressed cpio appended to it (the stock kernel's
#     virtio-pci/virtio-net modules and /bench-init, which loads them and execs tinyx's /init;
#     rdinit=/bench-init on both kernels' command lines, so both boot the same bytes the same way);
#   - the app's Debian VM (its own stock kernel + initrd + qcow2, systemd), as the survey's VM;
# all with the same accelerator, memory and QEMU arguments (bench/vm.py), and the ratios
# tinyx kernel / stock kernel and tinyx kernel / Debian VM from this run's medians. Then, for
# each kernel on the shared initramfs, `tinyx boot --repeat BOOTS --min-memory`: where the boot's
# time goes (its phases, docs/harness.md) and the smallest memory that passes.
#
#   bench/stage-boot.sh [APP...]
# Env: BOOTS (default 5), MEMORY (256), STOCK_KERNEL, ACCEL, OUT; RESUME=1 keeps the targets that
# already passed in $OUT/boot (to continue an interrupted stage).
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
BOOTS=${BOOTS:-5}
[ $# -gt 0 ] && APPS="$*"
STOCK_KERNEL=${STOCK_KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}
STOCK_VERSION=${STOCK_VERSION:-$(basename "$STOCK_KERNEL" | sed 's/^vmlinuz-//')}
[ -d "/lib/modules/$STOCK_VERSION" ] || die "no modules for $STOCK_KERNEL in /lib/modules/$STOCK_VERSION"
"$BENCH/stage-images.sh" $APPS
mkdir -p "$OUT/boot" "$OUT/tools"

# /bench-init and the stock kernel's NIC modules, as one uncompressed cpio to append.
extra=$OUT/tools/boot-extra-$STOCK_VERSION.cpio
if [ ! -s "$extra" ] || [ "$BENCH/bench-init.c" -nt "$extra" ]; then
    stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage/bench/modules"
    gcc -static -Os -o "$stage/bench-init" "$BENCH/bench-init.c"
    for m in virtio_pci virtio_net; do modprobe -S "$STOCK_VERSION" --show-depends "$m"; done |
        awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$stage/list"
    while read -r ko; do
        cp "$ko" "$stage/bench/modules/"
        echo "/bench/modules/$(basename "$ko")" >>"$stage/bench/modules.order"
    done <"$stage/list"
    rm "$stage/list"
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$extra"
fi

# True when RESUME=1 and FILE holds a passing result of an earlier, interrupted run.
done_before() {
    [ "${RESUME:-0}" = 1 ] && [ -s "$1" ] &&
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["verdict"] != "pass")' "$1" 2>/dev/null
}

results=()
for name in $APPS; do
    load_app "$name"
    [ -f "$APP_KERNEL" ] || die "$name: no kernel (set KERNEL, or run the build stage)"
    accel=$(resolve_accel "$APP_KERNEL" "$APP_INITRD")
    # The shared initramfs: the tinyx image, zero-padded to 512 bytes (the kernel looks for the
    # next archive on a 4-byte boundary), then the extra cpio.
    shared=$OUT/boot/$name-shared.cpio
    cp "$APP_INITRD" "$shared"
    truncate -s "$(( ($(stat -c %s "$shared") + 511) / 512 * 512 ))" "$shared"
    cat "$extra" >>"$shared"
    append="rdinit=/bench-init $APP_APPEND"
    common=(--forward "$APP_PORT" --probe "$APP_HOST_TEST" --memory "$MEMORY" --accel "$accel" --repeat "$BOOTS" --timeout 600)
    for target in tinyx stock; do
        kernel=$APP_KERNEL; [ $target = stock ] && kernel=$STOCK_KERNEL
        done_before "$OUT/boot/$name-$target.json" && continue
        log "boot: $name, $target kernel + shared initramfs, $BOOTS boots ($accel, $MEMORY MB)"
        python3 "$BENCH/vm.py" "${common[@]}" --kernel "$kernel" --initrd "$shared" --append "$append" \
            --log "$OUT/logs/boot-$name-$target.console" >"$OUT/boot/$name-$target.json" ||
            die "$name: $target kernel did not pass, see $OUT/boot/$name-$target.json"
    done
    d=$APP_DIR/debian
    if ! done_before "$OUT/boot/$name-debian.json"; then
        log "boot: $name, Debian VM, $BOOTS boots"
        python3 "$BENCH/vm.py" "${common[@]}" --kernel "$d/vmlinuz" --initrd "$d/initrd.img" --disk "$d/disk.qcow2" \
            --append "net.ifnames=0 $APP_APPEND" --log "$OUT/logs/boot-$name-debian.console" \
            >"$OUT/boot/$name-debian.json" || die "$name: Debian VM did not pass, see $OUT/boot/$name-debian.json"
    fi
    for target in tinyx stock; do
        kernel=$APP_KERNEL; [ $target = stock ] && kernel=$STOCK_KERNEL
        done_before "$OUT/boot/$name-$target-minmem.json" && continue
        log "boot: $name, $target kernel: where the time goes, then the smallest memory that passes (tinyx boot --repeat $BOOTS --min-memory)"
        "$TINYX" boot --kernel "$kernel" --initrd "$shared" --append "$append" --accel "$accel" --memory "$MEMORY" --repeat "$BOOTS" \
            --forward "$APP_PORT" --host-test "$APP_HOST_TEST" --min-memory --json \
            >"$OUT/boot/$name-$target-minmem.json" 2>"$OUT/logs/boot-$name-$target-minmem.log" ||
            die "$name: tinyx boot --min-memory failed with the $target kernel, see $OUT/logs/boot-$name-$target-minmem.log"
    done
    results+=("$name")
done

python3 - "$OUT" "$BOOTS" "$MEMORY" "$STOCK_KERNEL" "${results[@]}" >"$OUT/json/boot.json" <<'PY'
import json, sys
out, boots, memory, stock, apps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
result = {"boots": boots, "memory_mb": memory, "stock_kernel": stock, "apps": {}}
for app in apps:
    e = {}
    for t in ("tinyx", "stock", "debian"):
        r = json.load(open(f"{out}/boot/{app}-{t}.json"))
        result["accel"] = r["accel"]
        e[t] = {"ready_median_s": r["ready_median"], "ready_s": r["ready_seconds"],
                "kernel": r["boots"][0]["qemu_command"].split(" -kernel ")[1].split(" ")[0]}
    for t in ("tinyx", "stock"):
        m = json.load(open(f"{out}/boot/{app}-{t}-minmem.json"))
        e[t]["min_memory_mb"] = m.get("min_memory_mb")
        e[t]["harness_app_started_s"] = m["boots"][0]["seconds"]["app_started"]
        # Where the boot's time goes (the harness's phases, docs/harness.md), medians of the boots.
        def median(values):
            values = sorted(values)
            return None if not values else (values[len(values) // 2] if len(values) % 2 else sum(values[len(values) // 2 - 1:len(values) // 2 + 1]) / 2)
        e[t]["harness_app_started_median_s"] = median([b["seconds"]["app_started"] for b in m["boots"]])
        e[t]["phases_s"] = {k: median([b["phases"][k] for b in m["boots"] if b["phases"][k] is not None])
                            for k in ("before_kernel", "kernel_init", "initramfs_unpack", "init", "app_start")}
    e["ratio"] = {"tinyx_vs_stock_kernel": e["tinyx"]["ready_median_s"] / e["stock"]["ready_median_s"],
                  "tinyx_vs_debian_vm": e["tinyx"]["ready_median_s"] / e["debian"]["ready_median_s"],
                  "min_memory_tinyx_vs_stock": (e["tinyx"]["min_memory_mb"] / e["stock"]["min_memory_mb"])
                  if e["tinyx"]["min_memory_mb"] and e["stock"]["min_memory_mb"] else None}
    result["apps"][app] = e
json.dump(result, sys.stdout, indent=1)
PY
log "boot: wrote $OUT/json/boot.json"
