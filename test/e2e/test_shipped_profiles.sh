#!/usr/bin/env bash
# Every application profile shipped in profiles/apps/ (each produced by a
# `tinyx build --prune` run) rebuilds on this machine with zero pruning trials
# and passes the test it recorded (curl, redis-cli, ... on the host through the
# forwarded port). Profiles are also valid, name their evidence and record
# sizes that stay close to what the rebuild measures.
source "$(dirname "$0")/../common.sh"

shopt -s nullglob
profiles=("$TINYX_SOURCE_DIR"/profiles/apps/*.json)
[ ${#profiles[@]} -ge 1 ] || fail "no shipped app profiles in profiles/apps/"
for profile in "${profiles[@]}"; do
    name=$(basename "$profile" .json)
    expect_status 0 "$TINYX" profile validate "$profile"
    expect_status 0 "$TINYX" build --profile "$profile" --accel tcg --out "$WORK/$name"
    python3 - "$WORK/$name/report.json" "$profile" <<'PY' || fail "$name: report does not match its profile"
import json, sys
report, profile = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert report["verdict"] == "pass", report["verdict"]
assert report["pruning"] is None, "a --profile build must not prune"
assert report["verify"]["passed"] == 3, report["verify"]
# The profile came from a real pruning run: its summary and every option's reason are there.
assert profile["pruning"]["trials"] >= 1 and profile["pruning"]["builds"] >= 1, profile["pruning"]
assert all(o.get("why") for o in profile["options"]), "an option without its reason"
# Same options, same kernel: the recorded size is what this build produced (±2%: toolchain noise).
recorded, built = profile["sizes"]["kernel_bytes"], report["kernel"]["bytes"]
assert abs(built - recorded) <= recorded * 0.02, (built, recorded)
print(f"{sys.argv[2].rsplit('/', 1)[1]}: kernel {built} B, initramfs {report['image']['initramfs_bytes']} B")
PY
done

# Reusing a profile for another app: busybox-httpd's kernel has none of what nginx needs
# (IPv6, unix sockets, epoll), so the build fails, and says what to do instead.
expect_status 1 "$TINYX" build --profile "$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json" --app nginx-light \
    --run "nginx -g 'daemon off;'" --no-busybox --forward 80 --host-test 'curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/' \
    --accel tcg --timeout 60 --out "$WORK/reused"
expect_grep "reusing the kernel options of profile 'busybox-httpd'" "$WORK/err"
expect_grep "without --profile, with --prune" "$WORK/reused/summary.md"
echo ok
