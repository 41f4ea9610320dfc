#!/usr/bin/env bash
# Stage "oracle": the pruning strategies' cost without kernel builds. bench/prune-oracle.sh on
# linux-source-6.1's x86_64 defconfig (~1,070 candidates: what it enables beyond allnoconfig)
# with a check-config oracle that passes iff a hidden set of k options is on, for each k of
# ORACLE_K and ORACLE_SETS hidden sets each: test runs of `sequential` (one option at a time,
# the baseline, measured in the same run) and `group`, against the information-theoretic
# bound ceil(log2 C(N,k)). CPU-bound: minutes per set on 2 cores.
#
#   bench/stage-oracle.sh         Env: ORACLE_K (default "5 10 20 40"), ORACLE_SETS (default 1)
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
ORACLE_K=${ORACLE_K:-5 10 20 40}
ORACLE_SETS=${ORACLE_SETS:-1}
SRC=${TINYX_KERNEL_SRC:-$HOME/.cache/tinyx/kernel-src/linux-source-6.1}
if [ ! -f "$SRC/Makefile" ]; then
    # prune-oracle.sh reads the unpacked tree; unpack Debian's linux-source tarball once.
    tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
    [ -n "$tarball" ] || die "no kernel tree at $SRC and no /usr/src/linux-source-*.tar.xz (apt-get install linux-source-6.1)"
    log "oracle: unpacking $tarball into $(dirname "$SRC")"
    mkdir -p "$(dirname "$SRC")"; tar -xJf "$tarball" -C "$(dirname "$SRC")"
fi
export TINYX_KERNEL_SRC=$SRC
mkdir -p "$OUT/oracle"
rows=$OUT/oracle/rows.jsonl
: >"$rows"
for k in $ORACLE_K; do
    log "oracle: k=$k, $ORACLE_SETS hidden set(s): sequential and group"
    ORACLE_JSON=$rows "$BENCH/prune-oracle.sh" "$TINYX" "$ORACLE_SETS" "$k" | tee "$OUT/oracle/k$k.txt"
done
python3 - "$rows" "$ORACLE_SETS" "$ORACLE_K" >"$OUT/json/oracle.json" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
json.dump({"sets_per_k": int(sys.argv[2]), "k": [int(k) for k in sys.argv[3].split()],
           "kernel": "linux-source-6.1 x86_64_defconfig", "rows": rows}, sys.stdout, indent=1)
PY
log "oracle: wrote $OUT/json/oracle.json"
