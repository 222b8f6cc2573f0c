#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the KUnit kernel once per machine: Debian's kernel source, configured
# as allnoconfig plus tests/kunit/kunit.config. The result is cached and
# rebuilt only when the fragment or the source package changes.
#
# Prints the build directory (usable as KDIR for the module) on stdout.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

frag=$here/kunit.config
tarball=$(ls /usr/src/"$DMR_KUNIT_SRC_PKG".tar.xz 2>/dev/null) ||
	die "$DMR_KUNIT_SRC_PKG is not installed (run make deps)"

# The cache key covers the fragment and the exact source package version.
srcver=$(dpkg-query -W -f='${Version}' "$DMR_KUNIT_SRC_PKG")
key=$( { cat "$frag"; echo "$srcver"; } | sha256sum | cut -c1-16)
src=$DMR_CACHE/src/$DMR_KUNIT_SRC_PKG
out=$DMR_CACHE/kunit-$key

if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

if [ ! -f "$src/.done" ]; then
	log "unpacking $tarball"
	rm -rf "$src" && mkdir -p "$DMR_CACHE/src"
	tar -C "$DMR_CACHE/src" -xf "$tarball"
	touch "$src/.done"
fi

log "building the KUnit kernel in $out (once per machine, several minutes)"
rm -rf "$out" && mkdir -p "$out"
make -s -C "$src" O="$out" allnoconfig >/dev/null
"$src"/scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" olddefconfig >/dev/null

# Every option the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%=n}
		grep -q "^$opt=" "$out/.config" && { log "kept: $opt"; bad=1; } ;;
	CONFIG_*) grep -qxF "$line" "$out/.config" || { log "dropped: $line"; bad=1; } ;;
	esac
done < "$frag"
[ "$bad" = 0 ] || die "tests/kunit/kunit.config does not apply cleanly"

make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "KUnit kernel build failed"; }
touch "$out/.done"
echo "$out"
