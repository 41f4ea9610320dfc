#!/usr/bin/env bash
# The global contract: --help lists every command, --version, unknown commands and flags exit 2.
source "$(dirname "$0")/../common.sh"

expect_status 0 "$TINYX" --help
for command in build rootfs boot prune kconfig profile; do
    grep -qE "^  $command( |$)" "$WORK/out" || fail "--help does not list $command"
done

expect_status 0 "$TINYX" --version
grep -qE '^tinyx [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out" || fail "--version prints '$(cat "$WORK/out")'"

expect_status 2 "$TINYX" frobnicate
expect_first_line "tinyx: error:" "$WORK/err"
expect_grep "frobnicate" "$WORK/err"

expect_status 2 "$TINYX" boot --no-such-flag
expect_first_line "tinyx: error:" "$WORK/err"

expect_status 2 "$TINYX"
expect_first_line "tinyx: error:" "$WORK/err"

for command in build rootfs boot prune kconfig profile; do
    expect_status 0 "$TINYX" "$command" --help
    grep -qi "example" "$WORK/out" || fail "'tinyx $command --help' shows no example"
done
echo ok
