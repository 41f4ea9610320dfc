#!/usr/bin/env bash
# Stage "pruning": the real pruning cost (kernel builds, TCG/KVM boots, a host curl test) of each
# strategy on the same start config and test: bench/prune-real.sh (BusyBox httpd, the server
# pool), sequential (one option at a time, the baseline), group and trace, plus a from-scratch
# build of the start config. HOURS on 2 cores, so it runs only with RUN_REAL_PRUNING=1 (bench/run.sh
# --with-real-pruning); otherwise an earlier run's results in $OUT/pruning-real are reported,
# or the stage is recorded as skipped. RESUME=1 continues an interrupted run.
#
#   bench/stage-pruning.sh [STRATEGY...]     (default: sequential group trace)
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
if [ $# -gt 0 ]; then STRATEGIES=("$@"); else STRATEGIES=(sequential group trace); fi
dir=$OUT/pruning-real
if [ "${RUN_REAL_PRUNING:-0}" = 1 ]; then
    log "pruning: bench/prune-real.sh ${STRATEGIES[*]} (hours)"
    mkdir -p "$dir"
    OUT=$dir TINYX=$TINYX ACCEL=$ACCEL "$BENCH/prune-real.sh" "${STRATEGIES[@]}" | tee "$dir/table.txt"
fi
python3 - "$dir" "${STRATEGIES[@]}" >"$OUT/json/pruning.json" <<'PY'
import json, os, sys
d, strategies = sys.argv[1], sys.argv[2:]
done = [s for s in strategies if os.path.exists(f"{d}/{s}/report.json") and os.path.exists(f"{d}/{s}.wall")]
if not done:
    json.dump({"skipped": True, "reason": "real pruning not run (bench/run.sh --with-real-pruning)"}, sys.stdout)
    sys.exit()
res = {"skipped": False, "strategies": {}}
if os.path.exists(f"{d}/scratch.seconds"):
    res["scratch_build_seconds"] = float(open(f"{d}/scratch.seconds").read())
for s in done:
    r = json.load(open(f"{d}/{s}/report.json"))
    p = r["pruning"]
    runs = [t for t in r["trials"] if not t.get("cached") and not t.get("replayed")]
    res["strategies"][s] = {"trials": p["trials"], "builds": p["builds"], "cache_hits": p["cache_hits"],
                            "inferred": p.get("inferred", 0), "candidates": p["candidates"],
                            "kept": len(p["required"]), "removed": len(p["removed"]),
                            "wall_seconds": int(open(f"{d}/{s}.wall").read()),
                            "mean_trial_seconds": sum(t["seconds"].get("total", 0) for t in runs) / max(len(runs), 1),
                            "verify": r.get("verify")}
if "sequential" in res["strategies"]:
    base = res["strategies"]["sequential"]
    res["ratio_vs_sequential"] = {s: {k: (v[k] / base[k] if base[k] else None) for k in ("trials", "builds", "wall_seconds")}
                                  for s, v in res["strategies"].items()}
if "scratch_build_seconds" in res:  # issue 6: a trial should cost <= 0.5x a from-scratch build
    for v in res["strategies"].values():
        v["mean_trial_vs_scratch"] = v["mean_trial_seconds"] / res["scratch_build_seconds"]
if "group" in res["strategies"]:  # issue 8: trace's kernel builds against group's
    g = res["strategies"]["group"]["builds"]
    for v in res["strategies"].values():
        v["builds_vs_group"] = v["builds"] / g if g else None
json.dump(res, sys.stdout, indent=1)
PY
log "pruning: wrote $OUT/json/pruning.json"
