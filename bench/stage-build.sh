#!/usr/bin/env bash
# Stage "build" (builds kernels: ~10 minutes per app on 2 cores, more under load): for each app of
# $APPS with a shipped profile (profiles/apps/NAME.json), `tinyx build --profile` into
# $OUT/build/NAME, its compressions decided again by measured boots (--optimize $OPTIMIZE, default
# balanced). The other stages take those kernels and images when they exist; apps without
# a profile (the Go server) boot with $KERNEL, by default the nginx build's kernel. A build
# whose report.json passed and is newer than its profile is kept.
#
#   bench/stage-build.sh [APP...]
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] && APPS="$*"
OPTIMIZE=${OPTIMIZE:-balanced}
rows=()
for name in $APPS; do
    profile=$ROOT/profiles/apps/$name.json
    [ -f "$profile" ] || { log "build: $name has no profile, skipped"; continue; }
    dir=$OUT/build/$name
    if [ -f "$dir/report.json" ] && [ "$dir/report.json" -nt "$profile" ] &&
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["verdict"] != "pass")' "$dir/report.json"; then
        log "build: $name is up to date ($dir)"
    else
        log "build: tinyx build --profile $profile (kernel build)"
        start=$(date +%s.%N)
        "$TINYX" build --profile "$profile" --optimize "$OPTIMIZE" --accel "$ACCEL" --out "$dir" >"$OUT/logs/build-$name.log" 2>&1 ||
            die "build of $name failed, see $OUT/logs/build-$name.log"
        echo "$(date +%s.%N) - $start" | bc -l >"$dir/bench-wall-seconds"
    fi
    rows+=("$name")
done
python3 - "$OUT" "${rows[@]}" >"$OUT/json/build.json" <<'PY'
import json, os, sys
out, apps = sys.argv[1], sys.argv[2:]
res = {}
for a in apps:
    r = json.load(open(f"{out}/build/{a}/report.json"))
    wall = f"{out}/build/{a}/bench-wall-seconds"
    res[a] = {"verdict": r["verdict"], "kernel_bytes": r["kernel"]["bytes"], "initramfs_bytes": r["image"]["initramfs_bytes"],
              "verify": r.get("verify"), "seconds": r.get("seconds"), "compression": r.get("compression"),
              "min_memory_mb": (r.get("memory") or {}).get("min_mb"),
              "wall_seconds": float(open(wall).read()) if os.path.exists(wall) else None}
json.dump({"apps": res}, sys.stdout, indent=1)
PY
log "build: wrote $OUT/json/build.json"
