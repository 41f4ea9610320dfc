#!/usr/bin/env bash
# Replays finished real pruning runs (kernel builds + boots, hours each) with every strategy in
# seconds: the oracle of a replay passes a config iff it enables every option the real run found
# needed (its report's `required`), the start config and candidates are the run's own, and the
# trace strategy gets the run's real coverage.json. The replay of the run's own strategy must
# need the trials the real run needed (printed side by side): that checks the oracle stands in for
# the real test. Then sequential, group, trace (when the run has a coverage trace) and, with
# HINT_PROFILE, group guided by that profile (--hint-profile) are compared on that app's real
# needs, without a kernel build. The counts are oracle runs = kernel builds of a real run.
#
#   bench/prune-replay.sh OUT...        OUT: a `tinyx build --prune --out` directory (or its prune/)
# Env: TINYX (binary), HINT_PROFILE (an app profile), WORK (scratch dir, default a temp dir).
# Example: HINT_PROFILE=profiles/apps/nginx.json bench/prune-replay.sh out/nginx out/redis
set -eu -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TINYX=${TINYX:-$ROOT/build/tinyx}
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
WORK=${WORK:-$(mktemp -d /tmp/tinyx-replay-XXXXXX)}
SRC=${TINYX_KERNEL_SRC:-${TINYX_CACHE_DIR:-$HOME/.cache/tinyx}/kernel-src/linux-source-6.1}
mkdir -p "$WORK"

rows=()
for run in "$@"; do
    dir=$run; [ -f "$dir/prune/report.json" ] && dir=$dir/prune
    for f in start.config candidates report.json; do
        [ -f "$dir/$f" ] || { echo "prune-replay: $dir/$f missing (not a finished --prune run)" >&2; exit 2; }
    done
    name=$(basename "$(cd "$dir/.." && pwd)")
    needed=$(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['pruning']['required']))" "$dir/report.json")
    oracle=$WORK/$name.oracle
    # The run's needed options, all enabled (y or m) in the trial's resolved config.
    printf '#!/bin/sh\nfor s in %s; do grep -q "^CONFIG_$s=[ym]$" "$1" || exit 1; done\n' "$needed" >"$oracle"
    chmod +x "$oracle"
    strategies=(sequential group)
    [ -f "$dir/coverage.json" ] && strategies+=(trace)
    [ -n "${HINT_PROFILE:-}" ] && strategies+=(hinted)
    for strategy in "${strategies[@]}"; do
        args=(--strategy "$strategy")
        [ "$strategy" = trace ] && args+=(--coverage "$dir/coverage.json")
        [ "$strategy" = hinted ] && args=(--strategy group --hint-profile "$HINT_PROFILE")
        "$TINYX" prune --kernel-src "$SRC" --config "$dir/start.config" --candidates "$dir/candidates" "${args[@]}" \
            --check-config "$oracle" --out "$WORK/$name-$strategy" >/dev/null 2>"$WORK/$name-$strategy.err" ||
            { echo "prune-replay: $name $strategy failed, see $WORK/$name-$strategy.err" >&2; exit 1; }
    done
    rows+=("$name:$dir:${strategies[*]}")
done

python3 - "$WORK" "${rows[@]}" <<'PY'
import json, sys
work, rows = sys.argv[1], sys.argv[2:]
print("| run | needed | real strategy: real trials / replayed | sequential | group | trace | hinted | group/seq | trace/group | hinted/group |")
print("|---|---|---|---|---|---|---|---|---|---|")
for row in rows:
    name, d, strategies = row.split(":", 2)
    real = json.load(open(f"{d}/report.json"))["pruning"]
    runs = {s: json.load(open(f"{work}/{name}-{s}/report.json"))["pruning"] for s in strategies.split()}
    for s, p in runs.items():  # every replay reaches the real run's result
        assert sorted(p["required"]) == sorted(real["required"]), (name, s, p["required"], real["required"])
    own = "hinted" if real.get("hint_profile") else real["strategy"]
    replayed = runs.get(own, {}).get("trials", "-")
    t = {s: runs[s]["trials"] if s in runs else None for s in ("sequential", "group", "trace", "hinted")}
    ratio = lambda a, b: f"{t[a] / t[b]:.2f}" if t[a] and t[b] else "-"
    cell = lambda s: str(t[s]) if t[s] is not None else "-"
    print(f"| {name} | {' '.join(real['required'])} | {own}: {real['trials']} / {replayed} | {cell('sequential')} | "
          f"{cell('group')} | {cell('trace')} | {cell('hinted')} | {ratio('group', 'sequential')} | "
          f"{ratio('trace', 'group')} | {ratio('hinted', 'group')} |")
PY
