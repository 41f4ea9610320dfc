#!/usr/bin/env bash
# tinyx kconfig on a small fixture tree: resolve, why, diff, and the bad-input exits.
source "$(dirname "$0")/../common.sh"

tree="$WORK/linux"
mkdir -p "$tree/scripts/kconfig" "$tree/arch/x86"
printf 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 7\nEXTRAVERSION =\n' >"$tree/Makefile"
cat >"$tree/Kconfig" <<'KC'
mainmenu "Linux/$(ARCH) $(KERNELVERSION) Kernel Configuration"
source "arch/$(SRCARCH)/Kconfig"
config MODULES
	bool "modules"
	modules
menu "Networking"
config NET
	bool "net"
	default y
config VIRTIO_NET
	tristate "virtio net"
	depends on NET
	select CRC
endmenu
config CRC
	tristate
config NAME
	string "name"
	default "tiny"
KC
printf 'config X86\n\tdef_bool y\n' >"$tree/arch/x86/Kconfig"
printf 'CONFIG_MODULES=y\nCONFIG_VIRTIO_NET=m\nCONFIG_BOGUS=y\n' >"$WORK/in.config"

expect_status 0 "$TINYX" kconfig resolve --kernel-src "$tree" --in "$WORK/in.config" --out "$WORK/out.config"
expect_grep "unknown symbol: BOGUS" "$WORK/err"
cat >"$WORK/expected" <<'EOF2'
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86_64 6.1.7 Kernel Configuration
#
CONFIG_X86=y
CONFIG_MODULES=y

#
# Networking
#
CONFIG_NET=y
CONFIG_VIRTIO_NET=m
# end of Networking

CONFIG_CRC=m
CONFIG_NAME="tiny"
EOF2
cmp "$WORK/expected" "$WORK/out.config" || { diff "$WORK/expected" "$WORK/out.config" >&2; fail "resolve output differs"; }

expect_status 0 "$TINYX" kconfig resolve --minimal --kernel-src "$tree" --in "$WORK/in.config" --out "$WORK/min.config"
[ "$(cat "$WORK/min.config")" = "$(printf 'CONFIG_MODULES=y\nCONFIG_VIRTIO_NET=m')" ] || fail "unexpected savedefconfig output: $(cat "$WORK/min.config")"

expect_status 0 "$TINYX" kconfig why --kernel-src "$tree" --config "$WORK/out.config" CONFIG_CRC
expect_first_line "CONFIG_CRC=m" "$WORK/out"
expect_grep "VIRTIO_NET (m)" "$WORK/out"
expect_grep "not user-assignable" "$WORK/out"
expect_status 0 "$TINYX" kconfig why --kernel-src "$tree" --config "$WORK/out.config" VIRTIO_NET
expect_grep "menu: *Networking" "$WORK/out"
expect_grep "NET = y" "$WORK/out"
expect_status 2 "$TINYX" kconfig why --kernel-src "$tree" --config "$WORK/out.config" NO_SUCH
expect_first_line "tinyx: error: unknown symbol NO_SUCH" "$WORK/err"

printf 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x"\n' >"$WORK/a.config"
printf 'CONFIG_A=m\nCONFIG_C="x"\nCONFIG_D=y\n' >"$WORK/b.config"
expect_status 0 "$TINYX" kconfig diff "$WORK/a.config" "$WORK/b.config"
[ "$(cat "$WORK/out")" = "$(printf '~ CONFIG_A: y -> m\n- CONFIG_B=n\n+ CONFIG_D=y')" ] || fail "unexpected diff output: $(cat "$WORK/out")"

# Bad input: missing tree, unknown arch, missing input, Kconfig syntax error.
expect_status 2 "$TINYX" kconfig resolve --kernel-src "$WORK/nope" --in "$WORK/in.config" --out "$WORK/x"
expect_first_line "tinyx: error: --kernel-src $WORK/nope" "$WORK/err"
expect_status 2 "$TINYX" kconfig resolve --kernel-src "$tree" --arch vax --in "$WORK/in.config" --out "$WORK/x"
expect_first_line "tinyx: error: --arch vax" "$WORK/err"
expect_status 2 "$TINYX" kconfig resolve --kernel-src "$tree" --in "$WORK/missing.config" --out "$WORK/x"
expect_first_line "tinyx: error: --in $WORK/missing.config" "$WORK/err"
printf 'config BROKEN\n\tbool "b"\n\tdepends on (X\n' >>"$tree/arch/x86/Kconfig"
expect_status 2 "$TINYX" kconfig resolve --kernel-src "$tree" --in "$WORK/in.config" --out "$WORK/x"
expect_first_line "tinyx: error: arch/x86/Kconfig:5: syntax error" "$WORK/err"
[ ! -e "$WORK/x" ] || fail "an output was written despite the error"

expect_status 0 "$TINYX" kconfig resolve --help
expect_grep "Example:" "$WORK/out"
expect_status 0 "$TINYX" kconfig --help
expect_grep "Example:" "$WORK/out"
