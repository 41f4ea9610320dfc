# Shared by the black-box tests: strict mode, a scratch directory kept on
# failure, and small assertion helpers. A test never skips: a missing prerequisite
# fails it with the prerequisite's name (scripts/setup installs every one).
set -eu -o pipefail
: "${TINYX:?TINYX must point at the tinyx binary}"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tinyx-$TEST_NAME-XXXXXX")
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "FAILED at line $LINENO (status $status); evidence kept in $WORK" >&2; fi' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# require_program NAME...: each must be in PATH.
require_program() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null || fail "prerequisite missing: $p (scripts/setup installs it)"
    done
}
# require_package NAME...: each Debian package must be installed.
require_package() {
    local p
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
            fail "prerequisite missing: Debian package $p (scripts/setup installs it)"
    done
}
# stock_kernel: the newest Debian kernel in /boot (found, never named by version).
stock_kernel() {
    local kernel
    kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$kernel" ] && [ -r "$kernel" ] || fail "prerequisite missing: a kernel in /boot (Debian package linux-image-amd64)"
    echo "$kernel"
}

# kernel_tree: the linux-source-6.1 tree the kconfig tests read ($TINYX_KERNEL_SRC, else tinyx's
# cache, extracted from Debian's tarball by tinyx itself on first use). Without one the test fails.
kernel_tree() {
    local src=${TINYX_KERNEL_SRC:-${TINYX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyx}/kernel-src/linux-source-6.1}
    local tarball=/usr/src/linux-source-6.1.tar.xz
    if [ ! -f "$src/Kconfig" ] && [ -z "${TINYX_KERNEL_SRC:-}" ] && [ -f "$tarball" ]; then
        : >"$WORK/empty.config"
        "$TINYX" kconfig resolve --kernel-src "$tarball" --in "$WORK/empty.config" --out "$WORK/extract.config" >&2 ||
            fail "tinyx could not use $tarball"
    fi
    if [ ! -f "$src/Kconfig" ] || [ ! -f "$src/Makefile" ]; then
        fail "prerequisite missing: a kernel tree at $src (Debian package linux-source-6.1, extracted by scripts/test)"
    fi
    echo "$src"
}

# The pruning tests' setup: the test kernel's start config (built once by the fixture), the
# kept kernel build directory it left (incremental trial builds start from it), and the
# BusyBox httpd example image with the host test that checks it.
test_kernel_start_config() {
    local kernel
    kernel=$("$TINYX_SOURCE_DIR/test/fixtures/test-kernel.sh") || fail "could not build the test kernel"
    [ -f "$(dirname "$kernel")/config" ] || fail "the test kernel's config is missing next to $kernel"
    echo "$(dirname "$kernel")/config"
}
kept_kernel_build_dir() {
    local cache=${TINYX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyx} dir
    dir=$(ls -td "$cache"/kernel-build/*-x86_64 2>/dev/null | head -n 1)
    [ -n "$dir" ] && [ -f "$dir/vmlinux" ] || fail "no kept kernel build directory in $cache/kernel-build"
    echo "$dir"
}
# hidden_set_oracle FILE: a --check-config oracle that passes iff every option of $HIDDEN is on.
hidden_set_oracle() {
    cat >"$1" <<'ORACLE'
#!/bin/sh
for s in $HIDDEN; do grep -q "^CONFIG_$s=[ym]\$" "$1" || { echo "missing CONFIG_$s"; exit 1; }; done
ORACLE
    chmod +x "$1"
}
HTTPD_HOST_TEST='curl -fsS --max-time 10 http://$TINYX_HOST:$TINYX_PORT_80/ | grep -q tinyx'
httpd_example_image() { # OUT_DIR COMPRESSION
    expect_status 0 "$TINYX" rootfs --app busybox-static --run "busybox httpd -f -p 80 -h /www" \
        --include "$TINYX_SOURCE_DIR/profiles/examples/busybox-httpd/www:/www" --no-busybox --compression "$2" --out "$1"
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
