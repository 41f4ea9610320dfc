#!/usr/bin/env bash
# The application profiles shipped in profiles/apps/ (each produced by a `tinyx build --prune`
# run; the qemu-microvm ones in profiles/apps/qemu-microvm/, the arm64 ones in profiles/apps/arm64/). Every one is valid and names its
# evidence. Rebuilt here, at the smallest size that proves it: per platform the profile with
# the smallest recorded kernel, which rebuilds with zero pruning trials, passes the test it
# recorded (through the forwarded port) and measures the size it recorded. Every profile is
# rebuilt and verified by the bench (bench/run.sh --stages build,platforms): a kernel build
# each, which CI's time budget does not hold.
source "$(dirname "$0")/../common.sh"
require_program python3 curl

shopt -s nullglob
profiles=("$TINYX_SOURCE_DIR"/profiles/apps/*.json "$TINYX_SOURCE_DIR"/profiles/apps/*/*.json)
[ ${#profiles[@]} -ge 1 ] || fail "no shipped app profiles in profiles/apps/"
for profile in "${profiles[@]}"; do
    expect_status 0 "$TINYX" profile validate "$profile"
    python3 - "$profile" <<'PY' || fail "$profile: no evidence"
import json, sys
profile = json.load(open(sys.argv[1]))
# The profile came from a real pruning run: its summary and every option's reason are there
# (its trials' kernels may have come from the image store of an earlier run: builds can be 0).
# The interpreted apps' and PostgreSQL's came from a file pruning (their kernel is the start config's).
kernel, files = profile.get("pruning"), profile.get("file_pruning")
assert (kernel and kernel["trials"] >= 1 and kernel["seconds"]["boot"] > 0) or (files and files["trials"] >= 1), (kernel, files)
assert all(o.get("why") for o in profile["options"]), "an option without its reason"
assert profile["sizes"]["kernel_bytes"] > 0, profile["sizes"]
PY
done
# Per platform, the x86_64 profile with the smallest recorded kernel. The arm64 profiles are
# validated here; an arm64 profile's rebuild (zero trials, the kernel from the store) is
# test_arm64.sh's, and the shipped one's the bench's (bench/stage-arm64.sh): one more
# cross-built kernel is more than CI's budget holds.
mapfile -t rebuilt < <(python3 - "${profiles[@]}" <<'PY'
import json, sys
smallest = {}
for path in sys.argv[1:]:
    p = json.load(open(path))
    if p.get("arch", "x86_64") != "x86_64":
        continue
    platform = p["platform"]
    if platform not in smallest or p["sizes"]["kernel_bytes"] < smallest[platform][0]:
        smallest[platform] = (p["sizes"]["kernel_bytes"], path)
for _, path in sorted(smallest.values(), key=lambda s: s[1]):
    print(path)
PY
)
[ ${#rebuilt[@]} -ge 2 ] || fail "expected profiles of two platforms (qemu-pc and qemu-microvm), rebuilt: ${rebuilt[*]}"
echo "rebuilding ${rebuilt[*]#$TINYX_SOURCE_DIR/} (of ${#profiles[@]} shipped profiles)"
for profile in "${rebuilt[@]}"; do
    name=$(basename "$(dirname "$profile")")-$(basename "$profile" .json)
    expect_status 0 "$TINYX" build --profile "$profile" --accel tcg --out "$WORK/$name"
    python3 - "$WORK/$name/report.json" "$profile" <<'PY' || fail "$name: report does not match its profile"
import json, sys
report, profile = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert report["verdict"] == "pass", report["verdict"]
assert report["pruning"] is None, "a --profile build must not prune"
assert report["verify"]["passed"] == 3, report["verify"]
assert report["platform"] == profile["platform"], (report["platform"], profile["platform"])
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
