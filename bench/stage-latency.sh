#!/usr/bin/env bash
# Stage "latency": the survey's Table 3 measure. REQUESTS sequential curl requests (one curl
# process each, after WARMUP uncounted ones) to the app's page, for the app
#   - in its tinyx VM (tinyx kernel + initramfs), booted by bench/vm.py and, as the by-hand check, by
#     `tinyx boot --host-test` (the same client and count; the two must agree),
#   - in its Debian VM (stock kernel + initrd + qcow2 disk, systemd): same accelerator, same
#     memory, same QEMU arguments and network (bench/vm.py boots both),
#   - as a host process (the same binary and command line, on the host's loopback),
# and reports mean, min, max, median and p99 in ms, with every figure's ratio to the Debian VM's
# measured in this run. HTTP apps only (apps.json http_path, or a profile whose test uses curl).
#
#   bench/stage-latency.sh [APP...]     (default: the HTTP apps of $APPS)
# Env: REQUESTS (default 10000), WARMUP (10), SETTLE (10 s), MEMORY (256), ACCEL, OUT.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
REQUESTS=${REQUESTS:-10000}
# Seconds between the app answering and the first request: the Debian VM is still starting
# services then (gettys, timers); the figures are the app's steady state, on every target.
SETTLE=${SETTLE:-10}
export WARMUP=${WARMUP:-10}
[ $# -gt 0 ] && APPS="$*"
"$BENCH/stage-images.sh" $APPS
mkdir -p "$OUT/latency"

measured=()
for name in $APPS; do
    load_app "$name"
    if [ -z "$APP_HTTP_PATH" ]; then log "latency: $name is not an HTTP server, skipped"; continue; fi
    [ -f "$APP_KERNEL" ] || die "$name: no kernel (set KERNEL, or run the build stage)"
    accel=$(resolve_accel "$APP_KERNEL" "$APP_INITRD")
    page='http://$TINYX_HOST:$TINYX_PORT_'$APP_PORT$APP_HTTP_PATH
    measure="sleep $SETTLE; \"$BENCH/curl-times.sh\" \"$page\" $REQUESTS"
    common=(--forward "$APP_PORT" --probe "$APP_HOST_TEST" --memory "$MEMORY" --accel "$accel" --timeout 36000)

    # Each target's 1-minute load average before it is measured: another job on the machine
    # (a kernel build, another stage) lengthens every response of an emulated guest.
    cut -d' ' -f1 /proc/loadavg >"$OUT/latency/$name-tinyx.load"
    log "latency: $name in its tinyx VM ($REQUESTS requests, $accel)"
    python3 "$BENCH/vm.py" "${common[@]}" --kernel "$APP_KERNEL" --initrd "$APP_INITRD" --append "$APP_APPEND" \
        --run "$measure '$OUT/latency/$name-tinyx.txt'" --log "$OUT/logs/latency-$name-tinyx.console" \
        >"$OUT/latency/$name-tinyx.json" || die "$name: tinyx VM run failed, see $OUT/latency/$name-tinyx.json"

    # The by-hand check: the same image, client and count through `tinyx boot --host-test` (the
    # harness's own QEMU arguments, marker channel and test runner). The bench's figure must agree.
    cut -d' ' -f1 /proc/loadavg >"$OUT/latency/$name-tinyx-boot.load"
    log "latency: $name in its tinyx VM through tinyx boot --host-test ($REQUESTS requests)"
    "$TINYX" boot --kernel "$APP_KERNEL" --initrd "$APP_INITRD" --append "$APP_APPEND" --accel "$accel" --memory "$MEMORY" \
        --forward "$APP_PORT" --timeout 36000 --host-test "$measure '$OUT/latency/$name-tinyx-boot.txt'" --json \
        >"$OUT/latency/$name-tinyx-boot.json" 2>"$OUT/logs/latency-$name-tinyx-boot.log" ||
        die "$name: tinyx boot --host-test failed, see $OUT/logs/latency-$name-tinyx-boot.log"

    cut -d' ' -f1 /proc/loadavg >"$OUT/latency/$name-debian.load"
    log "latency: $name in its Debian VM ($REQUESTS requests, $accel)"
    d=$APP_DIR/debian
    python3 "$BENCH/vm.py" "${common[@]}" --kernel "$d/vmlinuz" --initrd "$d/initrd.img" --disk "$d/disk.qcow2" \
        --append "net.ifnames=0 $APP_APPEND" --run "$measure '$OUT/latency/$name-debian.txt'" \
        --log "$OUT/logs/latency-$name-debian.console" \
        >"$OUT/latency/$name-debian.json" || die "$name: Debian VM run failed, see $OUT/latency/$name-debian.json"

    # Host process: the app's own port on the host's loopback, so it must be free.
    if (exec 3<>"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null; then
        log "latency: port $APP_PORT is busy on the host: no host-process figure for $name"
        rm -f "$OUT/latency/$name-host.txt"
    else
        cut -d' ' -f1 /proc/loadavg >"$OUT/latency/$name-host.load"
        log "latency: $name as a host process ($REQUESTS requests)"
        setsid /bin/sh -c "exec $APP_RUN" >"$OUT/logs/latency-$name-host.log" 2>&1 &
        app_pid=$!
        export TINYX_HOST=127.0.0.1 "TINYX_PORT_$APP_PORT=$APP_PORT"
        for _ in $(seq 100); do /bin/sh -c "$APP_HOST_TEST" >/dev/null 2>&1 && break; sleep 0.1; done
        status=0
        /bin/sh -c "$measure '$OUT/latency/$name-host.txt'" || status=$?
        kill -TERM -- "-$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
        [ $status = 0 ] || die "$name: host-process measurement failed"
    fi
    measured+=("$name")
done

python3 - "$OUT" "$REQUESTS" "$WARMUP" "$MEMORY" "${measured[@]}" >"$OUT/json/latency.json" <<'PY'
import json, os, statistics, sys
out, requests, warmup, memory, apps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]

def stats(path):
    if not os.path.exists(path):
        return None
    rows = [line.split() for line in open(path)]
    ok = sorted(float(t) * 1000 for code, t in rows if code.startswith("2"))
    if not ok:
        return {"requests": len(rows), "failed": len(rows)}
    p99 = ok[min(len(ok) - 1, max(0, -(-99 * len(ok) // 100) - 1))]  # nearest-rank percentile
    return {"requests": len(rows), "failed": len(rows) - len(ok), "mean_ms": statistics.fmean(ok),
            "min_ms": ok[0], "max_ms": ok[-1], "median_ms": statistics.median(ok), "p99_ms": p99}

result = {"requests": requests, "warmup": warmup, "memory_mb": memory, "apps": {}}
for app in apps:
    entry = {t: stats(f"{out}/latency/{app}-{t}.txt") for t in ("tinyx", "tinyx-boot", "debian", "host")}
    for t in ("tinyx", "tinyx-boot", "debian", "host"):
        load = f"{out}/latency/{app}-{t}.load"
        if entry[t] and os.path.exists(load):
            entry[t]["load_before"] = float(open(load).read())
    vm = json.load(open(f"{out}/latency/{app}-tinyx.json"))
    result["accel"] = vm["accel"]
    base = entry["debian"]
    entry["ratio_vs_debian"] = {
        t: {k: entry[t][k] / base[k] for k in ("mean_ms", "min_ms", "max_ms", "median_ms", "p99_ms")}
        for t in ("tinyx", "host") if entry[t] and "mean_ms" in entry[t] and base and "mean_ms" in base}
    # The bench's tinyx row against `tinyx boot --host-test` over the same image (issue 26: within 10 %).
    if entry["tinyx"] and entry["tinyx-boot"] and "median_ms" in entry["tinyx-boot"]:
        entry["tinyx_vs_tinyx_boot"] = {k: entry["tinyx"][k] / entry["tinyx-boot"][k] for k in ("mean_ms", "median_ms", "p99_ms")}
    result["apps"][app] = entry
json.dump(result, sys.stdout, indent=1)
PY
log "latency: wrote $OUT/json/latency.json"
