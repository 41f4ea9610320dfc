#!/usr/bin/env bash
# tinyx prune with a check-config oracle on the real 6.1 tree: both strategies end
# with a passing, 1-minimal config (re-pruning the result removes nothing), the
# report explains every kept option, bad input exits 2, a failing start exits 1.
source "$(dirname "$0")/../common.sh"

SRC=$(kernel_tree)
require_program python3
START="$SRC/arch/x86/configs/x86_64_defconfig"

hidden_set_oracle "$WORK/oracle.sh"
export HIDDEN="VIRTIO_NET IPV6 E1000 HID_GENERIC"
# A pool mixing needed options, their parents, and unrelated ones.
cat >"$WORK/pool" <<'POOL'
CONFIG_NET
INET
IPV6
NETDEVICES
NET_CORE
VIRTIO_NET
E1000
NET_VENDOR_INTEL
ETHERNET
PCI
HID
HID_GENERIC
USB_HID
INPUT_EVDEV
SOUND
SND
SND_HDA_INTEL
USB_SUPPORT
USB
EXT4_FS
NFS_FS
INPUT_JOYSTICK
NET_9P
VIRTIO_BLK
SERIAL_8250
PCCARD
CPU_FREQ
HIBERNATION
NETFILTER
NET_SCHED
POOL

expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$WORK/missing.config" --check-config "$WORK/oracle.sh" --out "$WORK/x"
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "missing.config" "$WORK/err"
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --strategy bogus --check-config true --out "$WORK/x"
expect_first_line "tinyx: error:" "$WORK/err"
echo "NOT A SYMBOL!" >"$WORK/badpool"
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/badpool" --check-config true --out "$WORK/x"
expect_grep "badpool:1" "$WORK/err"

for strategy in sequential group; do
    out="$WORK/$strategy"
    expect_status 0 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
        --strategy "$strategy" --check-config "$WORK/oracle.sh" --out "$out" --json
    for f in config defconfig report.json summary.md journal.jsonl; do [ -s "$out/$f" ] || fail "$strategy: no $f"; done
    "$WORK/oracle.sh" "$out/config" || fail "$strategy: the final config fails the oracle"
    python3 - "$out/report.json" "$WORK/out" "$strategy" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert json.load(open(sys.argv[2])) == report, "--json output differs from report.json"
p = report["pruning"]
assert report["verdict"] == "pass", report["verdict"]
assert p["strategy"] == sys.argv[3]
assert p["candidates"] == 30, p["candidates"]
for s in ["VIRTIO_NET", "IPV6", "E1000", "HID_GENERIC", "NET", "INET", "PCI", "HID"]:
    assert s in p["required"], (s, p["required"])
for s in ["SOUND", "SND", "EXT4_FS", "NFS_FS", "NETFILTER"]:
    assert s in p["removed"], (s, p["removed"])
# Every needed option points at a failing trial of the report.
trials = {t["id"]: t for t in report["trials"]}
for k in p["kept"]:
    if k["reason"] == "needed":
        t = trials[k["trial"]]
        assert t["verdict"] == "fail" and k["evidence"], k
        assert k["symbol"] in t["removed"], (k, t)
ids = [t["id"] for t in report["trials"]]
assert ids == list(range(1, len(ids) + 1))
assert p["trials"] == sum(1 for t in report["trials"] if not t["cached"])
hashes = [t["config_hash"] for t in report["trials"] if not t["cached"]]
assert len(hashes) == len(set(hashes)), "a resolved config was tested twice"
PY
    # 1-minimal: pruning the result again, with what it kept as candidates, removes nothing.
    python3 -c "import json; print('\n'.join(json.load(open('$out/report.json'))['pruning']['required']))" >"$out/kept"
    expect_status 0 "$TINYX" prune --kernel-src "$SRC" --config "$out/config" --candidates "$out/kept" \
        --strategy sequential --check-config "$WORK/oracle.sh" --out "$out/again"
    python3 -c "import json,sys; p=json.load(open('$out/again/report.json'))['pruning']; sys.exit(1 if p['removed'] else 0)" \
        || fail "$strategy: re-pruning the result removed options: it was not 1-minimal"
    cmp -s "$out/config" "$out/again/config" || fail "$strategy: re-pruning changed the config"
done
cmp -s "$WORK/sequential/config" "$WORK/group/config" || echo "note: the strategies reached different 1-minimal configs"

# --hint-profile: an earlier pruning's profile as a guess. The guess here is a "similar app"
# that needed SOUND but not E1000: wrong twice, yet the result is the group strategy's own,
# in fewer oracle runs; the report names the profile.
python3 - "$WORK/group/report.json" "$WORK/similar.json" <<'PY'
import json, sys
required = json.load(open(sys.argv[1]))["pruning"]["required"]
kept = [s for s in required if s != "E1000"] + ["SOUND"]
json.dump({"schema": "tinyx-profile/1", "kind": "app", "name": "similar", "app": {"app": "similar-server"},
           "options": [{"symbol": s, "value": "y"} for s in kept]}, open(sys.argv[2], "w"))
PY
expect_status 0 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
    --hint-profile "$WORK/similar.json" --check-config "$WORK/oracle.sh" --out "$WORK/hinted"
cmp -s "$WORK/group/config" "$WORK/hinted/config" || fail "--hint-profile changed the result"
python3 - "$WORK/group/report.json" "$WORK/hinted/report.json" "$WORK/similar.json" <<'PY'
import json, sys
plain, hinted = (json.load(open(f))["pruning"] for f in sys.argv[1:3])
assert hinted["hint_profile"] == sys.argv[3], hinted.get("hint_profile")
assert hinted["trials"] < plain["trials"], (hinted["trials"], plain["trials"])
print(f"hinted: {hinted['trials']} oracle runs, group: {plain['trials']}")
PY
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --strategy sequential \
    --hint-profile "$WORK/similar.json" --check-config "$WORK/oracle.sh" --out "$WORK/x"
expect_grep "strategy group" "$WORK/err"
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
    --hint-profile "$TINYX_SOURCE_DIR/profiles/pools/server.json" --check-config "$WORK/oracle.sh" --out "$WORK/x"
expect_grep "kind is 'pool'" "$WORK/err"

# --coverage: trace from a saved coverage.json, judged by the oracle (no builds). A trace that
# saw the needed options (and the menus above them) run makes every other one a "not-ran" group.
python3 - "$WORK/pool" "$WORK/coverage.json" <<'PY'
import json, sys
ran = {"NET", "INET", "IPV6", "NETDEVICES", "NET_CORE", "VIRTIO_NET", "E1000", "NET_VENDOR_INTEL", "ETHERNET",
       "PCI", "HID", "HID_GENERIC"}
pool = [l.strip().removeprefix("CONFIG_") for l in open(sys.argv[1]) if l.strip()]
json.dump({"start_hash": "", "blocks": 1, "functions": {"executed": 1, "total": 2}, "objects": {"executed": 1, "total": 2},
           "candidates": {s: {"class": "ran" if s in ran else "not-ran"} for s in pool}}, open(sys.argv[2], "w"))
PY
expect_status 0 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --strategy trace \
    --coverage "$WORK/coverage.json" --check-config "$WORK/oracle.sh" --out "$WORK/trace"
"$WORK/oracle.sh" "$WORK/trace/config" || fail "trace: the final config fails the oracle"
python3 - "$WORK/group/report.json" "$WORK/trace/report.json" <<'PY'
import json, sys
group, trace = (json.load(open(f))["pruning"] for f in sys.argv[1:3])
assert trace["strategy"] == "trace" and trace["coverage"]["options"]["not_ran"] == 18, trace.get("coverage")
assert sorted(trace["required"]) == sorted(group["required"]), (trace["required"], group["required"])
assert trace["trials"] < group["trials"], (trace["trials"], group["trials"])
print(f"trace (saved coverage): {trace['trials']} oracle runs, group: {group['trials']}")
PY
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
    --coverage "$WORK/coverage.json" --check-config "$WORK/oracle.sh" --out "$WORK/x"
expect_grep "strategy trace" "$WORK/err"
sed 's/"not-ran"/"maybe"/' "$WORK/coverage.json" >"$WORK/bad-coverage.json"
expect_status 2 "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" --strategy trace \
    --coverage "$WORK/bad-coverage.json" --check-config "$WORK/oracle.sh" --out "$WORK/x"
expect_grep "expected ran, not-ran or no-code" "$WORK/err"

# A start config that fails the test: exit 1, a report that says fail, nothing removed.
expect_status 1 env HIDDEN="NO_SUCH_OPTION" "$TINYX" prune --kernel-src "$SRC" --config "$START" --candidates "$WORK/pool" \
    --check-config "$WORK/oracle.sh" --out "$WORK/failing"
expect_first_line "tinyx: error:" <(grep 'tinyx: error' "$WORK/err")
grep -q '"verdict": "fail"' "$WORK/failing/report.json" || fail "a failing start left no fail verdict"
echo ok
