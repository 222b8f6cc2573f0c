#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything dm-replica needs to build and to test in QEMU, from
# Debian's package registry only. Idempotent: when everything is present it
# only checks and returns.
#
# Kernel images for the test VMs are unpacked into the cache with
# "apt-get download" + "dpkg -x"; they are never installed into /boot.
# Their headers are installed normally (linux-headers-*), since the module is
# built against them.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

host_pkgs=(build-essential make gcc bc bison flex kmod cpio xz-utils
	libelf-dev libssl-dev dwarves python3 rsync
	libdevmapper-dev libblkid-dev dmsetup qemu-system-x86 busybox-static
	sparse shellcheck dkms mdadm btrfs-progs fio)

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		apt-get update -qq
		apt_updated=1
	fi
}

missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

# Resolve the versioned package names through the metapackages, so that a
# new Debian point release with a new kernel ABI needs no change here.
resolve() {
	# $1: metapackage, $2: prefix of the dependency to return
	apt-cache depends "$1" 2>/dev/null |
		awk -v p="$2" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

images=()
for meta in "${DMR_KERNEL_METAS[@]}"; do
	img=$(resolve "$meta" linux-image-)
	if [ -z "$img" ]; then
		apt_update_once
		img=$(resolve "$meta" linux-image-)
	fi
	[ -n "$img" ] || die "cannot resolve $meta through apt-cache"
	images+=("$img")
	hdr=${img/linux-image-/linux-headers-}
	dpkg-query -W -f='${Status}' "$hdr" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$hdr")
done

srcpkg=$DMR_KUNIT_SRC_PKG
dpkg-query -W -f='${Status}' "$srcpkg" 2>/dev/null | grep -q 'ok installed' ||
	missing+=("$srcpkg")

if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

# Unpack each kernel image into the cache, once.
mkdir -p "$DMR_CACHE/kernels"
for img in "${images[@]}"; do
	ver=${img#linux-image-}
	dst=$DMR_CACHE/kernels/$ver
	[ -f "$dst/.done" ] && continue
	log "unpacking $img into $dst"
	rm -rf "$dst" && mkdir -p "$dst"
	(cd "$dst" && apt-get download -qq "$img" >/dev/null)
	dpkg -x "$dst"/*.deb "$dst/root"
	rm -f "$dst"/*.deb
	touch "$dst/.done"
done

# dm-clone for make bench, which compares dm-replica's clones with it:
# Debian's kernels leave CONFIG_DM_CLONE unset, so it is built here, once,
# from the kernel source package, for each stock kernel built from that
# same source version (the module uses the kernel's internal interfaces).
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
for img in "${images[@]}"; do
	ver=${img#linux-image-}
	dst=$DMR_CACHE/dm-clone/$ver
	[ -f "$dst/dm-clone.ko" ] && continue
	grep -q '^CONFIG_DM_CLONE=' "$DMR_CACHE/kernels/$ver/root/boot/config-$ver" && continue
	[ "$(dpkg-query -W -f='${Version}' "linux-headers-$ver")" = "$srcver" ] || continue
	log "building dm-clone.ko for $ver from $srcpkg $srcver"
	rm -rf "$dst" && mkdir -p "$dst/src"
	tar -C "$dst/src" --strip-components=1 -xJf "/usr/src/$srcpkg.tar.xz" \
		"$srcpkg/drivers/md"
	md=$dst/src/drivers/md
	mkdir "$dst/build"
	cp "$md"/dm-clone-{target.c,metadata.c,metadata.h} "$dst/build/"
	printf 'obj-m := dm-clone.o\ndm-clone-y := dm-clone-target.o dm-clone-metadata.o\nccflags-y := -I%s\n' \
		"$md" >"$dst/build/Kbuild"
	# Only the bench needs it: a failure leaves its dm-clone rows absent.
	if ! make -s -C "/usr/src/linux-headers-$ver" M="$dst/build" modules \
		>"$dst/build.log" 2>&1; then
		log "building dm-clone.ko failed (see $dst/build.log): make bench shows it absent"
		rm -rf "$dst/src" "$dst/build"
		continue
	fi
	strip --strip-debug -o "$dst/dm-clone.ko" "$dst/build/dm-clone.ko"
	rm -rf "$dst/src" "$dst/build"
done

# Record the resolved versions for the other scripts.
printf '%s\n' "${images[@]#linux-image-}" > "$DMR_CACHE/kernels/list"
log "deps ok: kernels $(tr '\n' ' ' < "$DMR_CACHE/kernels/list")"
