#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the test VM:
#
#   mkinitramfs.sh KVER MODROOT MODULE OUT
#
# KVER     release of the kernel it boots
# MODROOT  root of that kernel's unpacked modules (with lib/modules/KVER),
#          or "-" when every module the tests need is built in
# MODULE   dm-replica.ko built for that kernel
# OUT      the gzip'd cpio archive to write
#
# It holds busybox, dmsetup and replicactl with their libraries, the
# kernel modules the tests need with their dependencies, dm-replica.ko,
# the selftests and their helper programs, and tests/vm/init as /init.
# With DMR_INITRAMFS_BENCH=1 it also holds fio with its libraries and the
# benchmark (make bench): about 80 MiB more, which the test VMs would only
# spend boot time unpacking.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

[ $# = 4 ] || die "usage: mkinitramfs.sh KVER MODROOT MODULE OUT"
kver=$1 modroot=$2 module=$3 out=$4

# Modules of the stock kernels the tests load, by name; modprobe resolves
# their dependencies.
want_modules=(dm-mod dm-zero dm-bufio libcrc32c crc32c_generic dm-snapshot dm-thin-pool dm-bufio dm-flakey brd null_blk loop
	configfs dm-delay md-mod raid1 virtio_pci virtio_blk)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,lib,lib64,usr/lib,proc,sys,dev,tmp,selftests,etc}
ln -s lib "$root/usr/lib64"

cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

# copy_bin FILE: copy a dynamically linked program and its libraries.
copy_bin() {
	install -m 0755 "$1" "$root/bin/$(basename "$1")"
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
copy_bin "$(command -v dmsetup)"
# replicactl with libdevmapper and libblkid (ldd finds both).
copy_bin "$top/tools/replicactl/replicactl"
case $(ldd "$top/tools/replicactl/replicactl") in
*libblkid*) ;;
*) die "replicactl is not linked with libblkid" ;;
esac
# Signatures for the format tests: an md RAID member, a btrfs filesystem.
copy_bin "$(command -v mdadm)"
copy_bin "$(command -v mkfs.btrfs)"
# A terminal for replicactl's progress bar (bsdutils, always installed).
copy_bin "$(command -v script)"

# Kernel modules.
mdir=$root/lib/modules/$kver
mkdir -p "$mdir/extra"
if [ "$modroot" != - ]; then
	for m in "${want_modules[@]}"; do
		modprobe -d "$modroot" -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r ko; do
		rel=${ko#"$modroot"/lib/modules/"$kver"/}
		dst=$mdir/${rel%.xz}
		mkdir -p "$(dirname "$dst")"
		case $ko in
		*.xz) xz -dc "$ko" >"$dst" ;;
		*) cp "$ko" "$dst" ;;
		esac
	done
	cp "$modroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$mdir/" 2>/dev/null || true
fi
cp "$module" "$mdir/extra/dm-replica.ko"
# A kernel with everything built in has no module lists: make empty ones.
touch "$mdir"/modules.{order,builtin,builtin.modinfo}
depmod -b "$root" "$kver"

# Selftests and their helpers.
cp "$top"/tests/selftests/{run.sh,common.sh,settings,crash.sh} "$root/selftests/"
cp "$top"/tests/selftests/test_*.sh "$root/selftests/"
for p in dmr_io dmr_ioctl dmr_dwc dmr_fuzz; do
	install -m 0755 "$top/tests/selftests/$p" "$root/selftests/$p"
done

if [ "${DMR_INITRAMFS_BENCH:-0}" = 1 ]; then
	# fio is linked with every I/O engine Debian builds (rbd, gluster,
	# nbd, rdma...): ldd finds all of their libraries.
	command -v fio >/dev/null || die "fio is missing: run make deps"
	copy_bin "$(command -v fio)"
	mkdir -p "$root/bench"
	install -m 0755 "$top/tests/bench/bench.sh" "$root/bench/"
fi

install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/demo.sh" "$root/demo.sh"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
