#!/usr/bin/env bash
# The benchmark suite in one command (issue 9): the seed survey's measures (image size, response
# time over 10,000 curl requests) for tinyx against a Debian VM and the bare app, plus tinyx's own
# costs (boot with its kernel vs Debian's, smallest memory, pruning cost). Every comparison is a
# ratio to a baseline measured in the same run. Each stage is a script of its own
# (bench/stage-NAME.sh) that writes $OUT/json/NAME.json; the report stage turns those into
# results.md, results.json and PNG plots.
#
#   bench/run.sh [--stages LIST] [--out DIR] [--skip-slow] [--with-real-pruning] [--no-deps]
#
#   --stages LIST         comma-separated, in this order by default:
#                         deps,build,images,sizes,latency,boot,platforms,containers,arm64,oracle,pruning,scale-out,file-trace,report
#                         (platforms: qemu-pc vs qemu-microvm builds of the same app; containers: the
#                         container image of go-hello and nginx beside the tinyx VM built from it; arm64:
#                         the shipped arm64 nginx profile's size and boot, cross-built and emulated; scale-out: fresh
#                         runners against a shared ccache and image store, --jobs 1 vs 2, the scale-out model; file-trace:
#                         file pruning with one traced boot vs the untraced search, Python, Node.js, PostgreSQL)
#   --out DIR             output directory (default out/bench; or $OUT)
#   --skip-slow           build no kernels: leave out the build, platforms, arm64 and scale-out stages and the pruning stage's
#                         real runs (the leaf pool, ~1 h; the stage reports earlier results)
#   --with-real-pruning   also prune the 74-option server pool one option at a time and with
#                         each other strategy (~15 h on 2 cores; resumable with RESUME=1);
#                         without it the stage reports an earlier run's results or "skipped"
#   --no-deps             do not run bench/setup-deps.sh (apt-get install)
# Env (see bench/lib.sh): ACCEL, APPS, KERNEL, BUILD_<app>, MEMORY, REQUESTS, BOOTS, ORACLE_K,
# ORACLE_SETS, STOCK_KERNEL, SETTLE, WARMUP, RESUME. Example, a quick development run:
#   REQUESTS=200 BOOTS=2 ORACLE_K=5 ACCEL=tcg bench/run.sh --skip-slow --out /tmp/bench
set -eu -o pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
stages=deps,build,images,sizes,latency,boot,platforms,containers,arm64,oracle,pruning,scale-out,file-trace,report
skip_slow=0
while [ $# -gt 0 ]; do
    case $1 in
        --stages) stages=$2; shift 2 ;;
        --out) export OUT=$2; shift 2 ;;
        --skip-slow) skip_slow=1; shift ;;
        --with-real-pruning) export RUN_REAL_PRUNING=1; shift ;;
        --no-deps) stages=${stages//deps/}; shift ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ $skip_slow = 1 ]; then
    stages=${stages//build/}
    stages=${stages//platforms/}
    stages=${stages//arm64/}
    stages=${stages//scale-out/}
    stages=${stages//file-trace/}
    export SKIP_SLOW=1
    [ "${RUN_REAL_PRUNING:-0}" = 1 ] && { echo "bench/run.sh: --skip-slow and --with-real-pruning contradict" >&2; exit 2; }
fi
# Dependencies first: lib.sh needs tinyx, the stages need the tools.
case ",$stages," in *,deps,*) "$BENCH/setup-deps.sh" ;; esac
. "$BENCH/lib.sh"

start=$(date +%s)
python3 "$BENCH/machine.py" "$TINYX" "$ACCEL" >"$OUT/json/machine.json"
IFS=, read -ra list <<<"$stages"
for stage in "${list[@]}"; do
    [ -n "$stage" ] && [ "$stage" != deps ] || continue
    log "=== stage $stage ==="
    t0=$(date +%s)
    case $stage in
        report) "$PYTHON" "$BENCH/report.py" "$OUT" ;;
        build|images|sizes|latency|boot|platforms|containers|arm64|oracle|pruning|scale-out|file-trace) "$BENCH/stage-$stage.sh" ;;
        *) die "unknown stage $stage" ;;
    esac
    log "=== stage $stage: $(( $(date +%s) - t0 )) s ==="
    echo "{\"$stage\": $(( $(date +%s) - t0 ))}" >>"$OUT/json/stage-seconds.jsonl"
    # Which commit made this stage's figures (the report labels the ones from another commit).
    [ "$stage" = report ] || "$PYTHON" - "$OUT/json/provenance.json" "$stage" "$COMMIT" <<'PY'
import datetime, json, os, sys
path, stage, commit = sys.argv[1:]
prov = json.load(open(path)) if os.path.exists(path) else {}
prov[stage] = {"commit": commit, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
json.dump(prov, open(path, "w"), indent=1)
PY
done
log "done in $(( $(date +%s) - start )) s: $OUT/results.md"
