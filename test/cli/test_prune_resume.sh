#!/usr/bin/env bash
# kill -9 in the middle of a check-config prune, then --resume: the same final
# config as an uninterrupted run, and the finished trials are not run again.
source "$(dirname "$0")/../common.sh"

SRC=$(kernel_tree)
START="$SRC/arch/x86/configs/x86_64_defconfig"

# The oracle counts its runs, so the test can tell replayed trials from new ones.
cat >"$WORK/oracle.sh" <<'ORACLE'
#!/bin/sh
echo run >>"$COUNT"
sleep 0.2
for s in VIRTIO_NET IPV6 EXT4_FS; do grep -q "^CONFIG_$s=[ym]\$" "$1" || exit 1; done
ORACLE
chmod +x "$WORK/oracle.sh"
printf '%s\n' NET INET IPV6 NETDEVICES NET_CORE VIRTIO_NET E1000 ETHERNET PCI HID USB_HID SOUND SND EXT4_FS NFS_FS \
    INPUT_JOYSTICK NET_9P VIRTIO_BLK CPU_FREQ HIBERNATION NETFILTER NET_SCHED USB USB_SUPPORT >"$WORK/pool"
args=(prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --check-config "$WORK/oracle.sh")

COUNT="$WORK/count-full" expect_status 0 "$TINYX" "${args[@]}" --out "$WORK/full"
full_runs=$(wc -l <"$WORK/count-full")

# Start again and kill -9 once a few trials are in the journal.
COUNT="$WORK/count-killed" "$TINYX" "${args[@]}" --out "$WORK/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ -f "$WORK/killed/journal.jsonl" ] && [ "$(wc -l <"$WORK/killed/journal.jsonl")" -ge 6 ] && break
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ ! -e "$WORK/killed/report.json" ] || fail "a killed run left a report.json"
journaled=$(($(wc -l <"$WORK/killed/journal.jsonl") - 1))
[ "$journaled" -ge 5 ] || fail "only $journaled trials were journaled before the kill"
[ "$journaled" -lt "$full_runs" ] || fail "the run finished before it could be killed ($journaled of $full_runs)"

COUNT="$WORK/count-resumed" expect_status 0 "$TINYX" "${args[@]}" --out "$WORK/killed" --resume
cmp "$WORK/full/config" "$WORK/killed/config" || fail "the resumed run reached a different config"
resumed_runs=$(wc -l <"$WORK/count-resumed")
# At most the trial in flight at the kill is repeated.
[ "$resumed_runs" -le $((full_runs - journaled + 1)) ] || fail "resume ran $resumed_runs trials; expected at most $((full_runs - journaled + 1))"
grep -q '"replayed": true' "$WORK/killed/report.json" || fail "the report shows no replayed trials"

# A journal of a different run is refused.
expect_status 2 "$TINYX" "${args[@]}" --strategy sequential --out "$WORK/killed" --resume
expect_grep "different inputs" "$WORK/err"
echo ok
