#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replica-pool format: a device whose first 4 KiB are zero but that holds
# data further on, inside the range the format writes, is refused by
# replicactl and by the kernel, and keeps every byte. Data past that range
# does not stop a format and survives it.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-pool' EXIT

n=$(sectors "$DISK_B")
sum() { dd if="$1" bs=1M 2>/dev/null | md5sum | cut -d' ' -f1; }

check "blank the metadata range" blank "$DISK_B"
check "64 KiB of data at 1 MiB" dmr_io write "$DISK_B" 1m 64k 31
before=$(sum "$DISK_B")

dmesg -c >/dev/null
out=$(replicactl pool create "$DISK_B" --name dmr-pool --chunk-size 64k 2>&1)
rc=$?
diag "replicactl: $out"
check_eq "replicactl refuses (exit 4, Failed)" "$rc" 4
check "the kernel says where the data is" \
	dmesg_has "non-zero data at byte offset 1048576: refusing to format it as a pool"
check_fails "no pool device left" dmsetup info dmr-pool

dmesg -c >/dev/null
check_fails "a raw format is refused" dm_create dmr-pool "0 $n replica-pool $DISK_B 2 format 128"
check "logged: not blank" dmesg_has "replica-pool: Device is not blank"
check "logged: the offset" dmesg_has "non-zero data at byte offset 1048576"
check_fails "no pool device left" dmsetup info dmr-pool
check_eq "every byte kept (checksum)" "$(sum "$DISK_B")" "$before"
check "the data is untouched" dmr_io verify "$DISK_B" 1m 64k 31

# The last byte of the group records (8 + 256 x 128 sectors of
# superblock and records, with the default 256 slots) is looked at too.
check "clear the data" dmr_io zeroout "$DISK_B" 1m 64k
check "one byte at the end of the group records" sh -c \
	"printf x | dd of=$DISK_B bs=1 seek=$((32776 * 512 - 1)) conv=notrunc,fsync 2>/dev/null"
dmesg -c >/dev/null
check_fails "refused" dm_create dmr-pool "0 $n replica-pool $DISK_B 2 format 128"
check "logged: its offset" dmesg_has "non-zero data at byte offset $((32776 * 512 - 1))"

# Data past the metadata range is the pool's data area: not looked at,
# not written by a format.
check "blank the metadata range again" blank "$DISK_B"
check "data in the last MiB" dmr_io write "$DISK_B" -1m 1m 32
check "format" replicactl pool create "$DISK_B" --name dmr-pool --chunk-size 64k
check_eq "healthy" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok
check "remove" dmsetup remove dmr-pool
check "the data past the metadata is untouched" dmr_io verify "$DISK_B" -1m 1m 32
check "leave the disk blank" blank "$DISK_B"
finish
