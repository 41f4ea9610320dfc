# Shared settings and helpers of the benchmark stages (sourced, not run).
#
# Environment (all optional):
#   OUT       output directory (default: out/bench in the repository)
#   TINYX     the tinyx binary (default: build/tinyx)
#   ACCEL     auto (default: KVM when it works, else TCG, as `tinyx boot --accel auto`), kvm or tcg
#   APPS      apps of the size stage (default: "go-hello nginx redis"); an app NAME is defined by
#             profiles/apps/NAME.json when it exists, else by bench/apps.json
#   KERNEL    kernel for apps without a build output (default: the nginx build output's bzImage)
#   BUILD_<name>  a `tinyx build --out` directory to take NAME's image from (default: $OUT/build/NAME;
#             '-' in the name becomes '_', e.g. BUILD_go_hello)
#   MEMORY    guest memory in MB for every VM of the latency and boot stages (default 256)
#   STOCK_KERNEL  Debian's stock kernel for the boot stage (default: newest /boot/vmlinuz-*)
#   MIRROR, SUITE  Debian mirror and suite of the Debian VM images (deb.debian.org, bookworm)
set -eu -o pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
TINYX=${TINYX:-$ROOT/build/tinyx}
OUT=${OUT:-$ROOT/out/bench}
ACCEL=${ACCEL:-auto}
APPS=${APPS:-go-hello nginx redis}
MEMORY=${MEMORY:-256}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-bookworm}
# Debian's python3 has python3-matplotlib (a pyenv or venv python3 earlier in PATH may not).
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
# The commit every artifact of this run is made at (with -dirty for uncommitted changes):
# stages record it, and the report labels any figure made at another commit as stale.
COMMIT=${COMMIT:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)}
export TINYX OUT ACCEL MEMORY BENCH ROOT PYTHON COMMIT
# libguestfs (virt-make-fs, tinyx rootfs --format qcow2) without KVM and without root.
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
[ -w /dev/kvm ] || export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

mkdir -p "$OUT/json" "$OUT/logs"
OUT=$(cd "$OUT" && pwd)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

[ -x "$TINYX" ] || die "no tinyx binary at $TINYX (run scripts/setup, or set TINYX)"

# The Go server of the survey's example, built with Debian's golang-go and default settings
# (cgo on: dynamically linked against libc). Not under /tmp: tinyx keeps an ELF's host path in
# the guest, and the guest mounts a tmpfs on /tmp.
GO_HELLO=$OUT/apps/go-hello/go-hello
ensure_go_hello() {
    [ -x "$GO_HELLO" ] && [ "$GO_HELLO" -nt "$BENCH/go-hello/main.go" ] && return 0
    command -v go >/dev/null || die "no Go compiler: run bench/setup-deps.sh"
    mkdir -p "$(dirname "$GO_HELLO")"
    log "building the Go server ($(go version | cut -d' ' -f3))"
    (cd "$BENCH/go-hello" && go build -o "$GO_HELLO" .)
}

# Loads one app's definition into APP_* shell variables (see bench/appspec.py).
load_app() {
    local spec
    spec=$(GO_HELLO="$GO_HELLO" python3 "$BENCH/appspec.py" "$1") || die "cannot load app $1"
    eval "$spec"
}

# The accelerator every VM of this run uses, decided once per output directory: with `auto`, a
# short `tinyx boot --accel auto` of the given image decides it (tinyx caches its KVM probe).
resolve_accel() {
    if [ "$ACCEL" != auto ]; then echo "$ACCEL"; return; fi
    if [ -s "$OUT/accel" ]; then cat "$OUT/accel"; return; fi
    if [ ! -w /dev/kvm ]; then echo tcg | tee "$OUT/accel"; return; fi
    "$TINYX" boot --kernel "$1" --initrd "$2" --accel auto --timeout 120 --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["accel"])' | tee "$OUT/accel"
}

# Median of numbers on stdin.
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.stdin.read().split()))'; }
