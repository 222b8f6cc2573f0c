#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pool's owner table is held in memory only where it describes chunks
# in use, not whole: the status line's held/blocks figure follows the
# chunks a snapshot uses, comes back to none once its group is deleted
# (the cleared entries are written then), and a pool opened again with
# nothing in use holds none.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1; dm_cleanup sp_1 dmr-s1 dmr-pool' EXIT

n=$(sectors "$DISK_C")
check "pool of 4 KiB chunks, 64 group slots" pool_create dmr-pool "$DISK_C" 8 64
blocks=$(md_blocks dmr-pool)
diag "owner table: $blocks blocks of 136 entries"
check "a table of many blocks" test "$blocks" -ge 100
check_eq "a new pool holds none" "$(md_held dmr-pool)" 0

check "source of 8 MiB" source_create dmr-s1 "$DISK_A" 16384
check "fill it" dmr_io write /dev/mapper/dmr-s1 0 8m 21
sum=$(md5sum </dev/mapper/dmr-s1)
check_do "snapshot" group_create sp dmr-pool /dev/mapper/dmr-s1
check_eq "still none held" "$(md_held dmr-pool)" 0

check "first writes to 600 chunks" dmr_io write /dev/mapper/dmr-s1 0 2400k 22
used=$(pool_used dmr-pool)
held=$(md_held dmr-pool)
diag "used $used chunks, $held owner blocks held"
check_eq "600 copies" "$used" 600
# The allocator hands out chunks in order: 600 entries fill 5 blocks, and
# at most one more can be held at each end.
check "held blocks follow the chunks in use" \
	test "$held" -ge $(((used + 135) / 136)) -a "$held" -le $((used / 136 + 2))
check_eq "replica as at creation" "$(md5sum </dev/mapper/sp_1)" "$sum"

check "delete the group" replicactl group delete "$GROUP_ID"
GROUP_ID=
check_eq "its space is back" "$(pool_used dmr-pool)" 0
check_eq "and no owner block is held" "$(md_held dmr-pool)" 0

check "remove the source" dmsetup remove dmr-s1
check "remove the pool" dmsetup remove dmr-pool
check "open it again" dm_create dmr-pool "0 $n replica-pool $DISK_C"
check_eq "an empty pool opened holds none" "$(md_held dmr-pool)" 0
check_eq "of the same table" "$(md_blocks dmr-pool)" "$blocks"
finish
