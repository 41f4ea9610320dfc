#!/usr/bin/env bash
# The kconfig differential test for arm64: tinyconfig, allnoconfig, defconfig and 12 randconfig
# seeds (each also perturbed) and the fragments, byte-identical to the kernel's
# `make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- olddefconfig`.
export TINYX_KCONFIG_ARCH=arm64
export TINYX_KCONFIG_SEEDS=${TINYX_KCONFIG_SEEDS:-$(seq 1 12)}
exec "$(dirname "$0")/test_kconfig_differential.sh" "$@"
