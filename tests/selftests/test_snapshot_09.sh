#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A discard and a write-zeroes over a whole source in a group (mkfs,
# fstrim): the source cuts them at chunk boundaries, each chunk is copied
# once, and the replica keeps the point in time.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup trim_1; replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup dmr-s1 dmr-pool' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source (16 MiB)" source_create dmr-s1 "$DISK_A" 32768
S=/dev/mapper/dmr-s1
[ "$(cat "$(sysblk $S)/queue/discard_max_bytes")" != 0 ] || skip "the source cannot discard"
check "fill it" dmr_io write $S 0 16m 95
sum=$(md5sum <$S)
check_do "group" group_create trim dmr-pool $S
check "discard all of the source in one request" dmr_io discard $S 0 16m
check_eq "every chunk was copied once" "$(group_field "$GROUP_ID" group_chunks)" 256
check "zero all of the source in one request" dmr_io zeroout $S 0 16m
check "the source reads zeros" dmr_io zero-verify $S 0 16m
check_eq "still one copy per chunk" "$(group_field "$GROUP_ID" group_chunks)" 256
check_eq "the replica is the point in time" "$(md5sum </dev/mapper/trim_1)" "$sum"
check_eq "Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
check "remove the replica" dmsetup remove trim_1
check "delete" replicactl group delete "$GROUP_ID"
GROUP_ID=
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
finish
