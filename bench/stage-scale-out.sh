#!/usr/bin/env bash
# Stage "scale-out" (issue 24), on this one machine, loopback only:
#   1. The shipped nginx profile's kernel, rebuilt by fresh runners (empty TINYX_CACHE_DIR and
#      CCACHE_DIR at the same paths, as a CI fleet's runners started from one image):
#      - runner A, cold, filling a real redis-server as ccache's remote storage (the baseline);
#      - runner B from the remote cache: its share of remote hits and its time / A's;
#      - runner C with the image store A wrote to (a shared directory): builds made, kernel identical.
#   2. The leaf pool (bench/profiles/leaf-pool.json) pruned by real kernel builds and boots with
#      --jobs 1 and --jobs 2, each from an empty image store: final config, trials, wall time.
#   3. --jobs 1 and --jobs 2 on the check-config oracle over all of defconfig's candidates, 3 hidden sets
#      of 20 (bench/prune-oracle.sh's): the same trials and final config; wall times.
#   4. The model (bench/scale-out-model.py): the engine itself replayed on an oracle whose verdicts
#      are the real run's and whose trial costs are the journal's, for 1/4/16 workers and 1/2/4 slots;
#      checked against the real --jobs 1 and --jobs 2 walls of step 2.
#
#   bench/stage-scale-out.sh
# Env: OUT, ACCEL, SKIP_LEAF=1 (steps 1 and 3 on an earlier leaf run). Writes $OUT/json/scale-out.json.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
for p in redis-server redis-cli distcc; do command -v "$p" >/dev/null || die "no $p: run scripts/setup"; done
dir=$OUT/scale-out
mkdir -p "$dir"
SRC=${TINYX_KERNEL_SRC:-${TINYX_CACHE_DIR:-$HOME/.cache/tinyx}/kernel-src/linux-source-6.1}
[ -f "$SRC/Makefile" ] || die "no kernel tree at $SRC (set TINYX_KERNEL_SRC)"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --maxmemory 2gb \
    --maxmemory-policy allkeys-lru >"$dir/redis.log" 2>&1 &
redis=$!
trap 'kill -9 -- -$redis 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cache_url="redis://127.0.0.1:$port"

runner=$dir/runner
profile=$ROOT/profiles/apps/nginx.json
as_fresh_runner() { rm -rf "$runner"; mkdir -p "$runner"
    TINYX_CACHE_DIR="$runner/cache" CCACHE_DIR="$runner/ccache" "$@"; }
rm -rf "$dir/shared-store"
log "scale-out: runner A, cold, filling the remote cache (nginx profile kernel)"
as_fresh_runner "$TINYX" -q build --profile "$profile" --kernel-src "$SRC" --kernel-only --json --cache-url "$cache_url" \
    --image-store "$dir/shared-store" --out "$dir/a" >"$dir/a.json"
log "scale-out: runner B, fresh, from the remote cache"
as_fresh_runner "$TINYX" -q build --profile "$profile" --kernel-src "$SRC" --kernel-only --json --cache-url "$cache_url" --out "$dir/b" >"$dir/b.json"
log "scale-out: runner C, fresh, with the shared image store"
as_fresh_runner "$TINYX" -q build --profile "$profile" --kernel-src "$SRC" --image-store "$dir/shared-store" --verify 1 --accel "$ACCEL" \
    --json --out "$dir/c" >"$dir/c.json"
cmp "$dir/a/bzImage" "$dir/b/bzImage" && cmp "$dir/a/bzImage" "$dir/c/bzImage" || die "the runners' kernels differ"
rm -rf "$runner"

if [ -z "${SKIP_LEAF:-}" ]; then
    app=(--app busybox-static --run "busybox httpd -f -p 80 -h /www" --include "$ROOT/profiles/examples/busybox-httpd/www:/www"
         --no-busybox --forward 80 --host-test 'curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q tinyx'
         --pool "$BENCH/profiles/leaf-pool.json" --baselet "$BENCH/profiles/leaf-baselet.json" --accel "$ACCEL")
    for jobs in 1 2; do
        log "scale-out: leaf pool, --jobs $jobs (real builds and boots; an empty image store)"
        rm -rf "$dir/leaf-$jobs" "$dir/leaf-store-$jobs"
        start=$(date +%s)
        "$TINYX" build "${app[@]}" --prune --prune-what kernel --strategy group --verify 1 --jobs "$jobs" \
            --image-store "$dir/leaf-store-$jobs" --out "$dir/leaf-$jobs" >"$dir/leaf-$jobs.log" 2>&1 ||
            die "leaf --jobs $jobs failed: $dir/leaf-$jobs.log"
        echo $(( $(date +%s) - start )) >"$dir/leaf-$jobs.wall"
    done
fi
cmp "$dir/leaf-1/config" "$dir/leaf-2/config" || die "--jobs 2 reached another config than --jobs 1"

log "scale-out: --jobs 1 and 2 on the check-config oracle, all of defconfig's candidates"
start_config="$SRC/arch/x86/configs/x86_64_defconfig"
cat >"$dir/oracle.sh" <<'ORACLE'
#!/bin/sh
for s in $HIDDEN; do grep -q "^CONFIG_$s=[ym]\$" "$1" || exit 1; done
ORACLE
chmod +x "$dir/oracle.sh"
"$TINYX" -q prune --kernel-src "$SRC" --config "$start_config" --check-config true --out "$dir/oracle-all" >/dev/null
"$PYTHON" - "$dir/oracle-all/report.json" >"$dir/oracle-sets" <<'PY'
import json, random, sys
p = json.load(open(sys.argv[1]))["pruning"]
pool = sorted(p["removed"] + p["required"])
for seed in range(3):
    print(" ".join(sorted(random.Random(1000 + seed).sample(pool, 20))))
PY
n=0
while read -r hidden; do
    n=$((n + 1))
    for jobs in 1 2; do
        t0=$(date +%s.%N)
        HIDDEN="$hidden" "$TINYX" -q prune --kernel-src "$SRC" --config "$start_config" --check-config "$dir/oracle.sh" \
            --jobs $jobs --out "$dir/oracle-$n-$jobs" >/dev/null
        echo "$(date +%s.%N) - $t0" | bc -l >"$dir/oracle-$n-$jobs.wall"
    done
    cmp -s "$dir/oracle-$n-1/config" "$dir/oracle-$n-2/config" || die "oracle set $n: --jobs 2 reached another config"
done <"$dir/oracle-sets"

log "scale-out: the model, replayed on the leaf run's journal"
"$PYTHON" "$BENCH/scale-out-model.py" --tinyx "$TINYX" --kernel-src "$SRC" --prune-dir "$dir/leaf-1/prune" \
    --warm-build "$(python3 -c "import json; print(json.load(open('$dir/b.json'))['kernel']['build']['seconds'])")" \
    --cold-build "$(python3 -c "import json; print(json.load(open('$dir/a.json'))['kernel']['build']['seconds'])")" \
    --json "$dir/model-leaf.json" >"$dir/model-leaf.md"

"$PYTHON" - "$dir" "$OUT/json/scale-out.json" "$COMMIT" <<'PY'
import json, os, sys
d, out, commit = sys.argv[1:4]
load = lambda n: json.load(open(os.path.join(d, n)))
a, b, c = (load(f"{n}.json")["kernel"]["build"] for n in "abc")
leaf = {}
for jobs in (1, 2):
    r = load(f"leaf-{jobs}/report.json")
    p = r["pruning"]
    leaf[jobs] = {"wall": int(open(os.path.join(d, f"leaf-{jobs}.wall")).read()), "trials": p["trials"], "builds": p["builds"],
                  "required": p["required"], "parallel": p["parallel"], "seconds": p["seconds"]}
oracle = []
for n in (1, 2, 3):
    one, two = (load(f"oracle-{n}-{j}/report.json") for j in (1, 2))
    key = lambda r: [(t["id"], t["config_hash"], t["verdict"]) for t in r["trials"]]
    oracle.append({"set": n, "same_trials": key(one) == key(two), "trials": one["pruning"]["trials"],
                   "kept": len(one["pruning"]["required"]), "parallel": two["pruning"]["parallel"],
                   "wall": [float(open(os.path.join(d, f"oracle-{n}-{j}.wall")).read()) for j in (1, 2)]})
result = {"commit": commit, "oracle": oracle,
          "cache": {"cold_seconds": a["seconds"], "remote_seconds": b["seconds"], "ratio": b["seconds"] / a["seconds"],
                    "remote_share": b["compiles"]["remote_hits"] / b["compiles"]["cacheable"], "cold": a["compiles"], "remote": b["compiles"],
                    "store_from_store": c["from_store"], "store_compiles": c["compiles"]},
          "leaf": leaf, "model": load("model-leaf.json")}
json.dump(result, open(out, "w"), indent=1)
print(json.dumps(result["cache"], indent=1))
print({j: (v["wall"], v["trials"], v["builds"], v["parallel"]) for j, v in leaf.items()})
print(oracle)
PY
