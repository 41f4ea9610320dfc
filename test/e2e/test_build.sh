#!/usr/bin/env bash
# tinyx build end to end: BusyBox httpd from its Debian package, no BusyBox applets in the
# image, a host-side curl through a forwarded port, its compressions chosen by measured boots
# (--optimize balanced); then a rebuild from the profile it wrote
# (same kernel config, no pruning, its kernel from the image store), a failing test (exit 1, verdict fail), and bad input.
source "$(dirname "$0")/../common.sh"

# Warms the kept kernel build dir (the fixture builds the same start config).
"$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh" >/dev/null

mkdir -p "$WORK/www"
echo "hello from tinyx" > "$WORK/www/index.html"
app=(--app busybox-static --run "busybox httpd -f -p 80 -h /www" --include "$WORK/www:/www" --no-busybox)
host_test='curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q "hello from tinyx"'

# The default --optimize balanced: the compressions by measured boots, the smallest memory, the phases.
expect_status 0 "$TINYX" build "${app[@]}" --forward 80 --host-test "$host_test" --accel tcg --out "$WORK/img"
image=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image"]["file"])' "$WORK/img/report.json")
for f in bzImage "$image" manifest.json config profile.json report.json summary.md; do
    [ -s "$WORK/img/$f" ] || fail "missing output $f"
done
[ "$(ls "$WORK/img" | grep -c '^initramfs')" = 1 ] || fail "more than one initramfs in the output: $(ls "$WORK/img")"
python3 - "$WORK/img" <<'PY' || fail "the compression decision, memory or phases"
import json, os, sys
out = sys.argv[1]
report = json.load(open(f"{out}/report.json"))
c = report["compression"]
assert c["goal"] == "balanced" and c["measured"], c
rows = c["candidates"]
images = [r for r in rows if r["part"] == "initramfs"]
kernels = [r for r in rows if r["part"] == "kernel"]
assert sorted(r["compression"] for r in images) == ["gzip", "none", "xz", "zstd"], images
assert sorted(r["compression"] for r in kernels) == ["gzip", "xz", "zstd"], kernels
for part in (images, kernels):
    chosen = [r for r in part if r["chosen"]]
    assert len(chosen) == 1, part
# The rule: the chosen setting is within 1.15x of the smallest, and no booted candidate within
# the bound booted faster (medians as measured).
smallest = min(r["bytes"] for r in images) + min(r["bytes"] for r in kernels)
total = report["kernel"]["bytes"] + report["image"]["initramfs_bytes"]
assert total <= 1.15 * smallest + 1, (total, smallest)
for part in (images, kernels):
    chosen = next(r for r in part if r["chosen"])
    for r in part:
        if r["median_seconds"] is not None and r["setting_bytes"] <= 1.15 * smallest:
            assert chosen["median_seconds"] <= r["median_seconds"], (chosen, r)
        if r["setting_bytes"] > 1.15 * smallest:
            assert r["boot_seconds"] == [], r  # over the bound: not booted
# The outputs are the chosen ones: the image's compression, the kernel's, only its decompressor.
assert report["image"]["compression"] == next(r for r in images if r["chosen"])["compression"]
config = open(f"{out}/config").read()
kernel_choice = next(r for r in kernels if r["chosen"])["compression"]
assert f"CONFIG_KERNEL_{kernel_choice.upper()}=y" in config, kernel_choice
rd = {"xz": "RD_XZ", "zstd": "RD_ZSTD", "gzip": "RD_GZIP", "none": None}[report["image"]["compression"]]
enabled_rd = sorted(l.split("=")[0] for l in config.splitlines() if l.startswith("CONFIG_RD_") and l.endswith("=y"))
assert enabled_rd == ([f"CONFIG_{rd}"] if rd else []), enabled_rd
# The smallest memory that passes, bisected after the verifying boots, below what they had.
memory = report["memory"]
assert 16 <= memory["min_mb"] <= memory["verified_mb"], memory
assert memory["min_mb_boots"] >= 1, memory
# Where the boot's time went: every phase measured, and they add up to the boot.
phases = report["verify"]["phases"]
assert all(isinstance(phases[k], float) and phases[k] >= 0 for k in
           ("before_kernel", "kernel_init", "initramfs_unpack", "init", "app_start")), phases
assert abs(sum(phases.values()) - report["verify"]["boot_seconds_median"]) < 0.5, (phases, report["verify"])
summary = open(f"{out}/summary.md").read()
for text in ("## Compression", "**chosen**", "Smallest memory that passes", "initramfs unpack", "kernel decompression"):
    assert text in summary, text
profile = json.load(open(f"{out}/profile.json"))
assert profile["compression"]["initramfs"] == report["image"]["compression"], profile["compression"]
assert profile["compression"]["kernel"] == kernel_choice and profile["compression"]["goal"] == "balanced", profile["compression"]
PY
expect_grep '"verdict": "pass"' "$WORK/img/report.json"
expect_grep '"passed": 3' "$WORK/img/report.json"
expect_grep 'Result: \*\*pass\*\*' "$WORK/img/summary.md"
grep -q '^CONFIG_VIRTIO_NET=y' "$WORK/img/config" || fail "final config lacks the baselet's VIRTIO_NET"
expect_status 0 "$TINYX" profile validate "$WORK/img/profile.json"

# The profile rebuilds the same kernel config and passes its recorded test.
# Built a minute ago, so the image store has its kernel: no make at all.
expect_status 0 "$TINYX" build --profile "$WORK/img/profile.json" --accel tcg --out "$WORK/again"
cmp -s "$WORK/img/config" "$WORK/again/config" || fail "rebuild from the profile changed the kernel config"
expect_grep "was built before; reusing" "$WORK/err"
cmp -s "$WORK/img/bzImage" "$WORK/again/bzImage" || fail "the reused kernel differs from the one built"
expect_grep '"verdict": "pass"' "$WORK/again/report.json"
expect_grep '"pruning": null' "$WORK/again/report.json"
python3 - "$WORK" <<'PY' || fail "a profile rebuild measures no compression"
import json, sys
again = json.load(open(f"{sys.argv[1]}/again/report.json"))
assert not again["compression"]["measured"] and "optimize" not in again["seconds"], again["compression"]
assert again["compression"]["initramfs_from"] == "the profile" == again["compression"]["kernel_from"], again["compression"]
PY

# A test that fails: exit 1 and a report that says so.
expect_status 1 "$TINYX" build --compression xz --kernel-compression xz "${app[@]}" --forward 80 --host-test 'curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/missing' \
    --accel tcg --verify 1 --out "$WORK/failing"
expect_grep '"verdict": "fail"' "$WORK/failing/report.json"

# Bad input: exit 2, error first, no report claiming anything.
expect_status 2 "$TINYX" build --app no-such-package-tinyx --out "$WORK/bad"
expect_first_line "tinyx: error:" "$WORK/err"
[ ! -e "$WORK/bad/report.json" ] || fail "a failed build left report.json"
expect_status 2 "$TINYX" build --app busybox-static --host-test true --out "$WORK/bad2"
expect_grep "forward" "$WORK/err"
HINT="$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json"
expect_status 2 "$TINYX" build --app busybox-static --hint-profile "$HINT" --out "$WORK/bad3"
expect_grep "give --prune" "$WORK/err"
expect_status 2 "$TINYX" build --profile "$HINT" --hint-profile "$HINT" --prune --out "$WORK/bad4"
expect_grep "hint-profile only" "$WORK/err"
expect_status 2 "$TINYX" build --app busybox-static --prune --hint-profile "$TINYX_SOURCE_DIR/profiles/pools/server.json" --out "$WORK/bad5"
expect_grep "kind is 'pool'" "$WORK/err"
echo ok
