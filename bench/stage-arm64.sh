#!/usr/bin/env bash
# Stage "arm64": the size and boot rows of the shipped arm64 nginx profile (profiles/apps/arm64/
# nginx.json, made by tinyx's own trace pruning on this x86_64 host), cross-built and booted under
# qemu-system-aarch64 -M virt (TCG), against two baselines measured in the same run:
#   - the arm64 start kernel (arm64 baselet + the server pool, unpruned: `tinyx build` of the profile's
#     app and test without its options) booting the same image;
#   - the x86_64 nginx profile (profiles/apps/nginx.json), built and booted the same way.
# Boot = QEMU start to the app accepting on its port (the harness's "app started"), BOOTS boots each,
# median; every boot passes the profile's host test (curl through a forwarded port).
# Both profiles rebuild with no pruning trial; their kernels come from the image store when an
# earlier run built them (the report says which: "kernel_from_store").
#
#   bench/stage-arm64.sh
# Env: BOOTS (default 5), OUT. Writes $OUT/json/arm64.json and $OUT/arm64.md.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
BOOTS=${BOOTS:-5}
for p in qemu-system-aarch64 aarch64-linux-gnu-gcc; do command -v "$p" >/dev/null || die "no $p: run scripts/setup"; done
dir=$OUT/arm64
rm -rf "$dir"; mkdir -p "$dir"
arm_profile=$ROOT/profiles/apps/arm64/nginx.json
x86_profile=$ROOT/profiles/apps/nginx.json

build() { # NAME ARGS...: tinyx build into $dir/NAME (no verifying boots: the boots below measure)
    local name=$1; shift
    log "arm64: tinyx build $name"
    "$TINYX" build "$@" --verify 1 --out "$dir/$name" >"$OUT/logs/arm64-$name.log" 2>&1 ||
        die "$name: the build failed, see $OUT/logs/arm64-$name.log"
}
build nginx-arm64 --profile "$arm_profile"
build nginx-x86_64 --profile "$x86_profile" --accel "$ACCEL"
# The unpruned arm64 kernel: the start config of the pruning (the arm64 baselet + the server pool),
# the profile's app and test without its options (from the image store when the pruning built it).
mapfile -d '' -t spec < <(python3 - "$arm_profile" <<'PY'
import json, os, sys
p = json.load(open(sys.argv[1]))
a = p["app"]
# The include's host side is relative to the shipped profile's directory.
host, guest = a["includes"][0].split(":", 1)
include = os.path.normpath(os.path.join(os.path.dirname(sys.argv[1]), host)) + ":" + guest
sys.stdout.write("\0".join([a["app"], a["run"], include, p["test"]["host_test"]]) + "\0")
PY
)
build start-arm64 --arch arm64 --app "${spec[0]}" --run "${spec[1]}" --include "${spec[2]}" --forward 80 --host-test "${spec[3]}"

boots() { # NAME ARCH KERNEL INITRD
    local test
    test=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test"]["host_test"])' "$arm_profile")
    log "arm64: $BOOTS boots of $1"
    "$TINYX" boot --arch "$2" --kernel "$3" --initrd "$4" --forward 80 --host-test "$test" --repeat "$BOOTS" \
        --timeout 300 --json >"$dir/boots-$1.json" 2>"$OUT/logs/arm64-boots-$1.log" ||
        die "$1: a boot failed, see $OUT/logs/arm64-boots-$1.log"
}
arm_image=$(ls "$dir"/nginx-arm64/initramfs.cpio.*)
boots nginx-arm64 arm64 "$dir/nginx-arm64/Image.gz" "$arm_image"
boots start-arm64 arm64 "$dir/start-arm64/Image.gz" "$arm_image"
boots nginx-x86_64 x86_64 "$dir/nginx-x86_64/bzImage" "$(ls "$dir"/nginx-x86_64/initramfs.cpio.*)"

python3 - "$dir" "$COMMIT" >"$OUT/json/arm64.json" <<'PY'
import json, os, statistics, sys
d, commit = sys.argv[1], sys.argv[2]
def boot(name):
    r = json.load(open(f"{d}/boots-{name}.json"))
    started = [b["seconds"]["app_started"] for b in r["boots"]]
    return {"boots": len(started), "accel": r["accel"], "app_started_median_s": statistics.median(started),
            "app_started_s": started}
def build(name, kernel):
    r = json.load(open(f"{d}/{name}/report.json"))
    image = r["image"]["initramfs_bytes"]
    kernel_bytes = os.path.getsize(f"{d}/{name}/{kernel}")
    return {"kernel_bytes": kernel_bytes, "initramfs_bytes": image, "total_bytes": kernel_bytes + image,
            "options_on_top_of_tinyconfig": r["kernel"]["options_on_top_of_tinyconfig"]}
arm = {**build("nginx-arm64", "Image.gz"), **boot("nginx-arm64")}
x86 = {**build("nginx-x86_64", "bzImage"), **boot("nginx-x86_64")}
start_kernel = os.path.getsize(f"{d}/start-arm64/Image.gz")
start = {"kernel_bytes": start_kernel, "total_bytes": start_kernel + arm["initramfs_bytes"], **boot("start-arm64")}
json.dump({"commit": commit, "nginx_arm64": arm, "start_arm64": start, "nginx_x86_64": x86,
           "ratios": {"arm64_kernel_vs_start_kernel": arm["kernel_bytes"] / start_kernel,
                      "arm64_boot_vs_start_boot": arm["app_started_median_s"] / start["app_started_median_s"],
                      "arm64_total_vs_x86_64_total": arm["total_bytes"] / x86["total_bytes"],
                      "arm64_boot_vs_x86_64_boot": arm["app_started_median_s"] / x86["app_started_median_s"]}},
          sys.stdout, indent=2)
PY
python3 - "$OUT/json/arm64.json" >"$OUT/arm64.md" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
mb = lambda b: f"{b / 1e6:.2f} MB"
print("| nginx | kernel | initramfs | kernel + initramfs | boot to app started (median) | boots |")
print("|---|---|---|---|---|---|")
for key, label in (("nginx_arm64", "arm64, pruned profile (Image.gz)"), ("start_arm64", "arm64, start kernel (baselet + pool)"),
                   ("nginx_x86_64", "x86_64, pruned profile (bzImage)")):
    r = j[key]
    initrd = mb(r["initramfs_bytes"]) if "initramfs_bytes" in r else "the same"
    print(f'| {label} | {mb(r["kernel_bytes"])} | {initrd} | {mb(r["total_bytes"])} | {r["app_started_median_s"]:.2f} s | {r["boots"]} ({r["accel"]}) |')
print("\n" + ", ".join(f"{k} {v:.2f}" for k, v in j["ratios"].items()) + f"\n\ncommit {j['commit']}")
PY
cat "$OUT/arm64.md" >&2
