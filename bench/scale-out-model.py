#!/usr/bin/env python3
"""The scale-out model (docs/scale-out.md): predicted wall time of a real pruning run with W distcc
workers and J parallel trial slots.

The model is tinyx's own engine, replayed: `tinyx prune --check-config ORACLE` on the real run's start
config and candidates, where ORACLE
  - passes iff every option the real run kept as needed is on (the real verdicts, for a monotone test:
    the replay with J = 1 asks exactly the real run's trials, which is checked);
  - sleeps the trial's cost / SCALE: the journal's build + boot + test seconds for a config the real run
    tried, else the means of the real trials;
  - with W = 0 builds hold a lock (one build at a time on the machine, as tinyx does); with W > 0 the
    compile part of a build shrinks, shared by the J slots building at once:
        build(W, J) = serial + compile * (p + (1 - p) * J / W),
        serial  = min(build, warm): warm = a full build whose every compile came from ccache (measured),
        compile = build - serial, p = the share of a compile that stays local (preprocessing; assumed 0.2).
The predicted wall is (replay wall - replay overhead) * SCALE, the overhead being the same replay with
no sleeps (kconfig resolves and the dry replays of --jobs).
"""
import argparse, fcntl, hashlib, json, os, statistics, subprocess, sys, tempfile, time

ORACLE = r'''#!/usr/bin/env python3
import fcntl, hashlib, json, os, sys, time
m = json.load(open(os.environ["MODEL_SPEC"]))
text = open(sys.argv[-1]).read()
on = {l.split("=", 1)[0][7:] for l in text.splitlines() if l.startswith("CONFIG_") and l.endswith(("=y", "=m"))}
ok = all(s in on for s in m["required"])
cost = m["costs"].get(hashlib.sha256(text.encode()).hexdigest(), m["mean"])
w, j, scale = m["workers"], m["jobs"], m["scale"]
build = cost["build"]
if w > 0 and build > 0:
    serial = min(build, m["warm"])
    build = serial + (build - serial) * (m["p"] + (1 - m["p"]) * j / w)
if scale > 0:
    if w == 0 and build > 0:
        with open(m["lock"], "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            time.sleep(build / scale)
    else:
        time.sleep(build / scale)
    time.sleep(cost["boot"] / scale)
sys.exit(0 if ok else 1)
'''

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyx", required=True)
    ap.add_argument("--kernel-src", required=True)
    ap.add_argument("--prune-dir", required=True, help="the real run's out/prune (start.config, candidates, journal, report)")
    ap.add_argument("--report", help="the real run's report.json (default: PRUNE_DIR/../report.json)")
    ap.add_argument("--warm-build", type=float, required=True, help="seconds of a full build whose compiles all hit ccache")
    ap.add_argument("--cold-build", type=float, default=0)
    ap.add_argument("--scale", type=float, default=100)
    ap.add_argument("--p", type=float, default=0.2)
    ap.add_argument("--workers", default="0,1,4,16")
    ap.add_argument("--jobs", default="1,2,4")
    ap.add_argument("--extra", default="", help="more tinyx prune arguments (--strategy trace --coverage F ...)")
    ap.add_argument("--json")
    a = ap.parse_args()
    report = json.load(open(a.report or os.path.join(a.prune_dir, "..", "report.json")))
    required = report["pruning"]["required"]
    lines = [json.loads(l) for l in open(os.path.join(a.prune_dir, "journal.jsonl"))]
    trials = [l for l in lines[1:] if "config_hash" in l]
    costs = {}
    for t in trials:
        s = t.get("seconds", {})
        costs[t["config_hash"]] = {"build": s.get("build", 0.0) if t.get("counts", {}).get("builds") else 0.0,
                                   "boot": s.get("boot", 0.0) + s.get("test", 0.0)}
    built = [c["build"] for c in costs.values() if c["build"] > 0]
    mean = {"build": statistics.mean(built) if built else 0.0, "boot": statistics.mean(c["boot"] for c in costs.values())}
    real_hashes = [t["config_hash"] for t in trials]
    work = tempfile.mkdtemp(prefix="tinyx-model-")
    oracle = os.path.join(work, "oracle.py")
    open(oracle, "w").write(ORACLE)
    os.chmod(oracle, 0o755)

    def replay(workers, jobs, scale):
        spec = os.path.join(work, f"spec-{workers}-{jobs}-{scale}.json")
        json.dump({"required": required, "costs": costs, "mean": mean, "workers": workers, "jobs": jobs, "scale": scale,
                   "warm": a.warm_build, "p": a.p, "lock": os.path.join(work, "build.lock")}, open(spec, "w"))
        out = os.path.join(work, f"out-{workers}-{jobs}-{scale}")
        cmd = [a.tinyx, "-q", "prune", "--kernel-src", a.kernel_src, "--config", os.path.join(a.prune_dir, "start.config"),
               "--candidates", os.path.join(a.prune_dir, "candidates"), "--check-config", oracle, "--jobs", str(jobs),
               "--out", out] + a.extra.split()
        start = time.monotonic()
        subprocess.run(cmd, check=True, env=dict(os.environ, MODEL_SPEC=spec), stdout=subprocess.DEVNULL)
        wall = time.monotonic() - start
        r = json.load(open(os.path.join(out, "report.json")))
        return wall, r

    overhead = {}
    rows = []
    for jobs in [int(x) for x in a.jobs.split(",")]:
        overhead[jobs], r0 = replay(0, jobs, 0)
        if jobs == 1:
            asked = [t["config_hash"] for t in r0["trials"] if not t["cached"]]
            same = asked == real_hashes[:len(asked)] and len(asked) == len(real_hashes)
            print(f"replay with jobs 1 asks the real run's trials: {'yes' if same else 'NO'} ({len(asked)} vs {len(real_hashes)})")
        for workers in [int(x) for x in a.workers.split(",")]:
            wall, r = replay(workers, jobs, a.scale)
            predicted = max(0.0, wall - overhead[jobs]) * a.scale
            rows.append({"workers": workers, "jobs": jobs, "predicted_seconds": predicted, "trials": r["pruning"]["trials"],
                         "parallel": r["pruning"]["parallel"]})
    base = next(r["predicted_seconds"] for r in rows if r["workers"] == 0 and r["jobs"] == 1)
    print(f"| workers | slots | predicted wall | vs here, 1 slot | trials run ahead (used) |")
    print(f"|---|---|---|---|---|")
    for r in rows:
        p = r["parallel"]
        print(f"| {r['workers'] or 'none (this machine)'} | {r['jobs']} | {r['predicted_seconds'] / 60:.1f} min | "
              f"{r['predicted_seconds'] / base:.2f} | {p['started_ahead']} ({p['used_ahead']}) |")
    result = {"real_trials": len(real_hashes), "mean_cost": mean, "warm_build": a.warm_build, "p": a.p, "scale": a.scale,
              "rows": rows, "required": required}
    if a.json:
        json.dump(result, open(a.json, "w"), indent=1)

if __name__ == "__main__":
    main()
