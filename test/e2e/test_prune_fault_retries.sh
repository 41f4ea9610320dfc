#!/usr/bin/env bash
# Machine trouble during a pruning run is retried, never taken for a verdict:
#  (b) the compiler killed by SIGKILL in the middle of a trial's kernel build: that build
#      runs again and the trial is decided by the build that finished;
#  (c) QEMU stopped (SIGSTOP) for longer than the boot timeout: the trial's boot times out,
#      is booted once more, and the trial is decided by that boot.
# Both are real: a `gcc` first in PATH SIGKILLs itself on its first compile (make sees its
# compiler killed), and a `qemu-system-x86_64` first in PATH has its first QEMU stopped by a
# helper for 75 s, from its start (the timeout is 40 s). The run must end as an undisturbed one does (HW_RANDOM_VIRTIO
# removed, VIRTIO_NET kept), and report.json must say which trials were retried and why.
# The run gets an empty image store of its own (--image-store), so every trial builds, in
# the kept build directory (incrementally), and no stored image of another test answers for it.
source "$(dirname "$0")/../common.sh"
require_program python3 gcc qemu-system-x86_64 curl
tree=$(kernel_tree)
start=$(test_kernel_start_config)

mkdir "$WORK/bin"
real_gcc=$(command -v gcc) real_qemu=$(command -v qemu-system-x86_64)
cat > "$WORK/bin/gcc" <<SH
#!/bin/sh
# The kernel build's first compile (kbuild passes -Wp,-MMD; Kconfig's compiler probes do not)
# dies of SIGKILL, as under the OOM killer.
case " \$* " in *" -Wp,-MMD,"*)
    if mkdir "$WORK/gcc-killed" 2>/dev/null; then kill -KILL \$\$; fi ;;
esac
exec "$real_gcc" "\$@"
SH
cat > "$WORK/bin/qemu-system-x86_64" <<SH
#!/bin/sh
# The first QEMU is stopped as it starts, for 75 s. At once: a boot that fails fast (a trial
# without the NIC) can end before a later stop, and the helper ends with QEMU's process group.
if mkdir "$WORK/qemu-stopped" 2>/dev/null; then
    me=\$\$
    ( sleep 0.2; kill -STOP \$me && echo stopped > "$WORK/qemu-stopped/when"; sleep 75; kill -CONT \$me ) >/dev/null 2>&1 &
fi
exec "$real_qemu" "\$@"
SH
chmod 755 "$WORK/bin/gcc" "$WORK/bin/qemu-system-x86_64"

# First the start config's kernel, built with the real compiler in the kept build directory
# (from ccache: the test kernel has this config) and stored in this run's store: then the start
# trial needs no build, and the trials compile only what their options change, every compile
# through the wrapper below (which ccache cannot answer for: it is another compiler binary).
expect_status 0 "$TINYX" build --kernel-only --kernel-src "$tree" --image-store "$WORK/store" --out "$WORK/start-kernel"
cmp -s "$WORK/start-kernel/config" "$start" || fail "the start kernel's config is not the test kernel's"
printf 'HW_RANDOM_VIRTIO\nVIRTIO_NET\n' >"$WORK/candidates"
httpd_example_image "$WORK/image" gzip
expect_status 0 env PATH="$WORK/bin:$PATH" "$TINYX" prune --strategy group --kernel-src "$tree" --config "$start" \
    --candidates "$WORK/candidates" --initrd "$WORK/image/initramfs.cpio.gz" --forward 80 --host-test "$HTTPD_HOST_TEST" \
    --accel tcg --timeout 40 --repeat 1 --image-store "$WORK/store" --out "$WORK/prune"
[ -d "$WORK/gcc-killed" ] || fail "the compiler was never killed: no trial compiled anything"
[ -f "$WORK/qemu-stopped/when" ] || fail "no QEMU was stopped"
expect_grep "the compiler was killed" "$WORK/err"
expect_grep "booting it once more" "$WORK/err"

python3 - "$WORK/prune" <<'PY' || fail "report.json"
import json, sys
report = json.load(open(f"{sys.argv[1]}/report.json"))
p = report["pruning"]
assert report["verdict"] == "pass", report["verdict"]
assert p["removed"] == ["HW_RANDOM_VIRTIO"], p["removed"]
assert [k["symbol"] for k in p["kept"]] == ["VIRTIO_NET"], p["kept"]
whys = [r["why"] for r in p["retried"]["reasons"]]
assert any(w.startswith("build: the compiler was killed") for w in whys), whys
assert any(w.startswith("boot: timed out after 40.0s") for w in whys), whys
assert 1 <= p["retried"]["trials"] <= 2, p["retried"]
# Nothing was decided by the faults: no trial failed to build, none timed out.
assert all(t["verdict"] not in ("build-failed", "timeout") for t in report["trials"]), report["trials"]
# The retried trials are decided by the build and boot that finished, like every other.
retried = [t for t in report["trials"] if t.get("retries")]
assert retried and all(t["verdict"] in ("pass", "fail") for t in retried), retried
PY
grep -q "^# CONFIG_HW_RANDOM_VIRTIO is not set" "$WORK/prune/config" || fail "HW_RANDOM_VIRTIO is still in the final config"
grep -q "^CONFIG_VIRTIO_NET=y" "$WORK/prune/config" || fail "VIRTIO_NET is missing from the final config"
echo ok
