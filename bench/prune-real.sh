#!/usr/bin/env bash
# The real pruning benchmark (issue 6; hours, NOT run in CI): kernel builds, QEMU
# boots and a host-side HTTP test against BusyBox httpd (the README's example),
# candidates = the server pool (profiles/pools/server.json, >= 60 options), with
# each strategy. The final image of each run is verified by 5 boots with the test.
# Prints, per strategy: test runs, kernel builds, memo hits + inferred failures,
# wall time, mean trial cost; and as the baseline, measured in the same run, a
# from-scratch build of the start config (fresh build dir, ccache off).
#
# With `trace` (issue 8) it also prints trace's kernel builds as a ratio of group's and
# how many of the coverage trace's predictions the tests confirmed.
#
#   bench/prune-real.sh [STRATEGIES...]     (default: sequential group trace)
# Env: TINYX (binary), OUT (work dir, kept: rerun with RESUME=1 to continue an
# interrupted strategy; finished strategies are kept, not run again), ACCEL (default
# auto), SKIP_SCRATCH=1 (reuse the last from-scratch measurement in $OUT/scratch.seconds),
# POOL and BASELET (profile files: the candidates and the platform base; default tinyx's own,
# profiles/pools/server.json and profiles/baselets/qemu-x86_64.json). bench/stage-pruning.sh
# also runs it with bench/profiles/leaf-pool.json, whose one-at-a-time run takes minutes.
set -eu -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TINYX=${TINYX:-$ROOT/build/tinyx}
OUT=${OUT:-/tmp/tinyx-bench-prune-real}
ACCEL=${ACCEL:-auto}
if [ $# -gt 0 ]; then STRATEGIES=("$@"); else STRATEGIES=(sequential group trace); fi
mkdir -p "$OUT"

app=(--app busybox-static --run "busybox httpd -f -p 80 -h /www"
     --include "$ROOT/profiles/examples/busybox-httpd/www:/www" --no-busybox --forward 80
     --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q tinyx' --accel "$ACCEL")
[ -n "${POOL:-}" ] && app+=(--pool "$POOL")
[ -n "${BASELET:-}" ] && app+=(--baselet "$BASELET")

CACHE=${TINYX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyx}
for strategy in "${STRATEGIES[@]}"; do
    if [ -f "$OUT/$strategy/report.json" ] && [ -f "$OUT/$strategy.wall" ]; then
        echo "$strategy: finished in an earlier run (kept; delete $OUT/$strategy to run it again)" >&2
        continue
    fi
    # tinyx keeps every built kernel by config hash; emptied so that no strategy boots
    # images an earlier strategy built (ccache and the kept build dir stay, as for a user).
    rm -rf "$CACHE"/kernel-build/*-images
    # Wall time adds up over interrupted and resumed runs ($strategy.wall-partial).
    before=$(cat "$OUT/$strategy.wall-partial" 2>/dev/null || echo 0)
    start=$(date +%s)
    if ! "$TINYX" build "${app[@]}" --prune --strategy "$strategy" --verify 5 --out "$OUT/$strategy" \
        ${RESUME:+--resume} >>"$OUT/$strategy.log" 2>&1; then
        echo $((before + $(date +%s) - start)) >"$OUT/$strategy.wall-partial"
        echo "$strategy: tinyx build failed or was interrupted, see $OUT/$strategy.log (continue with RESUME=1)" >&2
        exit 1
    fi
    echo $((before + $(date +%s) - start)) >"$OUT/$strategy.wall"
    rm -f "$OUT/$strategy.wall-partial"
    git -C "$(dirname "$0")/.." describe --always --dirty >"$OUT/$strategy.commit" 2>/dev/null || echo unknown >"$OUT/$strategy.commit"
done

# Baseline: the start config built from scratch, no ccache, in a fresh build dir.
first=${STRATEGIES[0]}
if [ -z "${SKIP_SCRATCH:-}" ] || [ ! -s "$OUT/scratch.seconds" ]; then
    SRC=${TINYX_KERNEL_SRC:-$HOME/.cache/tinyx/kernel-src/linux-source-6.1}
    rm -rf "$OUT/scratch"; mkdir -p "$OUT/scratch"
    cp "$OUT/$first/prune/start.config" "$OUT/scratch/.config"
    start=$(date +%s.%N)
    CCACHE_DISABLE=1 make -s -C "$SRC" O="$OUT/scratch" ARCH=x86_64 olddefconfig >/dev/null
    CCACHE_DISABLE=1 make -s -C "$SRC" O="$OUT/scratch" ARCH=x86_64 -j"$(nproc)" bzImage >/dev/null 2>&1
    echo "$(date +%s.%N) - $start" | bc -l >"$OUT/scratch.seconds"
    rm -rf "$OUT/scratch"
fi

python3 - "$OUT" "$(cat "$OUT/scratch.seconds")" "${STRATEGIES[@]}" <<'PY'
import json, sys
out, scratch, strategies = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
print(f"from-scratch build of the start config (no ccache): {scratch:.0f} s")
print(f"{'strategy':<11} {'runs':>5} {'builds':>6} {'known':>6} {'kept':>5} {'removed':>7} {'wall':>7} {'trial':>7} {'trial/scratch':>13} {'verify':>6}")
for s in strategies:
    report = json.load(open(f"{out}/{s}/report.json"))
    p = report["pruning"]
    runs = [t for t in report["trials"] if not t.get("cached") and not t.get("replayed")]
    mean = sum(t["seconds"].get("total", 0) for t in runs) / max(len(runs), 1)
    wall = int(open(f"{out}/{s}.wall").read())
    known = p["cache_hits"] + p.get("inferred", 0)
    v = report["verify"]
    print(f"{s:<11} {p['trials']:>5} {p['builds']:>6} {known:>6} {len(p['required']):>5} {len(p['removed']):>7} "
          f"{wall:>6}s {mean:>6.0f}s {mean / scratch:>13.2f} {v['passed']}/{v['boots']:<4}")
reports = {s: json.load(open(f"{out}/{s}/report.json")) for s in strategies}
if "trace" in reports:
    c = reports["trace"]["pruning"]["coverage"]
    o, pr = c["options"], c["predictions"]
    print(f"trace coverage: {c['functions']['executed']}/{c['functions']['total']} functions, "
          f"{c['objects']['executed']}/{c['objects']['total']} objects executed; candidates {o['ran']} ran, "
          f"{o['not_ran']} never ran, {o['no_code']} without code; predictions confirmed {pr['confirmed']}/{pr['made']}")
    if "group" in reports:
        g, t = reports["group"], reports["trace"]
        size = lambda r: r["kernel"]["bytes"]
        print(f"trace/group kernel builds: {t['pruning']['builds']}/{g['pruning']['builds']} = "
              f"{t['pruning']['builds'] / max(g['pruning']['builds'], 1):.2f} (target <= 0.5); "
              f"kernel bytes trace {size(t)} vs group {size(g)}")
PY
