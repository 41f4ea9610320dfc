#!/usr/bin/env bash
# Stage "pruning": the real pruning cost (kernel builds, TCG/KVM boots, a host curl test against
# BusyBox httpd) of each strategy on the same start config and test, with bench/prune-real.sh:
# sequential (one option at a time, the baseline), group and trace, plus a from-scratch build of
# the start config (no ccache), measured once per output directory. Two candidate pools:
#   leaf    bench/profiles/leaf-pool.json: 23 device drivers and menus, 3 of them needed (the NIC);
#           every strategy finishes in minutes. Runs unless SKIP_SLOW=1 (bench/run.sh --skip-slow).
#   server  profiles/pools/server.json: 74 core options (syscalls, sockets, filesystems); a
#           one-at-a-time run takes ~14 h on 2 cores, so it runs only with RUN_REAL_PRUNING=1
#           (bench/run.sh --with-real-pruning).
# A pool that is not run reports an earlier run's results in $OUT/pruning-POOL, if any.
# Strategies finished in an earlier run are kept; RESUME=1 continues an interrupted one.
#
#   bench/stage-pruning.sh [STRATEGY...]     (default: sequential group trace)
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
if [ $# -gt 0 ]; then STRATEGIES=("$@"); else STRATEGIES=(sequential group trace); fi

run_pool() {  # NAME POOL_FILE BASELET_FILE
    local dir=$OUT/pruning-$1
    log "pruning ($1 pool): bench/prune-real.sh ${STRATEGIES[*]}"
    mkdir -p "$dir"
    OUT=$dir TINYX=$TINYX ACCEL=$ACCEL POOL=$2 BASELET=$3 SKIP_SCRATCH=${SKIP_SCRATCH:-1} \
        "$BENCH/prune-real.sh" "${STRATEGIES[@]}" | tee "$dir/table.txt"
}
[ "${SKIP_SLOW:-0}" = 1 ] ||
    run_pool leaf "$BENCH/profiles/leaf-pool.json" "$BENCH/profiles/leaf-baselet.json"
[ "${RUN_REAL_PRUNING:-0}" = 1 ] &&
    run_pool server "$ROOT/profiles/pools/server.json" "$ROOT/profiles/baselets/qemu-x86_64.json"

python3 - "$OUT" "${STRATEGIES[@]}" >"$OUT/json/pruning.json" <<'PY'
import json, os, sys
out, strategies = sys.argv[1], sys.argv[2:]

def pool_results(d):
    done = [s for s in strategies if os.path.exists(f"{d}/{s}/report.json") and os.path.exists(f"{d}/{s}.wall")]
    # An interrupted strategy (its journal, no report yet): trials and wall time so far.
    unfinished = {}
    for s in strategies:
        journal, candidates = f"{d}/{s}/prune/journal.jsonl", f"{d}/{s}/prune/candidates"
        if s in done or not os.path.exists(journal) or not os.path.exists(candidates):
            continue
        trials = [json.loads(l) for l in open(journal) if l.startswith('{"id"')]
        partial = f"{d}/{s}.wall-partial"
        unfinished[s] = {"trials": len(trials), "builds": sum(1 for t in trials if t.get("built")),
                         "candidates": sum(1 for _ in open(candidates)),
                         "wall_seconds": int(open(partial).read()) if os.path.exists(partial) else None,
                         "trial_seconds": [round(t["seconds"].get("total", 0)) for t in trials]}
    if not done:
        return {"skipped": True, "reason": f"no finished run in {d}", "unfinished": unfinished}
    res = {"skipped": False, "strategies": {}, "unfinished": unfinished}
    if os.path.exists(f"{d}/scratch.seconds"):
        res["scratch_build_seconds"] = float(open(f"{d}/scratch.seconds").read())
    for s in done:
        r = json.load(open(f"{d}/{s}/report.json"))
        p = r["pruning"]
        runs = [t for t in r["trials"] if not t.get("cached") and not t.get("replayed")]
        res["strategies"][s] = {"trials": p["trials"], "builds": p["builds"], "cache_hits": p["cache_hits"],
                                "inferred": p.get("inferred", 0), "candidates": p["candidates"],
                                "kept": len(p["required"]), "removed": len(p["removed"]),
                                "required": p["required"], "kernel_bytes": r["kernel"]["bytes"],
                                "wall_seconds": int(open(f"{d}/{s}.wall").read()),
                                "mean_trial_seconds": sum(t["seconds"].get("total", 0) for t in runs) / max(len(runs), 1),
                                "verify": r.get("verify"),
                                # the commit the strategy ran at (unknown: finished before commits were recorded)
                                "commit": open(f"{d}/{s}.commit").read().strip() if os.path.exists(f"{d}/{s}.commit") else "unknown"}
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
    return res

pools = {"leaf": "bench/profiles/leaf-pool.json (23 device drivers and menus)",
         "server": "profiles/pools/server.json (74 core options)"}
json.dump({"pools": {name: dict(pool_results(f"{out}/pruning-{name}"), pool=desc) for name, desc in pools.items()}},
          sys.stdout, indent=1)
PY
log "pruning: wrote $OUT/json/pruning.json"
