#!/usr/bin/env bash
# Stage "sizes": the survey's Table 2 measure, per app of $APPS:
#   - tinyx: kernel + initramfs (what `tinyx boot` boots), and kernel + the same files as an
#     ext4 qcow2 (`tinyx rootfs --format qcow2`; measured after `qemu-img convert`, like the
#     Debian VM's);
#   - Debian VM: the qcow2 file (debootstrap minbase + app + stock kernel, see stage-images.sh)
#     and the bytes of its files;
#   - the floor: the app's bare ELF closure (its program + every shared object it loads, as
#     ldd resolves it on the host: the files tinyx gathers under "ELF closure of"), raw and as
#     one xz-compressed tar.
# Ratios are against the Debian VM's qcow2 measured in this run.
#
#   bench/stage-sizes.sh [APP...]
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] && APPS="$*"
"$BENCH/stage-images.sh" $APPS

rows=()
for name in $APPS; do
    load_app "$name"
    [ -f "$APP_KERNEL" ] || die "$name: no kernel (set KERNEL, or run the build stage)"
    disk=$(ls "$APP_DIR"/tinyx-disk/*.qcow2 | head -1)
    # Measured compacted, as the Debian VM's qcow2 (stage-images.sh): qemu-img convert.
    compact=$(mktemp --suffix=.qcow2); qemu-img convert -O qcow2 "$disk" "$compact"
    disk_compact=$(stat -c %s "$compact"); rm -f "$compact"
    # The floor: the run program (its host file, from the manifest) and its ldd closure.
    closure=$(python3 - "$APP_MANIFEST" <<'PY'
import json, os, subprocess, sys
m = json.load(open(sys.argv[1]))
run = m["run"][0]
src = next((f["source"] for f in m["files"] if f["path"] == run and f["source"]), run)
files = {os.path.realpath(src)}
for line in subprocess.run(["ldd", src], capture_output=True, text=True).stdout.splitlines():
    words = line.split()
    path = words[2] if "=>" in words and len(words) > 2 else words[0]
    if path.startswith("/"):
        files.add(os.path.realpath(path))
print("\n".join(sorted(files)))
PY
)
    floor=0
    while read -r f; do floor=$((floor + $(stat -c %s "$f"))); done <<<"$closure"
    floor_xz=$(tar -cf - -P $closure 2>/dev/null | xz -6 --check=crc32 | wc -c)
    rows+=("$(python3 - "$APP_DIR/debian/sizes.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
kernel, initrd, qcow2 = $(stat -c %s "$APP_KERNEL"), $(stat -c %s "$APP_INITRD"), $disk_compact
t = {"kernel_bytes": kernel, "initramfs_bytes": initrd, "total_bytes": kernel + initrd,
     "qcow2_bytes": qcow2, "qcow2_as_written_bytes": $(stat -c %s "$disk"), "qcow2_plus_kernel_bytes": qcow2 + kernel,
     "kernel_source": """$APP_KERNEL_SOURCE""", "app_source": "$APP_SOURCE"}
f = {"bytes": $floor, "xz_bytes": $floor_xz, "files": """$closure""".split()}
base = d["qcow2_bytes"]
print(json.dumps({"app": "$name", "tinyx": t, "debian": d, "floor": f, "ratio_vs_debian_qcow2": {
    "tinyx_kernel_initramfs": t["total_bytes"] / base, "tinyx_qcow2_plus_kernel": t["qcow2_plus_kernel_bytes"] / base,
    "floor": f["bytes"] / base, "floor_xz": f["xz_bytes"] / base},
    "tinyx_vs_floor_xz": t["total_bytes"] / f["xz_bytes"]}))
PY
)")
    log "sizes: $name done"
done
printf '%s\n' "${rows[@]}" | python3 -c 'import json,sys; json.dump({"apps": [json.loads(l) for l in sys.stdin]}, sys.stdout, indent=1)' \
    >"$OUT/json/sizes.json"
log "sizes: wrote $OUT/json/sizes.json"
