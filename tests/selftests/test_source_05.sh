#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A table of two replica-source targets maps each device from its own
# sector 0: a write across the boundary lands on both devices at the right
# offsets, and the status line builds the same table again.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-two dmr-copy' EXIT

a=8192
b=8192
table="0 $a replica-source $DISK_A
$a $b replica-source $DISK_B"
check "create two segments" dm_create dmr-two "$table"
dm=/dev/mapper/dmr-two

# 64 KiB on each side of the boundary.
off=$((a * 512 - 65536))
check "write across the boundary" dmr_io write $dm $off 128k 21
check "read back through dm" dmr_io verify $dm $off 128k 21
# The pattern depends on the absolute offset in dm, so check each half
# by reading it back through a device mapping it at the same offset.
check "first half on DISK_A" sh -c "
	dmsetup create dmr-copy --table '0 $a linear $DISK_A 0' &&
	dmr_io verify /dev/mapper/dmr-copy $off 64k 21 && dmsetup remove dmr-copy"
check "second half at sector 0 of DISK_B" sh -c "
	dmsetup create dmr-copy --table '0 $a linear $DISK_C 0
$a $b linear $DISK_B 0' &&
	dmr_io verify /dev/mapper/dmr-copy $((a * 512)) 64k 21 && dmsetup remove dmr-copy"

# The status table round-trips: loading it gives the same table.
dmsetup table dmr-two >/tmp/table
check "reload from the status table" dmsetup reload dmr-two /tmp/table
check "resume" dmsetup resume dmr-two
check_eq "table unchanged" "$(dmsetup table dmr-two)" "$(cat /tmp/table)"
check_eq "info status" "$(dmsetup status dmr-two | awk '{ print $4 }' | sort -u)" "passthrough"
check "data intact after the reload" dmr_io verify $dm $off 128k 21
finish
