# Shared by the black-box tests: strict mode, a scratch directory kept on
# failure, and small assertion helpers. Exit 125 = skipped (CTest SKIP_RETURN_CODE).
set -eu -o pipefail
: "${TINYX:?TINYX must point at the tinyx binary}"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tinyx-$TEST_NAME-XXXXXX")
trap 'status=$?; if [ $status -eq 0 ] || [ $status -eq 125 ]; then rm -rf "$WORK"; else echo "FAILED at line $LINENO (status $status); evidence kept in $WORK" >&2; fi' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 125; }

# kernel_tree: the linux-source-6.1 tree the kconfig tests read ($TINYX_KERNEL_SRC, else tinyx's
# cache, extracted from Debian's tarball by tinyx itself on first use). Without one the test is
# skipped, unless TINYX_REQUIRE_KERNEL_TREE=1 (scripts/test sets it: scripts/setup installs the
# tarball, so a missing tree there is a failure, not a reason to pass without testing).
kernel_tree() {
    local src=${TINYX_KERNEL_SRC:-${TINYX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyx}/kernel-src/linux-source-6.1}
    local tarball=/usr/src/linux-source-6.1.tar.xz
    if [ ! -f "$src/Kconfig" ] && [ -z "${TINYX_KERNEL_SRC:-}" ] && [ -f "$tarball" ]; then
        : >"$WORK/empty.config"
        "$TINYX" kconfig resolve --kernel-src "$tarball" --in "$WORK/empty.config" --out "$WORK/extract.config" >&2 ||
            fail "tinyx could not use $tarball"
    fi
    if [ ! -f "$src/Kconfig" ] || [ ! -f "$src/Makefile" ]; then
        [ "${TINYX_REQUIRE_KERNEL_TREE:-0}" = 1 ] && fail "no kernel tree at $src (TINYX_REQUIRE_KERNEL_TREE=1)"
        skip "no kernel tree at $src"
    fi
    echo "$src"
}

# expect_status N CMD...: run CMD, capture stdout/stderr into $WORK/out, $WORK/err, require exit N.
expect_status() {
    local want=$1; shift
    local got=0
    "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
    if [ "$got" != "$want" ]; then
        echo "command: $*" >&2; echo "--- stdout" >&2; tail -n 30 "$WORK/out" >&2
        echo "--- stderr" >&2; tail -n 30 "$WORK/err" >&2
        fail "expected exit $want, got $got"
    fi
}
expect_grep() { grep -q -- "$1" "$2" || { echo "--- $2:" >&2; tail -n 30 "$2" >&2; fail "'$1' not found in $2"; }; }
expect_first_line() {
    local first; first=$(head -n 1 "$2")
    case "$first" in "$1"*) ;; *) fail "first line of $2 is '$first', expected it to start with '$1'";; esac
}
