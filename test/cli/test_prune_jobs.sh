#!/usr/bin/env bash
# --jobs N (issue 24): trials run side by side, the result is --jobs 1's. On the check-config
# oracle ("pass iff a hidden set of options is on"), several hidden sets, each strategy: the
# same final config, the same trials in the same order (ids and config hashes), and a report
# that says how many ran in parallel. (All of defconfig's ~1,070 candidates, several hidden sets:
# bench/stage-scale-out.sh.)
source "$(dirname "$0")/../common.sh"
SRC=$(kernel_tree)
require_program python3
START="$SRC/arch/x86/configs/x86_64_defconfig"
hidden_set_oracle "$WORK/oracle.sh"
printf '%s\n' NET INET IPV6 NETDEVICES NET_CORE VIRTIO_NET E1000 NET_VENDOR_INTEL ETHERNET PCI HID HID_GENERIC \
    USB_HID INPUT_EVDEV SOUND SND SND_HDA_INTEL USB_SUPPORT USB EXT4_FS NFS_FS INPUT_JOYSTICK NET_9P VIRTIO_BLK \
    SERIAL_8250 PCCARD CPU_FREQ HIBERNATION NETFILTER NET_SCHED >"$WORK/pool"

same_run() { # DIR_JOBS1 DIR_JOBSN N
    cmp -s "$1/config" "$2/config" || fail "--jobs $3 reached another config than --jobs 1 ($1, $2)"
    python3 - "$1/report.json" "$2/report.json" "$3" <<'PY'
import json, sys
one, many, jobs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
key = lambda r: [(t["id"], t["config_hash"], t["verdict"], t["cached"]) for t in r["trials"]]
assert key(one) == key(many), "the trials differ"
for f in ["required", "removed", "trials", "cache_hits", "inferred"]:
    assert one["pruning"][f] == many["pruning"][f], f
p = many["pruning"]["parallel"]
assert p["jobs"] == jobs and p["most_at_once"] >= 2 and p["started_ahead"] > 0 and 0 < p["used_ahead"] <= p["started_ahead"], p
assert one["pruning"]["parallel"] == {"jobs": 1, "started_ahead": 0, "used_ahead": 0, "most_at_once": 1}, one["pruning"]["parallel"]
PY
}

run_jobs() { # OUT STRATEGY JOBS
    expect_status 0 "$TINYX" -q prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
        --strategy "$2" --check-config "$WORK/oracle.sh" --jobs "$3" --out "$1"
}
set_number=0
for hidden in "VIRTIO_NET IPV6 E1000 HID_GENERIC" "EXT4_FS SND_HDA_INTEL" "NET_9P USB_HID SERIAL_8250 CPU_FREQ NET_SCHED"; do
    set_number=$((set_number + 1))
    export HIDDEN="$hidden"
    run_jobs "$WORK/$set_number-1" group 1
    run_jobs "$WORK/$set_number-2" group 2
    same_run "$WORK/$set_number-1" "$WORK/$set_number-2" 2
done
# The first set again: three slots, and the sequential strategy.
export HIDDEN="VIRTIO_NET IPV6 E1000 HID_GENERIC"
run_jobs "$WORK/1-3" group 3
same_run "$WORK/1-1" "$WORK/1-3" 3
run_jobs "$WORK/seq-1" sequential 1
run_jobs "$WORK/seq-2" sequential 2
same_run "$WORK/seq-1" "$WORK/seq-2" 2

# An interrupted --jobs run resumes to the same result (its journal holds the trials it used, in order).
export HIDDEN="VIRTIO_NET IPV6 E1000 HID_GENERIC"
"$TINYX" -q prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --check-config "$WORK/oracle.sh" \
    --jobs 2 --out "$WORK/resumed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$WORK/resumed/journal.jsonl" 2>/dev/null || echo 0)" -ge 6 ] && break; sleep 0.05; done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
expect_status 0 "$TINYX" -q prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --check-config "$WORK/oracle.sh" \
    --jobs 2 --resume --out "$WORK/resumed"
cmp -s "$WORK/1-1/config" "$WORK/resumed/config" || fail "a resumed --jobs 2 run ended elsewhere"

expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --check-config true --jobs 0 --out "$WORK/x"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "jobs" "$WORK/err"
echo "prune --jobs: same trials and configs as --jobs 1"
