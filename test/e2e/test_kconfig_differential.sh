#!/usr/bin/env bash
# Differential test: `tinyx kconfig resolve` must write exactly the bytes the kernel's own
# `make ARCH=x86_64 olddefconfig` writes, for generated configs (tinyconfig, allnoconfig,
# defconfig, randconfig seeds), perturbed copies of them and small fragments.
# TINYX_KCONFIG_ARCH=arm64 (test_kconfig_differential_arm64.sh) does the same against
# `make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- olddefconfig`, as a cross build runs it.
# The kernel's outputs are cached per input hash under the build dir, so reruns are quick.
source "$(dirname "$0")/../common.sh"

SRC=$(kernel_tree) # extracted by tinyx from Debian's tarball on first use
require_program make
ARCH=${TINYX_KCONFIG_ARCH:-x86_64}
case $ARCH in
x86_64) MAKE_VARS=(ARCH=x86_64) ;;
arm64)
    # The cross compiler answers Kconfig's $(cc-option ...) questions for an arm64 kernel.
    require_program aarch64-linux-gnu-gcc
    MAKE_VARS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
    ;;
*) fail "TINYX_KCONFIG_ARCH=$ARCH: not an architecture this test knows" ;;
esac
SEEDS=${TINYX_KCONFIG_SEEDS:-$(seq 1 22)}
CACHE=${TINYX_BINARY_DIR:-$WORK}/kconfig-reference-$ARCH
# One build directory for every make call: the kernel's conf tool is compiled once, not per config.
O=$WORK/o
mkdir -p "$CACHE" "$O"

# make_config TARGET [SEED]: a config the kernel generates (cached by target and seed).
make_config() {
    local target=$1 seed=${2:-} out="$CACHE/gen-$1${2:+-$2}.config"
    if [ ! -s "$out" ]; then
        rm -f "$O/.config"
        KCONFIG_SEED=$seed make -s -C "$SRC" O="$O" "${MAKE_VARS[@]}" "$target" >"$O/log" 2>&1 ||
            { cat "$O/log" >&2; fail "make $target failed"; }
        cp "$O/.config" "$out.tmp" && mv "$out.tmp" "$out"
    fi
    echo "$out"
}

# reference INPUT: path of the kernel's olddefconfig output for INPUT (cached by content).
reference() {
    local hash; hash=$(sha256sum <"$1" | cut -c1-32)
    local out="$CACHE/ref-$hash.config"
    if [ ! -f "$out" ]; then
        cp "$1" "$O/.config"
        make -s -C "$SRC" O="$O" "${MAKE_VARS[@]}" olddefconfig >"$O/log" 2>&1 ||
            { cat "$O/log" >&2; fail "make olddefconfig failed on $1"; }
        cp "$O/.config" "$out.tmp" && mv "$out.tmp" "$out"
    fi
    echo "$out"
}

failures=0
cases=0
check() {
    local name=$1 input=$2 ref
    ref=$(reference "$input")
    cases=$((cases + 1))
    if ! "$TINYX" kconfig resolve --kernel-src "$SRC" --arch "$ARCH" --in "$input" --out "$WORK/$name.out" 2>"$WORK/$name.err"; then
        cat "$WORK/$name.err" >&2
        echo "FAIL $name: tinyx kconfig resolve exited non-zero" >&2
        failures=$((failures + 1))
        return
    fi
    if ! cmp -s "$ref" "$WORK/$name.out"; then
        cp "$input" "$WORK/$name.in"
        echo "FAIL $name: differs from make olddefconfig (input $WORK/$name.in)" >&2
        diff "$ref" "$WORK/$name.out" | head -n 20 >&2 || true
        failures=$((failures + 1))
    fi
}

# perturb INPUT SEED: drop ~8% of the lines, flip ~5% of the values, add unknown symbols.
perturb() {
    awk -v seed="$2" 'BEGIN { srand(seed) }
        /^CONFIG_|^# CONFIG_/ {
            r = rand()
            if (r < 0.08) next
            if (r < 0.13) {
                if ($0 ~ /=y$/) { sub(/^CONFIG_/, "# CONFIG_"); sub(/=y$/, " is not set"); print; next }
                if ($0 ~ /=m$/) { sub(/=m$/, "=y"); print; next }
                if ($0 ~ / is not set$/) { sub(/^# /, ""); sub(/ is not set$/, "=y"); print; next }
            }
        }
        { print }
        END { print "CONFIG_TINYX_NO_SUCH_SYMBOL_" seed "=y"; print "# CONFIG_TINYX_NOT_THERE is not set" }' "$1"
}

bases=("tinyconfig:$(make_config tinyconfig)" "allnoconfig:$(make_config allnoconfig)" "defconfig:$(make_config defconfig)")
for seed in $SEEDS; do
    bases+=("rand$seed:$(make_config randconfig "$seed")")
done

for entry in "${bases[@]}"; do
    name=${entry%%:*} file=${entry#*:}
    check "$name" "$file"
    perturb "$file" "${#name}$cases" >"$WORK/$name-perturbed.config"
    check "$name-perturbed" "$WORK/$name-perturbed.config"
done

# Small fragments: olddefconfig fills in everything else.
fragment() { printf '%b' "$2" >"$WORK/frag-$1.config"; check "frag-$1" "$WORK/frag-$1.config"; }
fragment empty ''
fragment modules 'CONFIG_MODULES=y\nCONFIG_VIRTIO_NET=m\nCONFIG_VIRTIO_PCI=y\nCONFIG_PCI=y\n'
fragment no-modules-tristate 'CONFIG_MODULES=n\nCONFIG_EXT4_FS=m\n'
fragment kvm-guest 'CONFIG_HYPERVISOR_GUEST=y\nCONFIG_PARAVIRT=y\nCONFIG_KVM_GUEST=y\nCONFIG_VIRTIO_BLK=y\nCONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n'
fragment choice 'CONFIG_KERNEL_XZ=y\nCONFIG_PREEMPT=y\nCONFIG_HZ_300=y\n'
fragment choice-conflict 'CONFIG_KERNEL_XZ=y\nCONFIG_KERNEL_GZIP=y\n# CONFIG_HZ_250 is not set\n'
fragment strings 'CONFIG_CMDLINE_BOOL=y\nCONFIG_CMDLINE="console=ttyS0 \\\\"quoted\\\\" back\\\\\\\\slash"\nCONFIG_LOCALVERSION="-tinyx"\n'
fragment numbers 'CONFIG_SMP=y\nCONFIG_NR_CPUS=100000\nCONFIG_PHYSICAL_START=0x2000000\nCONFIG_LOG_BUF_SHIFT=5\n'
fragment bad-values 'CONFIG_SMP=maybe\nCONFIG_NR_CPUS=abc\nCONFIG_LOCALVERSION=unquoted\ngarbage line\nCONFIG_PHYSICAL_ALIGN=0x\n'
fragment select-forced '# CONFIG_DEBUG_KERNEL is not set\nCONFIG_EXPERT=y\n'
fragment dos-lines 'CONFIG_NET=y\r\nCONFIG_INET=y\r\n'
fragment 32bit '# CONFIG_64BIT is not set\nCONFIG_HIGHMEM4G=y\n'
fragment arm64-virt 'CONFIG_SERIAL_AMBA_PL011=y\nCONFIG_SERIAL_AMBA_PL011_CONSOLE=y\nCONFIG_PCI=y\nCONFIG_PCI_HOST_GENERIC=y\nCONFIG_VIRTIO_CONSOLE=y\nCONFIG_ARM64_64K_PAGES=y\n'
fragment arm64-choices 'CONFIG_ARM64_VA_BITS_39=y\nCONFIG_ARM64_16K_PAGES=y\nCONFIG_CPU_BIG_ENDIAN=y\nCONFIG_ARM64_PTR_AUTH=n\n'

echo "$ARCH: $cases cases, $failures failures"
[ "$failures" -eq 0 ] || fail "$failures of $cases configs differ from make olddefconfig"
