#!/usr/bin/env bash
# Stage "platforms": per app with a profile for both, the qemu-pc build (profiles/apps/NAME.json)
# against the qemu-microvm build (profiles/apps/qemu-microvm/NAME.json): kernel size, and boot to
# serving (QEMU start -> the app's port accepting, and -> its host test passing), BOOTS boots each.
# Both kernels boot the SAME initramfs (the qemu-pc build's image), with the same accelerator,
# memory and test, in one run; each kernel with its own profile's command line, on its own
# platform's machine (`tinyx boot --platform`). The ratios are microvm ÷ pc from this run.
#
#   bench/stage-platforms.sh [APP...]
# Env: BOOTS (default 5), MEMORY (256), ACCEL, OUT. The builds reuse kernels from tinyx's store
# when an earlier build made them (then no kernel is built).
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
BOOTS=${BOOTS:-5}
microvm_dir=$ROOT/profiles/apps/qemu-microvm
if [ $# -gt 0 ]; then apps=("$@"); else
    apps=(); for p in "$microvm_dir"/*.json; do [ -f "$ROOT/profiles/apps/$(basename "$p")" ] && apps+=("$(basename "$p" .json)"); done
fi
[ ${#apps[@]} -ge 1 ] || die "no app has a profile in both profiles/apps/ and $microvm_dir"
mkdir -p "$OUT/platforms"

results=()
for name in "${apps[@]}"; do
    for platform in qemu-pc qemu-microvm; do
        profile=$ROOT/profiles/apps/$name.json; [ $platform = qemu-microvm ] && profile=$microvm_dir/$name.json
        [ -f "$profile" ] || die "$name: no profile $profile"
        log "platforms: $name, $platform build from $profile"
        "$TINYX" build --profile "$profile" --platform "$platform" --accel "$ACCEL" --verify 1 \
            --out "$OUT/platforms/$name-$platform" >"$OUT/logs/platforms-$name-$platform-build.log" 2>&1 ||
            die "$name: the $platform build failed, see $OUT/logs/platforms-$name-$platform-build.log"
    done
    pc=$OUT/platforms/$name-qemu-pc
    initrd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image"]["file"])' "$pc/report.json")
    accel=$(resolve_accel "$pc/bzImage" "$pc/$initrd")
    for platform in qemu-pc qemu-microvm; do
        dir=$OUT/platforms/$name-$platform
        # The host test and forwarded port of the profile, the command line of this platform's profile.
        mapfile -t test < <(python3 - "$dir/profile.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["test"]
print(t["forward"][0]); print(t["host_test"]); print(t.get("append", ""))
PY
)
        log "platforms: $name on $platform, $BOOTS boots of the qemu-pc image ($accel, $MEMORY MB)"
        "$TINYX" boot --platform "$platform" --kernel "$dir/bzImage" --initrd "$pc/$initrd" --append "${test[2]}" \
            --memory "$MEMORY" --accel "$accel" --forward "${test[0]}" --host-test "${test[1]}" --repeat "$BOOTS" \
            --timeout 300 --json >"$OUT/platforms/$name-$platform-boot.json" 2>"$OUT/logs/platforms-$name-$platform-boot.log" ||
            die "$name: $platform boots failed, see $OUT/logs/platforms-$name-$platform-boot.log"
    done
    results+=("$name")
done

"$PYTHON" - "$OUT" "$BOOTS" "$MEMORY" "${results[@]}" >"$OUT/json/platforms.json" <<'PY'
import json, statistics, sys
out, boots, memory, apps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
result = {"boots": boots, "memory_mb": memory, "apps": {}}
for app in apps:
    e = {}
    for platform in ("qemu-pc", "qemu-microvm"):
        build = json.load(open(f"{out}/platforms/{app}-{platform}/report.json"))
        boot = json.load(open(f"{out}/platforms/{app}-{platform}-boot.json"))
        runs = boot["boots"]
        assert all(r["verdict"] == "pass" for r in runs), (app, platform)
        started = [r["seconds"]["app_started"] for r in runs]
        serving = [r["seconds"]["total"] for r in runs]  # a host test: the boot ends when it passed
        result["accel"] = boot["accel"]
        e[platform] = {"kernel_bytes": build["kernel"]["bytes"], "config_hash": build["kernel"]["config_hash"],
                       "options_on_top_of_tinyconfig": build["kernel"]["options_on_top_of_tinyconfig"],
                       "initramfs": runs[0]["qemu_command"].split(" -initrd ")[1].split(" ")[0],
                       "app_started_median_s": statistics.median(started), "app_started_s": started,
                       "serving_median_s": statistics.median(serving), "serving_s": serving}
    pc, mvm = e["qemu-pc"], e["qemu-microvm"]
    assert pc["initramfs"] == mvm["initramfs"], "the two platforms must boot the same image"
    e["ratio_microvm_vs_pc"] = {k: mvm[k] / pc[k] for k in ("kernel_bytes", "app_started_median_s", "serving_median_s")}
    result["apps"][app] = e
json.dump(result, sys.stdout, indent=1)
PY
log "platforms: wrote $OUT/json/platforms.json"
