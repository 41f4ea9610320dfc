#!/usr/bin/env bash
# A pruning run whose kernel build directory sits on a small file system that fills up in
# the middle of a trial's build stops with the machine-fault error (exit 75, "the disk is
# full"), leaves no report.json, and journals nothing for the trial it could not finish.
# Once space is freed, --resume finishes with the same result as an undisturbed run: the
# same trials decided the same way (HW_RANDOM_VIRTIO removed, VIRTIO_NET kept) and the same
# final config as resolving the start config without HW_RANDOM_VIRTIO.
# The file system is a tmpfs mounted, in a mount namespace of this test's own (unshare -m), over
# the kept build directory itself (same path, so kbuild sees the objects it built and rebuilds
# incrementally), holding a copy of that directory; once a kernel build starts, a filler takes
# every byte left. The run gets an empty image store (--image-store), so its trials build. When
# the namespace ends, the kept build directory is as it was.
source "$(dirname "$0")/../common.sh"
require_program python3 unshare mount fallocate pgrep curl qemu-system-x86_64
[ "$(id -u)" = 0 ] || [ -n "${TINYX_IN_NAMESPACE:-}" ] || exec unshare -rm env TINYX_IN_NAMESPACE=1 bash "$0" "$@"
tree=$(kernel_tree)
start=$(test_kernel_start_config)
build_dir=$(kept_kernel_build_dir)

printf 'HW_RANDOM_VIRTIO\nVIRTIO_NET\n' >"$WORK/candidates"
httpd_example_image "$WORK/image" gzip
cat > "$WORK/body.sh" <<SH
set -eu
mount --bind "$build_dir" "$WORK/original"
mount -t tmpfs -o size=1g tinyx-small "$build_dir"
cp -a "$WORK/original/." "$build_dir/"
# Once a kernel build runs in the directory, take every byte it frees or leaves: the disk fills
# up in the middle of that build.
( while ! pgrep -f "O=$build_dir .*bzImage" >/dev/null; do sleep 0.1; done
  n=0
  while true; do
      free_kb=\$(df -k --output=avail "$build_dir" | tail -n 1)
      if [ "\$free_kb" -gt 64 ]; then n=\$((n + 1)); fallocate -l \$(( (free_kb - 32) * 1024 )) "$build_dir/filler-\$n" || true; fi
      sleep 0.2
  done ) &
filler=\$!
prune() {
    "$TINYX" prune --strategy group --kernel-src "$tree" --config "$start" \\
        --candidates "$WORK/candidates" --initrd "$WORK/image/initramfs.cpio.gz" --forward 80 \\
        --host-test '$HTTPD_HOST_TEST' \\
        --accel tcg --timeout 120 --repeat 1 --image-store "$WORK/store" --out "$WORK/prune" "\$@"
}
status=0
prune >"$WORK/full.out" 2>"$WORK/full.err" || status=\$?
kill \$filler
echo "\$status" > "$WORK/full.status"
[ -e "$WORK/prune/report.json" ] && echo "a report.json after the fault" > "$WORK/report-after-fault"
cp "$WORK/prune/journal.jsonl" "$WORK/journal-after-fault.jsonl" 2>/dev/null || true
rm -f "$build_dir"/filler-*
prune --resume >"$WORK/resume.out" 2>"$WORK/resume.err"
SH
mkdir "$WORK/original"
unshare -m --propagation private bash "$WORK/body.sh" || { tail -n 20 "$WORK"/*.err >&2; fail "the resumed run failed"; }

[ "$(cat "$WORK/full.status")" = 75 ] || { tail -n 20 "$WORK/full.err" >&2; fail "the full disk gave exit $(cat "$WORK/full.status"), not 75"; }
expect_grep "^tinyx: error: the kernel build in .* failed: the disk is full" "$WORK/full.err"
[ ! -e "$WORK/report-after-fault" ] || fail "the run that stopped on a full disk left a report.json"
python3 - "$WORK/journal-after-fault.jsonl" "$WORK/prune" <<'PY' || fail "journal or report"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
header, trials = lines[0], lines[1:]
assert "tinyx_prune_journal" in header, header
# Only trials that finished are journaled, and none of them failed to build.
assert all(t["verdict"] != "build-failed" for t in trials), trials
report = json.load(open(f"{sys.argv[2]}/report.json"))
p = report["pruning"]
assert report["verdict"] == "pass"
assert p["removed"] == ["HW_RANDOM_VIRTIO"], p["removed"]
assert [k["symbol"] for k in p["kept"]] == ["VIRTIO_NET"], p["kept"]
assert p["replayed"] == len(trials), (p["replayed"], len(trials))
assert all(t["verdict"] != "build-failed" for t in report["trials"]), report["trials"]
PY
# The undisturbed result: the start config resolved without HW_RANDOM_VIRTIO.
{ cat "$start"; echo "# CONFIG_HW_RANDOM_VIRTIO is not set"; } > "$WORK/expected.in"
expect_status 0 "$TINYX" kconfig resolve --kernel-src "$tree" --in "$WORK/expected.in" --out "$WORK/expected.config"
cmp -s "$WORK/expected.config" "$WORK/prune/config" || { diff "$WORK/expected.config" "$WORK/prune/config" | head >&2; fail "the resumed run's config differs from the undisturbed one"; }
echo ok
