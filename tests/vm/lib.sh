# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Settings and helpers shared by the host-side scripts in tests/vm/.

# Where unpacked kernels, the KUnit kernel and built initramfs images live.
# One cache per machine, so that a fresh clone reuses it.
DMR_CACHE=${DMR_CACHE:-/var/cache/dm-replica}

# The two kernel lines Debian 12 ships, by metapackage (used by deps.sh).
# shellcheck disable=SC2034
DMR_KERNEL_METAS=(linux-image-amd64 linux-image-6.12-amd64)

# Source package the KUnit kernel is built from.
DMR_KUNIT_SRC_PKG=${DMR_KUNIT_SRC_PKG:-linux-source-6.1}

log() { printf '[dm-replica] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print the versions of the stock kernels unpacked by deps.sh, one a line.
stock_kernels() {
	cat "$DMR_CACHE/kernels/list"
}

# Make sure depmod has indexed an unpacked kernel's modules, once.
index_modules() {
	# $1: root of the unpacked kernel, $2: its release
	[ -f "$1/lib/modules/$2/modules.dep" ] || depmod -b "$1" "$2"
}
