#!/usr/bin/env bash
# Trace-guided pruning on a real kernel. First the address -> option mapping
# (`tinyx kconfig code`) on the built start config: a function of a file built by
# obj-$(CONFIG_EPOLL) maps to EPOLL, one under net/ipv4/ to INET and NET. Then
# `tinyx prune --strategy trace` over two leaf drivers (cheap rebuilds; not the
# balloon driver, whose selects recompile most of mm/) with the BusyBox httpd image:
# the coverage boot sees the virtio-net driver run and the virtio-rng driver never
# run (QEMU gets no virtio-rng device), so the first trial removes exactly
# HW_RANDOM_VIRTIO (and passes) and VIRTIO_NET is tried alone (and
# fails: the host test cannot connect). report.json carries the coverage figures
# and the two confirmed predictions; --resume reuses the coverage.
source "$(dirname "$0")/../common.sh"
require_program python3 nm
start=$(test_kernel_start_config)

# Address -> function -> object -> option on a real build: build the start config in the kept
# build directory (the coverage boot below then finds it built) and ask.
expect_status 0 "$TINYX" build --kernel-only --out "$WORK/k"
expect_status 0 "$TINYX" kconfig code do_epoll_wait tcp_sendmsg virtnet_probe
expect_grep "^do_epoll_wait	do_epoll_wait	fs/eventpoll.o	EPOLL$" "$WORK/out"
expect_grep "^tcp_sendmsg	tcp_sendmsg	net/ipv4/tcp.o	INET,NET$" "$WORK/out"
expect_grep "drivers/net/virtio_net.o	VIRTIO_NET" "$WORK/out"
expect_status 1 "$TINYX" kconfig code no_such_function_anywhere
expect_grep "not in this kernel's text" "$WORK/err"
printf 'HW_RANDOM_VIRTIO\nVIRTIO_NET\n' >"$WORK/candidates"
httpd_example_image "$WORK/image" xz
host_test=$HTTPD_HOST_TEST
expect_status 0 "$TINYX" prune --strategy trace --config "$start" --candidates "$WORK/candidates" \
    --initrd "$WORK/image/initramfs.cpio.xz" --forward 80 --host-test "$host_test" --accel tcg --timeout 120 \
    --out "$WORK/prune"
expect_grep "coverage:" "$WORK/err"

python3 - "$WORK/prune" <<'PY' || fail "trace report"
import json, sys
out = sys.argv[1]
coverage = json.load(open(f"{out}/coverage.json"))
cands = coverage["candidates"]
assert cands["VIRTIO_NET"]["class"] == "ran", cands
assert any("virtio_net.o" in e for e in cands["VIRTIO_NET"]["evidence"]), cands["VIRTIO_NET"]
assert cands["HW_RANDOM_VIRTIO"]["class"] == "not-ran", cands  # QEMU gets no virtio-rng device
assert coverage["functions"]["executed"] > 1000 and coverage["functions"]["total"] > coverage["functions"]["executed"]
assert coverage["blocks"] > 10000, coverage["blocks"]

report = json.load(open(f"{out}/report.json"))
p = report["pruning"]
assert report["verdict"] == "pass" and p["strategy"] == "trace"
assert p["removed"] == ["HW_RANDOM_VIRTIO"], p["removed"]
assert [k["symbol"] for k in p["kept"]] == ["VIRTIO_NET"], p["kept"]
trials = report["trials"]
assert trials[1]["disabled"] == ["HW_RANDOM_VIRTIO"] and trials[1]["verdict"] == "pass", trials[1]
assert trials[2]["disabled"] == ["VIRTIO_NET"] and trials[2]["verdict"] != "pass", trials[2]
c = p["coverage"]
assert c["options"] == {"candidates": 2, "ran": 1, "not_ran": 1, "no_code": 0}, c["options"]
assert c["predictions"]["confirmed"] == 2 and c["predictions"]["made"] == 2, c["predictions"]
PY
grep -q "^# CONFIG_HW_RANDOM_VIRTIO is not set" "$WORK/prune/config" || fail "the final config still has HW_RANDOM_VIRTIO"

# --resume reuses the coverage instead of booting again.
expect_status 0 "$TINYX" prune --strategy trace --config "$start" --candidates "$WORK/candidates" \
    --initrd "$WORK/image/initramfs.cpio.xz" --forward 80 --host-test "$host_test" --accel tcg --timeout 120 \
    --out "$WORK/prune" --resume
expect_grep "coverage: reusing" "$WORK/err"

echo ok
