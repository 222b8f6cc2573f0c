#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A clone whose copy has ended has every chunk of its own in the pool: it
# no longer depends on its source. When a later snapshot of the same
# source breaks (its copies fill the pool), the clone stays Synchronized,
# reads its point in time and takes writes; the source keeps every write.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gc='' gs=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $gs $gc; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup ind_1 snap_1 dmr-s1 dmr-pool
}
trap cleanup EXIT

size=65536	# 32 MiB: 512 chunks of 64 KiB
check "pool" pool_create dmr-pool "$DISK_C" 128
total=$(dmsetup status dmr-pool | awk '{ split($5, a, "/"); print a[2] }')
check_eq "the pool holds one copy of the source, not two" \
	"$((total >= 512 + total / 32 && total < 1024))" 1
end_if_failed
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 32m 71
sum=$(md5sum </dev/mapper/dmr-s1)

GROUP_OPTS="--sync-type clone --mode synchronous"
check_do "clone, waited for" group_create ind dmr-pool /dev/mapper/dmr-s1
gc=$GROUP_ID
check_eq "the clone is Synchronized" "$(group_field "$gc" copy_state)" 4
check_eq "every chunk is in the pool, and its change map" "$(pool_used dmr-pool)" 513

GROUP_OPTS=
check_do "a snapshot of the same source" group_create snap dmr-pool /dev/mapper/dmr-s1
gs=$GROUP_ID
check "rewrite the source: its copies fill the pool" dmr_io write /dev/mapper/dmr-s1 0 32m 72
check_eq "the snapshot broke" "$(group_field "$gs" copy_state)" 5
diag "snapshot: $(group_field "$gs" broken_reason)"
check "the source holds every write" dmr_io verify /dev/mapper/dmr-s1 0 32m 72

check_eq "the clone is still Synchronized" "$(group_field "$gc" copy_state)" 4
check_eq "the clone reads its point in time" "$(md5sum </dev/mapper/ind_1)" "$sum"
check "the clone takes writes" dmr_io write /dev/mapper/ind_1 1m 128k 73
check "and reads them back" dmr_io verify /dev/mapper/ind_1 1m 128k 73
check "the rest is the point in time (before)" dmr_io verify /dev/mapper/ind_1 0 1m 71
check "the rest is the point in time (after)" dmr_io verify /dev/mapper/ind_1 1152k 30848k 71
check "a flush of the clone" dmr_io fsync /dev/mapper/ind_1

check "delete the snapshot" replicactl group delete "$gs"
gs=''
check_eq "the clone still reads what it holds" \
	"$(dmr_io verify /dev/mapper/ind_1 1m 128k 73 && echo same)" same
check "delete the clone" replicactl group delete "$gc"
gc=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
finish
