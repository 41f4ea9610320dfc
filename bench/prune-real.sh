#!/usr/bin/env bash
# The real pruning benchmark of issue 6 (hours; NOT run in CI): kernel builds,
# QEMU boots and a host-side HTTP test against BusyBox httpd over a pool of
# >= 60 candidate options, with both strategies. Prints trials, builds, cache
# hits and wall time of each, and re-tests the final image 5 times.
#
#   bench/prune-real.sh TINYX START_CONFIG POOL_FILE INITRD
# START_CONFIG must boot the initrd and pass the test; POOL_FILE lists >= 60 options.
set -eu -o pipefail
TINYX=$1; START=$2; POOL=$3; INITRD=$4
SRC=${TINYX_KERNEL_SRC:-$HOME/.cache/tinyx/kernel-src/linux-source-6.1}
OUT=${OUT:-/tmp/tinyx-bench-prune-real}
TEST='curl -fs --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ >/dev/null'
printf '%-11s %7s %7s %10s %10s\n' strategy trials builds cache-hits wall
for strategy in sequential group; do
    start=$(date +%s)
    "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$POOL" --strategy "$strategy" \
        --initrd "$INITRD" --forward 80 --host-test "$TEST" --out "$OUT/$strategy" ${RESUME:+--resume}
    wall=$(($(date +%s) - start))
    python3 - "$OUT/$strategy/report.json" "$strategy" "$wall" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["pruning"]
print(f"{sys.argv[2]:<11} {p['trials']:>7} {p['builds']:>7} {p['cache_hits']:>10} {int(sys.argv[3]):>9}s")
PY
done
