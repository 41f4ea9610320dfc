#!/usr/bin/env bash
# arm64 end to end on this x86_64 host, at the smallest size that proves it: BusyBox httpd from
# Debian's arm64 busybox-static (fetched with apt, never installed), a kernel cross-built for
# ARCH=arm64 whose three-option pool is pruned by the trace strategy (the coverage boot and its
# address -> option map come from the arm64 build), booted under qemu-system-aarch64 -M virt
# (TCG) with a host curl through a forwarded port, 3 verifying boots. Its profile rebuilds with no
# trial and no build. Inputs of the other architecture are bad input (exit 2) naming the file
# and its machine. The full-size proof (nginx, the server pool) is profiles/apps/arm64/nginx.json.
source "$(dirname "$0")/../common.sh"
require_program python3 curl file qemu-system-aarch64 aarch64-linux-gnu-gcc

mkdir -p "$WORK/www"
echo "tinyx on arm64" >"$WORK/www/index.html"
# IA32_EMULATION does not exist on arm64: reported, not a candidate, not an error.
cat >"$WORK/pool.json" <<'JSON'
{"schema": "tinyx-profile/1", "kind": "pool", "name": "arm64-test-pool", "arch": "arm64",
 "description": "three options for the arm64 test's pruning, one of which arm64 does not have",
 "options": [{"symbol": "FUTEX", "value": "y", "why": "test"}, {"symbol": "SYSVIPC", "value": "y", "why": "test"},
             {"symbol": "IA32_EMULATION", "value": "y", "why": "x86 only"}]}
JSON
host_test='curl -fsS --max-time 20 http://$TINYX_HOST:$TINYX_PORT_8080/ | grep -q "tinyx on arm64"'

expect_status 0 "$TINYX" build --arch arm64 --compression xz --app busybox-static --run "/bin/busybox httpd -f -p 8080 -h /www" \
    --include "$WORK/www:/www" --forward 8080 --host-test "$host_test" --timeout 120 \
    --pool "$WORK/pool.json" --prune --prune-what kernel --strategy trace --verify 3 --out "$WORK/arm"
expect_grep "option(s) of the pool do not exist for arm64 in Linux .*: IA32_EMULATION" "$WORK/err"
expect_grep "accelerator: tcg (arm64 guest on an x86_64 host: emulated)" "$WORK/err"
python3 - "$WORK/arm" <<'PY' || fail "arm64 report"
import json, sys
out = sys.argv[1]
report = json.load(open(f"{out}/report.json"))
assert report["verdict"] == "pass", report["verdict"]
kernel = report["kernel"]
assert kernel["arch"] == "arm64" and kernel["image"] == "Image.gz", kernel
assert kernel["pool_absent"] == ["IA32_EMULATION"], kernel.get("pool_absent")
assert report["verify"]["passed"] == 3, report["verify"]
qemu = report["boot"]["boots"][0]["qemu_command"]
for word in ("qemu-system-aarch64", "-M virt", "-cpu cortex-a57", "virtconsole,chardev=markers", "virtio-net-pci"):
    assert word in qemu, (word, qemu)
assert "console=ttyAMA0" in qemu and "tinyx_channel=hvc0" in qemu, qemu
pruning = report["pruning"]
assert pruning["strategy"] == "trace" and pruning["candidates"] == 2, pruning
coverage = pruning["coverage"]
assert coverage["functions"]["executed"] > 1000, coverage  # addresses mapped through the arm64 System.map
config = open(f"{out}/config").read()
assert "CONFIG_ARM64=y" in config and "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y" in config
profile = json.load(open(f"{out}/profile.json"))
assert profile["arch"] == "arm64", profile["arch"]
PY
# Every ELF of the image is AArch64, the init and BusyBox included: nothing of the host's x86_64.
file "$WORK/arm/Image.gz" | grep -q "gzip compressed" || fail "Image.gz is not gzip-compressed: $(file "$WORK/arm/Image.gz")"
mkdir -p "$WORK/unpacked"
image=$(ls "$WORK/arm"/initramfs.cpio.*)
case "$image" in
*.xz) xz -dc "$image" ;; *.gz) gzip -dc "$image" ;; *.zst) zstd -dc "$image" ;; *) cat "$image" ;;
esac | (cd "$WORK/unpacked" && cpio -id --quiet) || fail "cannot unpack $image"
elfs=0
while IFS= read -r -d '' f; do
    head -c 4 "$f" | grep -q "ELF" || continue
    elfs=$((elfs + 1))
    file "$f" | grep -q "ARM aarch64" || fail "not an arm64 ELF in the image: $(file "$f")"
done < <(find "$WORK/unpacked" -type f -print0)
[ "$elfs" -ge 2 ] || fail "expected the init and BusyBox as ELF files, found $elfs"

# The profile alone rebuilds it: its arch, no trial, the kernel from the image store.
expect_status 0 "$TINYX" build --profile "$WORK/arm/profile.json" --verify 1 --out "$WORK/again"
cmp -s "$WORK/arm/config" "$WORK/again/config" || fail "the rebuild from the profile changed the arm64 kernel config"
expect_grep "was built before; reusing" "$WORK/err"
cmp -s "$WORK/arm/Image.gz" "$WORK/again/Image.gz" || fail "the reused arm64 kernel differs from the one built"
expect_grep '"verdict": "pass"' "$WORK/again/report.json"
expect_grep '"pruning": null' "$WORK/again/report.json"
expect_grep '"arch": "arm64"' "$WORK/again/report.json"

# The other architecture's inputs: exit 2, naming the file and the machine it was built for.
expect_status 2 "$TINYX" rootfs --arch arm64 --app /bin/busybox --out "$WORK/x86-app"
expect_grep "/bin/busybox: ELF file for x86-64" "$WORK/err"
arm_busybox=$(find "$WORK/unpacked" -path '*/bin/busybox' -type f | head -n 1)
[ -n "$arm_busybox" ] || fail "no /bin/busybox in the arm64 image"
expect_status 2 "$TINYX" rootfs --app "$arm_busybox" --out "$WORK/arm-app"
expect_grep "ELF file for AArch64" "$WORK/err"
expect_status 2 "$TINYX" boot --kernel "$WORK/arm/Image.gz" --initrd "$image" --guest-test true
expect_grep "a gzip-compressed kernel (an arm64 Image.gz?), but the guest is x86_64" "$WORK/err"
python3 -c 'import sys; b = bytearray(0x240); b[0x202:0x206] = b"HdrS"; open(sys.argv[1], "wb").write(b)' "$WORK/bzImage"
expect_status 2 "$TINYX" boot --arch arm64 --kernel "$WORK/bzImage" --initrd "$image" --guest-test true
expect_grep "an x86_64 kernel (bzImage), but the guest is arm64" "$WORK/err"
# A profile for x86_64 is not an arm64 kernel's options; the microVMs are x86_64 only.
expect_status 2 "$TINYX" build --profile "$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json" --arch arm64 --out "$WORK/refused"
expect_grep "was made for x86_64; this build is for arm64" "$WORK/err"
expect_status 2 "$TINYX" build --arch arm64 --platform qemu-microvm --app busybox-static --out "$WORK/refused"
expect_grep "exists for x86_64 only, not for --arch arm64" "$WORK/err"
echo "ok"
