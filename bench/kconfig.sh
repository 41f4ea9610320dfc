#!/usr/bin/env bash
# Benchmark of the kconfig engine against the kernel's own tool, measured in the same run:
#   1. load + resolve of x86_64 defconfig: `tinyx kconfig resolve` (cold process, $(shell) cache warm
#      and cold) vs `make ARCH=x86_64 olddefconfig` on the same input;
#   2. re-resolution after turning one option off, averaged over 200 random options
#      (`tinyx kconfig bench`, checked against full re-resolution with --verify). The max includes the
#      first trial, which also builds the base state the later trials start from (~50 ms, once).
# Usage: bench/kconfig.sh [TINYX] [KERNEL_SRC]
set -eu -o pipefail
TINYX=${1:-${TINYX:-$(dirname "$0")/../build/tinyx}}
SRC=${2:-$HOME/.cache/tinyx/kernel-src/linux-source-6.1}
[ -x "$TINYX" ] || { echo "no tinyx binary at $TINYX" >&2; exit 2; }
[ -f "$SRC/Makefile" ] || { echo "no kernel tree at $SRC" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tinyx-bench-kconfig-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

make -s -C "$SRC" O="$WORK/gen" ARCH=x86_64 defconfig >/dev/null 2>&1
cp "$WORK/gen/.config" "$WORK/input.config"

runs=3
make_total=0; tinyx_total=0
for i in $(seq $runs); do
    rm -rf "$WORK/k"; mkdir -p "$WORK/k"; cp "$WORK/input.config" "$WORK/k/.config"
    t0=$(now); make -s -C "$SRC" O="$WORK/k" ARCH=x86_64 olddefconfig >/dev/null 2>&1; t1=$(now)
    make_total=$(echo "$make_total + $(elapsed $t0 $t1)" | bc -l)
    t0=$(now); "$TINYX" kconfig resolve --kernel-src "$SRC" --in "$WORK/input.config" --out "$WORK/tinyx.config"; t1=$(now)
    tinyx_total=$(echo "$tinyx_total + $(elapsed $t0 $t1)" | bc -l)
    cmp -s "$WORK/k/.config" "$WORK/tinyx.config" || { echo "outputs differ!" >&2; exit 1; }
done
make_avg=$(echo "$make_total / $runs" | bc -l)
tinyx_avg=$(echo "$tinyx_total / $runs" | bc -l)

# Cold $(shell) cache: every compiler probe runs again (once per toolchain in real use).
t0=$(now); TINYX_CACHE_DIR="$WORK/empty-cache" "$TINYX" kconfig resolve --kernel-src "$SRC" --in "$WORK/input.config" --out "$WORK/cold.config"; t1=$(now)
cold=$(elapsed $t0 $t1)

"$TINYX" kconfig bench --kernel-src "$SRC" --config "$WORK/input.config" --count 200 --seed 7 --verify >"$WORK/bench.txt"
avg_ms=$(awk '$1 == "reresolve_avg_ms" { print $2 }' "$WORK/bench.txt")
max_ms=$(awk '$1 == "reresolve_max_ms" { print $2 }' "$WORK/bench.txt")
mismatches=$(awk '$1 == "verify_mismatches" { print $2 }' "$WORK/bench.txt")

printf 'make olddefconfig (defconfig input)         %6.3f s  (avg of %d)\n' "$make_avg" "$runs"
printf 'tinyx kconfig resolve, shell cache warm      %6.3f s  ratio %.2fx faster (target <= 0.5 s)\n' "$tinyx_avg" "$(echo "$make_avg / $tinyx_avg" | bc -l)"
printf 'tinyx kconfig resolve, shell cache cold      %6.3f s  ratio %.2fx\n' "$cold" "$(echo "$make_avg / $cold" | bc -l)"
printf 're-resolve after one option off (200 random) %6.2f ms avg, %.1f ms max (target <= 10 ms); vs make: %.0fx faster\n' \
    "$avg_ms" "$max_ms" "$(echo "$make_avg * 1000 / $avg_ms" | bc -l)"
printf 'incremental vs full re-resolution mismatches %s\n' "$mismatches"
