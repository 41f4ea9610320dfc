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
    declare -A runs=()
    minimal=yes
    for strategy in sequential group; do
        out="$WORK/$n-$strategy"
        "$TINYX" -q prune --kernel-src "$SRC" --config "$START" --strategy "$strategy" \
            --check-config "$WORK/oracle.sh" --out "$out" >/dev/null
        "$WORK/oracle.sh" "$out/config" || { echo "set $n $strategy: final config fails the oracle"; exit 1; }
        runs[$strategy]=$(python3 -c "import json; print(json.load(open('$out/report.json'))['pruning']['trials'])")
        python3 -c "import json; print('\n'.join(json.load(open('$out/report.json'))['pruning']['required']))" >"$out/kept"
        "$TINYX" -q prune --kernel-src "$SRC" --config "$out/config" --candidates "$out/kept" --strategy sequential \
            --check-config "$WORK/oracle.sh" --out "$out/again" >/dev/null
        python3 -c "import json,sys; sys.exit(1 if json.load(open('$out/again/report.json'))['pruning']['removed'] else 0)" || minimal=no
    done
    python3 - "$WORK/$n-group/report.json" "${runs[sequential]}" "${runs[group]}" "$n" "$minimal" <<'PY'
import json, math, sys
p = json.load(open(sys.argv[1]))["pruning"]
N, k = p["candidates"], len(p["required"])
seq, grp = int(sys.argv[2]), int(sys.argv[3])
bound = math.ceil(math.log2(math.comb(N, k)))
print(f"{sys.argv[4]:<4} {N:>6} {k:>6} {seq:>9} {grp:>9} {grp/seq:>7.3f} {bound:>11} {sys.argv[5]}")
PY
done <"$WORK/sets"
