#!/usr/bin/env bash
# The cheap pruning passes end to end (no kernel trials): the BusyBox httpd
# example, rebuilt from its shipped profile with `--prune --prune-what files,boot`
# and a noisy start command line.
# Files, traced (the default): one boot with the file trace (a host test) says what
# the app touched; the untouched files go in one trial; report.json says, for every
# candidate, what the trace predicted and whether it held. It loses what its host test
# does not need (NSS data, passwd/group, ...), keeps the page the test fetches, never
# touches protected files. Untraced (--file-search untraced), the group search over the
# same candidates proves the page needed by a trial, in more trials, removing no less.
# A guest test's trace (tinyx boot --trace-files) starts at the app: the init's own
# reads are not in it. Boot options: the start command line's parameters go, every
# boot-time saver is timed and kept only with a gain above the noise. The image
# passes its 3 verifying boots, and a rebuild from the new profile needs no trials
# and yields the same slim image and command line.
source "$(dirname "$0")/../common.sh"
require_program python3

host_test='curl -fsS http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q tinyx'
expect_status 0 "$TINYX" build --profile "$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json" --prune --prune-what files,boot \
    --forward 80 --host-test "$host_test" --append "loglevel=7 ignore_loglevel" --accel tcg --out "$WORK/slim"
python3 - "$WORK/slim" <<'PY' || fail "file pruning report"
import json, sys
out = sys.argv[1]
report = json.load(open(f"{out}/report.json"))
assert report["verdict"] == "pass" and report["verify"]["passed"] == 3, report["verify"]
assert report["pruning"] is None, "--prune-what files must not prune the kernel"
files = report["file_pruning"]
assert files["search"] == "traced", files["search"]
assert "/www/index.html" in files["kept_as_touched"], ("the page the test fetches is touched", files["kept_as_touched"])
trace = files["trace"]
removed = set(files["removed"])
assert trace["predicted_unneeded"] == trace["held"] + trace["wrong"] and trace["untested"] == trace["predicted_needed"], trace
for p in trace["predictions"]:
    if p["predicted"] == "unneeded":
        assert (p["outcome"] == "held") == (p["path"] in removed), p
    else:
        assert p["outcome"] == "untested" and p["path"] not in removed, p
# The traced boot is the first trial; the untouched files go together in the second.
assert files["trials"] <= 2 + 2 * trace["wrong"], files["trials"]
assert files["removed"], "nothing was removed"
assert "/etc/passwd" in files["removed"], files["removed"]  # httpd runs as root; nothing looks users up
for path in files["removed"]:
    assert not path.startswith("/etc/tinyx/") and path != "/init", path
assert files["trials"] >= 2 and files["mean_trial_seconds"] > 0, files
# Less content; the compressed image may still move a few bytes either way when only a few
# hundred bytes go (xz's output for nearly the same input): no more than that.
assert files["removed_content_bytes"] > 0, files
assert files["image_bytes_after"] <= files["image_bytes_before"] + 256, files
assert report["image"]["initramfs_bytes"] == files["image_bytes_after"]
manifest = json.load(open(f"{out}/manifest.json"))
paths = {f["path"]: f for f in manifest["files"]}
assert all(p not in paths for p in files["removed"]), "a removed file is still in the image"
assert "touched in the traced boot" in paths["/www/index.html"]["pruning"], paths["/www/index.html"]
assert paths["/init"]["pruning"].startswith("protected"), paths["/init"]
profile = json.load(open(f"{out}/profile.json"))
assert len(profile["app"]["excludes"]) >= len(files["removed"]), profile["app"]["excludes"]
boot = report["boot_option_pruning"]
assert sorted(boot["removed"]) == ["ignore_loglevel", "loglevel=7"], boot
assert len(boot["savers"]) == 6 and all(m["passed"] for m in boot["savers"]), boot["savers"]
for m in boot["savers"]:
    assert m["baseline_seconds"] > 0 and m["seconds"] > 0
    assert m["kept"] == (m["baseline_seconds"] - m["seconds"] > m["noise_seconds"]), m
assert boot["final"].split() == [m["option"] for m in boot["savers"] if m["kept"]], boot
assert profile["test"].get("append", "") == boot["final"], profile["test"]
print(f"removed {len(files['removed'])} files in {files['trials']} trials of {files['mean_trial_seconds']:.1f} s; "
      f"{files['image_bytes_before']} -> {files['image_bytes_after']} bytes")
PY
expect_grep "Files pruned from the image" "$WORK/slim/summary.md"
expect_grep "The file trace (one boot" "$WORK/slim/summary.md"
expect_grep "boot-time saver" "$WORK/slim/summary.md"

# The new profile rebuilds the slim image without trials.
expect_status 0 "$TINYX" build --profile "$WORK/slim/profile.json" --accel tcg --out "$WORK/again"
expect_grep '"file_pruning": null' "$WORK/again/report.json"
expect_grep '"boot_option_pruning": null' "$WORK/again/report.json"
python3 - "$WORK" <<'PY' || fail "the rebuilt image boots with another command line"
import json, sys
a, b = (json.load(open(f"{sys.argv[1]}/{d}/profile.json"))["test"].get("append", "") for d in ("slim", "again"))
sys.exit(a != b)
PY
cmp -s "$WORK/slim/initramfs.cpio.xz" "$WORK/again/initramfs.cpio.xz" || fail "the rebuilt image differs from the pruned one"

# Untraced over the same candidates: a trial proves the page needed; more trials; no fewer removals.
expect_status 0 "$TINYX" build --profile "$TINYX_SOURCE_DIR/profiles/apps/busybox-httpd.json" --prune --prune-what files \
    --file-search untraced --forward 80 --host-test "$host_test" --verify 1 --accel tcg --out "$WORK/untraced"
python3 - "$WORK" <<'PY' || fail "traced and untraced file pruning"
import json, sys
traced, untraced = (json.load(open(f"{sys.argv[1]}/{d}/report.json"))["file_pruning"] for d in ("slim", "untraced"))
assert untraced["search"] == "untraced" and untraced["trace"] is None, untraced["search"]
assert untraced["candidates"] == traced["candidates"], (untraced["candidates"], traced["candidates"])
kept = {k["path"]: k for k in untraced["kept"]}
assert "/www/index.html" in kept and kept["/www/index.html"]["trial"] >= 1, untraced["kept"]
assert set(traced["removed"]) <= set(untraced["removed"]), set(traced["removed"]) - set(untraced["removed"])
assert traced["trials"] < untraced["trials"], (traced["trials"], untraced["trials"])
print(f"traced: {traced['trials']} trials, untraced: {untraced['trials']} trials")
PY

# A guest test's trace, from the app's start: the page it fetches, not the init's own config
# (on the gathered image: the pruned one has no shell left for a guest test).
expect_status 0 "$TINYX" rootfs --app busybox-static --run "busybox httpd -f -p 80 -h /www" \
    --include "$TINYX_SOURCE_DIR/profiles/examples/busybox-httpd/www:/www" --out "$WORK/gathered"
expect_status 0 "$TINYX" boot --kernel "$WORK/slim/bzImage" --initrd "$WORK/gathered/initramfs.cpio.gz" --wait-port 80 \
    --guest-test 'wget -qO- http://127.0.0.1/ | grep -q tinyx' --trace-files --accel tcg
expect_grep "^f /www/index.html$" "$WORK/out"
! grep -q "/etc/tinyx/init.conf" "$WORK/out" || fail "the trace holds what the init read before the app started"
echo ok
