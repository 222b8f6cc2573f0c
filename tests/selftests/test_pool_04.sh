#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A pool and a source never write into each other: the device of a live
# replica-source (or of any other dm device) is not formatted (In Use,
# naming the holder), the pool's own dm device is no source of a group in
# that pool, and a replica-source over a loaded pool's disk, or a pool on
# a live source's disk, is refused.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-psrc dmr-src dmr-src2 dmr-lin dmr-pool' EXIT

D=$DISK_C
n=$(sectors "$D")
sum() { dd if="$1" bs=1M 2>/dev/null | md5sum | cut -d' ' -f1; }

# has TEXT: the last replicactl output ($out) holds TEXT.
# shellcheck disable=SC2317 # called through check
has() {
	case $out in
	*"$1"*) return 0 ;;
	*) echo "'$out' does not say '$1'"; return 1 ;;
	esac
}

check "blank the metadata range" blank "$D"

# The device of a live replica-source.
check "a replica-source over it" source_create dmr-src "$D"
check "data at 64 KiB through the source" dmr_io write /dev/mapper/dmr-src 64k 64k 41
before=$(sum "$D")
out=$(replicactl pool create "$D" --name dmr-pool 2>&1)
rc=$?
diag "replicactl: $out"
check_eq "replicactl: In Use (exit 6)" "$rc" 6
check "replicactl names the holder" has "held by dm device dmr-src"
dmesg -c >/dev/null
check_fails "a raw format is refused" dm_create dmr-pool "0 $n replica-pool $D 2 format 128"
check "logged: the source" dmesg_has "is the device of replica-source dmr-src: refusing it as a pool"
check_fails "no pool device left" dmsetup info dmr-pool
check_eq "every byte kept (checksum)" "$(sum "$D")" "$before"
check "the source's data is intact" dmr_io verify /dev/mapper/dmr-src 64k 64k 41
check "remove the source" dmsetup remove dmr-src

# Any other dm device: dm claims all devices with one holder, so the
# kernel counts the claims.
check "a linear device over it" dm_create dmr-lin "0 $n linear $D 0"
out=$(replicactl pool create "$D" --name dmr-pool 2>&1)
rc=$?
diag "replicactl: $out"
check_eq "replicactl: In Use (exit 6)" "$rc" 6
check "replicactl names the holder" has "held by dm device dmr-lin"
dmesg -c >/dev/null
check_fails "a raw format is refused" dm_create dmr-pool "0 $n replica-pool $D 2 format 128"
check "logged: held" dmesg_has "is held by another device"
check "remove the linear device" dmsetup remove dmr-lin
check_eq "every byte kept (checksum)" "$(sum "$D")" "$before"

# The pool's own dm device as a source of a group in that pool.
check "blank the metadata range" blank "$D"
check "a pool" replicactl pool create "$D" --name dmr-pool --chunk-size 64k
check "a replica-source over the pool's dm device" source_create dmr-psrc /dev/mapper/dmr-pool
out=$(replicactl create-group-replica --relationship-name self --target-pool /dev/mapper/dmr-pool \
	--source-elements /dev/mapper/dmr-psrc 2>&1)
rc=$?
diag "replicactl: $out"
check_eq "Invalid Parameter (exit 5)" "$rc" 5
check "the message names the element" has "SourceElements[0]: dmr-psrc lies on the device of TargetPool"
check_eq "no group in the pool" "$(dmsetup status dmr-pool | awk '{ print $6 }')" 0
check "remove that source" dmsetup remove dmr-psrc

# A replica-source over the loaded pool's disk.
dmesg -c >/dev/null
check_fails "a source over the pool's disk is refused" source_create dmr-src2 "$D"
check "logged" dmesg_has "Device holds a loaded replica-pool: refusing it as a source"
check_fails "no source device left" dmsetup info dmr-src2
check_eq "the pool is healthy" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok

# Conversely, a pool on the disk of a live replica-source.
check "unload the pool" dmsetup remove dmr-pool
check "a replica-source over the pool's disk" source_create dmr-src "$D"
dmesg -c >/dev/null
check_fails "the pool is not opened" dm_create dmr-pool "0 $n replica-pool $D"
check "logged: the source" dmesg_has "is the device of replica-source dmr-src: refusing it as a pool"
check "remove the source" dmsetup remove dmr-src
check "the pool opens once the source is gone" dm_create dmr-pool "0 $n replica-pool $D"
check "remove the pool" dmsetup remove dmr-pool
check "leave the disk blank" blank "$D"
finish
