#!/usr/bin/env bash
# Issue 24 at the smallest size that proves it (the full-size figures are bench/stage-scale-out.sh's):
# the busybox-httpd profile's kernel built
#   - here, as every test builds it (the reference);
#   - by a fresh runner (empty TINYX_CACHE_DIR and CCACHE_DIR) through two real distccd workers on
#     127.0.0.2 and 127.0.0.3, one of them killed mid-build, filling a real redis-server's ccache;
#   - by another fresh runner with the same paths, from the remote cache only;
#   - by a third fresh runner with the shared image store: no build at all.
# Every kernel is byte-identical to the reference. A worker that cannot be reached while distcc
# may not fall back is a machine fault (exit 75), never a failed config.
# (~9 min on 2 cores: the build through distcc is a cold build, its workers on the same CPUs.)
source "$(dirname "$0")/../common.sh"
require_program distcc distccd redis-server redis-cli python3 setsid
SRC=$(kernel_tree)
PROFILE="$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
report_field() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'r': r}))" "$@"; }

# Services run in their own process groups and die with the test.
services=()
stop_services() { local p; for p in "${services[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done; }
trap 'status=$?; stop_services; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "FAILED at line $LINENO (status $status); evidence kept in $WORK" >&2; fi' EXIT

mkdir -p "$WORK/logs" && chmod 777 "$WORK" "$WORK/logs" # distccd drops root for user distccd
DPORT=$(free_port)
for worker in 2 3; do
    setsid distccd --no-detach --daemon --listen "127.0.0.$worker" --port "$DPORT" --allow 127.0.0.0/8 --jobs 2 \
        --log-file "$WORK/logs/worker$worker.log" --log-level info &
    services+=($!)
done
RPORT=$(free_port)
setsid redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --maxmemory 512mb \
    --maxmemory-policy allkeys-lru >"$WORK/logs/redis.log" 2>&1 &
services+=($!)
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$RPORT" ping >/dev/null || fail "redis-server did not start on 127.0.0.1:$RPORT"
HOSTS="127.0.0.2:$DPORT/2 127.0.0.3:$DPORT/2"
CACHE_URL="redis://127.0.0.1:$RPORT"

# The reference: the profile's kernel as every test gets it (from the suite's image store when an
# earlier test built it, else built here), and its image passing the profile's test.
expect_status 0 "$TINYX" -q build --profile "$PROFILE" --kernel-src "$SRC" --verify 1 --accel tcg --json --out "$WORK/local"
cp "$WORK/out" "$WORK/local.json"

# A fresh runner: nothing cached; the same paths each time (a CI fleet's runners share an image), and
# the kernel tree at the same place too (here the suite's, given with --kernel-src).
RUNNER="$WORK/runner"
fresh_runner() { rm -rf "$RUNNER"; mkdir -p "$RUNNER"; }
as_runner() { TINYX_CACHE_DIR="$RUNNER/cache" CCACHE_DIR="$RUNNER/ccache" "$@"; }

# 1. Through the workers; worker 3 is killed once it has compiled a few files.
fresh_runner
as_runner "$TINYX" -q build --profile "$PROFILE" --kernel-src "$SRC" --kernel-only --json --distcc-hosts "$HOSTS" --cache-url "$CACHE_URL" \
    --image-store "$WORK/shared-store" --out "$WORK/distcc" >"$WORK/distcc.json" 2>"$WORK/distcc.err" &
build=$!
killed=no
while kill -0 "$build" 2>/dev/null; do
    if [ $killed = no ] && [ "$(grep -c COMPILE_OK "$WORK/logs/worker3.log" 2>/dev/null || true)" -ge 5 ]; then
        kill -9 -- "-${services[1]}"
        killed=yes
    fi
    sleep 0.5
done
wait "$build" || { cat "$WORK/distcc.err" >&2; fail "the build through distcc failed (worker 3 killed: $killed)"; }
[ $killed = yes ] || fail "worker 3 never compiled 5 files: the build did not use it"
cmp "$WORK/distcc/bzImage" "$WORK/local/bzImage" || fail "the kernel built through distcc differs from the local build"
w2=$(grep -c COMPILE_OK "$WORK/logs/worker2.log" || true)
[ "$w2" -ge 20 ] || fail "worker 2 compiled only $w2 files"
# After the kill, distcc compiled worker 3's jobs here (its fallback) and the build went on.
grep -q "failed to distribute\|Connection refused\|failed to connect" "$RUNNER"/cache/kernel-build/*/tinyx-build.log ||
    fail "no sign of distcc's local fallback in the build log"
python3 - "$WORK/distcc.json" "$HOSTS" <<'PY'
import json, sys
build = json.load(open(sys.argv[1]))["kernel"]["build"]
assert build["from_store"] is False and build["distcc_hosts"] == sys.argv[2], build
c = build["compiles"]
assert c["cacheable"] > 300 and c["misses"] >= 0.9 * c["cacheable"] and c["remote_hits"] == 0, c
PY
cold=$(report_field "$WORK/distcc.json" 'r["kernel"]["build"]["seconds"]')

# 2. Another fresh runner, same paths: its compiles come from the remote cache.
fresh_runner
expect_status 0 as_runner "$TINYX" -q build --profile "$PROFILE" --kernel-src "$SRC" --kernel-only --json --cache-url "$CACHE_URL" --out "$WORK/remote"
cp "$WORK/out" "$WORK/remote.json"
cmp "$WORK/remote/bzImage" "$WORK/local/bzImage" || fail "the kernel built from the remote cache differs from the local build"
python3 - "$WORK/remote.json" "$cold" <<'PY'
import json, sys
build = json.load(open(sys.argv[1]))["kernel"]["build"]
c, cold = build["compiles"], float(sys.argv[2])
share = c["remote_hits"] / c["cacheable"]
print(f"remote cache: {c['remote_hits']}/{c['cacheable']} cacheable compiles ({share:.1%}), {build['seconds']:.0f} s vs {cold:.0f} s cold ({build['seconds'] / cold:.2f}x)")
assert share >= 0.9, c
assert build["seconds"] <= 0.4 * cold, (build["seconds"], cold)
PY

# 3. distcc told not to fall back, its only worker unreachable: a machine fault, nothing decided. In
# runner 2's build dir with one object removed (one compile), and an empty local ccache: it misses.
rm "$RUNNER"/cache/kernel-build/*-x86_64/init/main.o
expect_status 75 env DISTCC_FALLBACK=0 TINYX_CACHE_DIR="$RUNNER/cache" CCACHE_DIR="$RUNNER/empty-ccache" \
    "$TINYX" build --profile "$PROFILE" --kernel-src "$SRC" --kernel-only --distcc-hosts "127.0.0.2:$(free_port)/2" --out "$WORK/unreachable"
expect_grep "distcc could not reach a worker" "$WORK/err"

# 4. A third fresh runner with the shared image store: the kernel is there, nothing is built.
fresh_runner
expect_status 0 as_runner "$TINYX" -q build --profile "$PROFILE" --kernel-src "$SRC" --image-store "$WORK/shared-store" --verify 1 --accel tcg \
    --json --out "$WORK/stored"
cp "$WORK/out" "$WORK/stored.json"
cmp "$WORK/stored/bzImage" "$WORK/local/bzImage" || fail "the stored kernel differs from the local build"
[ "$(report_field "$WORK/stored.json" 'r["kernel"]["build"]["from_store"]')" = True ] || fail "the shared store's kernel was not used"
[ "$(report_field "$WORK/stored.json" 'r["kernel"]["build"]["compiles"]')" = None ] || fail "a compile ran although the kernel was stored"
[ "$(report_field "$WORK/stored.json" 'r["verdict"]')" = pass ] || fail "the image with the stored kernel failed its test"
[ ! -e "$RUNNER"/cache/kernel-build/*/tinyx-build.log ] || fail "make ran in the third runner"
echo "scale-out: distcc (a worker killed), remote cache, shared image store: byte-identical kernels"
