#!/usr/bin/env bash
# The microVM platforms end to end, at the smallest size that proves them: BusyBox httpd's
# qemu-pc profile re-pruned on the qemu-microvm baselet (no PCI: virtio-net over MMIO, the marker
# channel on a second ISA UART), built and verified under QEMU's microvm machine with a host test
# through a forwarded port; then the same for Firecracker: the outputs it takes (an uncompressed
# vmlinux, the initramfs, vm-config.json), booted as vm-config.json says (its kernel, its initrd,
# its boot_args, its memory; plus the harness's marker channel) under QEMU microvm with the
# devices Firecracker gives a guest. And a profile made for one platform refuses to build for another.
source "$(dirname "$0")/../common.sh"
require_program python3 curl qemu-system-x86_64 file
profile=$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json

# A pc profile on microvm: refused, with what to do instead (no silently wrong kernel).
expect_status 2 "$TINYX" build --profile "$profile" --platform qemu-microvm --accel tcg --out "$WORK/refused"
expect_grep "^tinyx: error: profile 'busybox-httpd' was made for platform qemu-pc; this build is for qemu-microvm" "$WORK/err"
[ ! -e "$WORK/refused/report.json" ] || fail "a refused build wrote report.json"

# qemu-microvm: the documented re-prune. The profile's app, test and options, its options
# decided again on the microvm baselet (this profile has one: a build or two of a tiny kernel).
expect_status 0 "$TINYX" build --profile "$profile" --platform qemu-microvm --prune --prune-what kernel --accel tcg \
    --verify 3 --out "$WORK/microvm"
expect_grep "pruning starts from the profile's options" "$WORK/err"
python3 - "$WORK/microvm" <<'PY' || fail "microvm report"
import json, sys
out = sys.argv[1]
report = json.load(open(f"{out}/report.json"))
assert report["verdict"] == "pass" and report["platform"] == "qemu-microvm", (report["verdict"], report.get("platform"))
assert report["verify"]["passed"] == 3, report["verify"]
config = open(f"{out}/config").read()
assert "CONFIG_VIRTIO_MMIO=y" in config and "# CONFIG_PCI is not set" in config, "the microvm kernel has PCI or no virtio-mmio"
profile = json.load(open(f"{out}/profile.json"))
assert profile["platform"] == "qemu-microvm", profile["platform"]
qemu = report["boot"]["boots"][0]["qemu_command"]
assert "-M microvm" in qemu and "virtio-net-device" in qemu and "virtio-net-pci" not in qemu, qemu
PY
# Its profile rebuilds on its own platform with no flags at all.
expect_status 0 "$TINYX" build --profile "$WORK/microvm/profile.json" --accel tcg --verify 1 --out "$WORK/microvm-again"

# firecracker: the same baselet as qemu-microvm, so the microvm profile is used as it is (and
# says so); the outputs are vmlinux (ELF), the image, vm-config.json.
expect_status 0 "$TINYX" build --profile "$WORK/microvm/profile.json" --platform firecracker --accel tcg --verify 1 \
    --out "$WORK/fc"
expect_grep "takes the same kernel options (baselet microvm-x86_64)" "$WORK/err"
file "$WORK/fc/vmlinux" | grep -q "ELF 64-bit" || fail "vmlinux is not an ELF kernel: $(file "$WORK/fc/vmlinux")"
[ ! -e "$WORK/fc/bzImage" ] || fail "a bzImage for Firecracker"
python3 - "$WORK/fc" > "$WORK/fc-args" <<'PY' || fail "vm-config.json"
import json, os, sys
out = sys.argv[1]
vm = json.load(open(f"{out}/vm-config.json"))
assert set(vm) == {"boot-source", "drives", "machine-config", "network-interfaces"}, list(vm)
boot = vm["boot-source"]
for key in ("kernel_image_path", "initrd_path"):
    assert not os.path.isabs(boot[key]) and os.path.isfile(os.path.join(out, boot[key])), boot
assert boot["kernel_image_path"] == "vmlinux"
assert isinstance(vm["machine-config"]["vcpu_count"], int) and vm["machine-config"]["mem_size_mib"] >= 16
assert vm["network-interfaces"][0]["iface_id"] == "eth0" and vm["network-interfaces"][0]["host_dev_name"]
print(os.path.join(out, boot["kernel_image_path"]))
print(os.path.join(out, boot["initrd_path"]))
print(boot["boot_args"])
print(vm["machine-config"]["mem_size_mib"])
PY
{ read -r kernel; read -r initrd; read -r boot_args; read -r memory; } < "$WORK/fc-args"
# Exactly those files and arguments, on the machine Firecracker gives a guest.
expect_status 0 "$TINYX" boot --platform firecracker --kernel "$kernel" --initrd "$initrd" --append "$boot_args" \
    --memory "$memory" --accel tcg --forward 80 --host-test "$HTTPD_HOST_TEST" --json
grep -q '"verdict": "pass"' "$WORK/out" || fail "the Firecracker files did not pass"
echo ok
