#!/usr/bin/env bash
# Benchmark for issue 6's first "Done when": check-config oracles "pass iff a
# hidden set of options is enabled" on linux-source-6.1 x86_64, start config
# defconfig, candidates = what defconfig enables beyond allnoconfig (~1,070).
# For each hidden set, runs `sequential` and `group`, checks that both results
# pass and are 1-minimal (re-pruning a result removes nothing), and prints test
# runs, the ratio group/sequential (target <= 0.2) and the information-theoretic
# lower bound ceil(log2 C(N,k)).
#
#   bench/prune-oracle.sh [TINYX] [SETS] [K]     (defaults: build-pruner/tinyx, 3 sets, 20 options)
# Env: ORACLE_JSON=FILE also appends one JSON object per hidden set to FILE (bench/stage-oracle.sh):
# hidden k, N, kept, each strategy's test runs, memo hits, inferred failures, resolves and wall
# seconds, the bound for k hidden options and for the kept ones, 1-minimality.
set -eu -o pipefail
TINYX=${1:-$(dirname "$0")/../build-pruner/tinyx}
SETS=${2:-3}
K=${3:-20}
SRC=${TINYX_KERNEL_SRC:-$HOME/.cache/tinyx/kernel-src/linux-source-6.1}
START="$SRC/arch/x86/configs/x86_64_defconfig"
WORK=$(mktemp -d /tmp/tinyx-bench-prune-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/oracle.sh" <<'ORACLE'
#!/bin/sh
for s in $HIDDEN; do grep -q "^CONFIG_$s=[ym]\$" "$1" || exit 1; done
ORACLE
chmod +x "$WORK/oracle.sh"

# Candidates and hidden sets come from one always-passing run's report (it lists every candidate).
"$TINYX" -q prune --kernel-src "$SRC" --config "$START" --check-config true --out "$WORK/all" >/dev/null
python3 - "$WORK/all/report.json" "$SETS" "$K" >"$WORK/sets" <<'PY'
import json, random, sys
p = json.load(open(sys.argv[1]))["pruning"]
pool = sorted(p["removed"] + p["required"])  # removable candidates
for seed in range(int(sys.argv[2])):
    print(" ".join(sorted(random.Random(1000 + seed).sample(pool, int(sys.argv[3])))))
PY
printf "%-4s %6s %6s %9s %9s %7s %11s %s\n" set N kept seq-runs group-runs ratio "log2C(N,k)" "1-minimal"
n=0
while read -r hidden; do
    n=$((n + 1))
    export HIDDEN="$hidden"
    declare -A runs=() secs=()
    minimal=yes
    for strategy in sequential group; do
        out="$WORK/$n-$strategy"
        t0=$(date +%s.%N)
        "$TINYX" -q prune --kernel-src "$SRC" --config "$START" --strategy "$strategy" \
            --check-config "$WORK/oracle.sh" --out "$out" >/dev/null
        secs[$strategy]=$(echo "$(date +%s.%N) - $t0" | bc -l)
        "$WORK/oracle.sh" "$out/config" || { echo "set $n $strategy: final config fails the oracle"; exit 1; }
        runs[$strategy]=$(python3 -c "import json; print(json.load(open('$out/report.json'))['pruning']['trials'])")
        python3 -c "import json; print('\n'.join(json.load(open('$out/report.json'))['pruning']['required']))" >"$out/kept"
        # 1-minimal in the pruner's own terms: trials re-resolve the start with the absent candidates
        # off, so the re-check starts from the same inputs (the resolved final config would keep
        # options that only a removed candidate selected, and judge a different question).
        python3 - "$START" "$out/report.json" >"$out/final-inputs.config" <<'FINAL'
import json, re, sys
removed = set(json.load(open(sys.argv[2]))["pruning"]["removed"])
for line in open(sys.argv[1]):
    m = re.match(r"(?:# )?CONFIG_(\w+)[= ]", line)
    if not (m and m.group(1) in removed):
        print(line, end="")
for symbol in sorted(removed):
    print(f"# CONFIG_{symbol} is not set")
FINAL
        "$TINYX" -q prune --kernel-src "$SRC" --config "$out/final-inputs.config" --candidates "$out/kept" --strategy sequential \
            --check-config "$WORK/oracle.sh" --out "$out/again" >/dev/null
        python3 -c "import json,sys; sys.exit(1 if json.load(open('$out/again/report.json'))['pruning']['removed'] else 0)" ||
            { minimal=no; echo "$strategy" >>"$WORK/$n-not-minimal"; }
    done
    python3 - "$WORK/$n-group/report.json" "${runs[sequential]}" "${runs[group]}" "$n" "$minimal" \
        "$WORK/$n-sequential/report.json" "$K" "${secs[sequential]}" "${secs[group]}" "${ORACLE_JSON:-}" <<'PY'
import json, math, os, sys
p = json.load(open(sys.argv[1]))["pruning"]
N, k = p["candidates"], len(p["required"])
seq, grp = int(sys.argv[2]), int(sys.argv[3])
bound = math.ceil(math.log2(math.comb(N, k)))
print(f"{sys.argv[4]:<4} {N:>6} {k:>6} {seq:>9} {grp:>9} {grp/seq:>7.3f} {bound:>11} {sys.argv[5]}")
if sys.argv[10]:
    hidden = int(sys.argv[7])
    strategies = {}
    nm = os.path.join(os.path.dirname(os.path.dirname(sys.argv[1])), sys.argv[4] + "-not-minimal")
    not_minimal = open(nm).read().split() if os.path.exists(nm) else []
    for name, report, secs in (("sequential", sys.argv[6], sys.argv[8]), ("group", sys.argv[1], sys.argv[9])):
        q = json.load(open(report))["pruning"]
        strategies[name] = {"trials": q["trials"], "builds": q.get("builds", 0), "cache_hits": q.get("cache_hits", 0),
                            "inferred": q.get("inferred", 0), "resolves": q.get("resolves", 0),
                            "kept": len(q["required"]), "seconds": float(secs)}
    with open(sys.argv[10], "a") as f:
        f.write(json.dumps({"set": int(sys.argv[4]), "k": hidden, "N": N, "kept": k, "strategies": strategies,
                            "ratio_group_vs_sequential": grp / seq, "one_at_a_time_N": N,
                            "bound_k": math.ceil(math.log2(math.comb(N, hidden))), "bound_kept": bound,
                            "one_minimal": sys.argv[5] == "yes", "not_minimal": not_minimal}) + "\n")
PY
done <"$WORK/sets"
