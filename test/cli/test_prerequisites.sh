#!/usr/bin/env bash
# scripts/test checks every prerequisite before it runs a test, and a missing one fails the
# run with its name (exit 2): nothing is skipped in silence. Here PATH holds every program
# the tests need but curl.
source "$(dirname "$0")/../common.sh"
bash "$TINYX_SOURCE_DIR/scripts/test" --check-prerequisites >"$WORK/out" 2>&1 || fail "prerequisites missing here: $(cat "$WORK/out")"

mkdir "$WORK/bin"
for p in bash qemu-system-x86_64 qemu-img redis-cli python3 cpio gzip xz zstd make gcc nm musl-gcc ccache \
         flex bison bc virt-make-fs unshare mount dpkg-query nproc dirname; do
    ln -s "$(command -v "$p")" "$WORK/bin/$p"
done
status=0
PATH=$WORK/bin bash "$TINYX_SOURCE_DIR/scripts/test" --check-prerequisites >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" = 2 ] || fail "expected exit 2 without curl, got $status"
expect_grep "test: error: missing prerequisites" "$WORK/err"
expect_grep "program curl" "$WORK/err"
if grep -q "program redis-cli" "$WORK/err"; then fail "named a program that is present"; fi
echo ok
