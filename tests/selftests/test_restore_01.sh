#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Restore From Replica (ModifyReplicaSynchronization 15) copies a group's
# replicas back onto their sources, bit for bit, as a job that writes
# exactly the chunks the pool holds for the replicas (the source's other
# chunks were never written since the point in time). The writes go
# through the sources, so that another snapshot of them keeps its own
# point in time. A source that is open is refused with In Use, naming it,
# unless forced; one held by another device is refused even then; and a
# refusal changes nothing. A clone group restores the same way.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid='' gid2='' gid3=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	exec 5<&-
	for g in $gid $gid2 $gid3; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup holder rt_1 rt_2 later_1 later_2 cl_1 cl_2 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

size=16384	# 8 MiB sources, 128 chunks of 64 KiB each
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 8m 51
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 8m 52
sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)
check_do "snapshot" group_create rt dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gid=$GROUP_ID

# Changes on both sides: the sources after the point in time (16 + 8
# chunks), and replica 1 itself (4 chunks, one of them also changed at the
# source: 3 more).
check "new data on source 1" dmr_io write /dev/mapper/dmr-s1 0 1m 53
check "new data on source 2" dmr_io write /dev/mapper/dmr-s2 2m 512k 54
check "write to replica 1" dmr_io write /dev/mapper/rt_1 960k 256k 55
rsum1=$(md5sum </dev/mapper/rt_1)
check_eq "replica 2 as at the point in time" "$(md5sum </dev/mapper/rt_2)" "$sum2"
held=$(group_field "$gid" group_chunks)
check_eq "the pool holds 27 chunks for the replicas" "$held" 27

# A later snapshot sees the sources as they are now; the restore must not
# change it.
check_do "later snapshot" group_create later dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gid2=$GROUP_ID
lsum1=$(md5sum </dev/mapper/later_1)
lsum2=$(md5sum </dev/mapper/later_2)

# Source 2 open: In Use, naming it; nothing changes.
exec 5</dev/mapper/dmr-s2
out=$(replicactl modify-sync --operation restore-from-replica "$gid" 2>&1)
rc=$?
diag "with dmr-s2 open: $out"
check_eq "refused with In Use" "$rc" 6
check "the message names the open source" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" \
	"SourceElements[1]: dmr-s2 is open"
check_eq "source 1 unchanged" "$(md5sum </dev/mapper/dmr-s1)" "$lsum1"
check_eq "source 2 unchanged" "$(md5sum </dev/mapper/dmr-s2)" "$lsum2"
check_eq "replica 1 unchanged, its device back" "$(md5sum </dev/mapper/rt_1)" "$rsum1"

# Held by another device: In Use even when forced.
check "a device over source 2" dm_create holder "0 $size linear /dev/mapper/dmr-s2 0"
out=$(replicactl modify-sync --operation restore-from-replica --force "$gid" 2>&1)
rc=$?
diag "with dmr-s2 under another device: $out"
check_eq "refused with In Use though forced" "$rc" 6
check "the message names the held source" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" \
	"SourceElements[1]: dmr-s2 is in use"
check "remove it" dmsetup remove holder
check_eq "source 2 still unchanged" "$(md5sum </dev/mapper/dmr-s2)" "$lsum2"

# Forced while open: the restore runs, as a job, and writes exactly the
# chunks the pool held for the replicas.
out=$(replicactl --json modify-sync --operation restore-from-replica --force "$gid" 2>&1)
rc=$?
diag "$out"
check_eq "restore forced while open" "$rc" 0
exec 5<&-
job=$(echo "$out" | json_get job_id)
check_eq "its job Completed" "$(replicactl --json job show "$job" | json_get job_state)" 7
check_eq "it restored the held chunks only" \
	"$(replicactl --json job show "$job" | json_get error_description)" "$held chunks restored"
check_eq "source 1 is replica 1, bit for bit" "$(md5sum </dev/mapper/dmr-s1)" "$rsum1"
check_eq "source 2 is back at the point in time" "$(md5sum </dev/mapper/dmr-s2)" "$sum2"
check_eq "replica 1 unchanged" "$(md5sum </dev/mapper/rt_1)" "$rsum1"
check_eq "replica 2 unchanged" "$(md5sum </dev/mapper/rt_2)" "$sum2"
check_eq "the later snapshot kept its point in time (1)" "$(md5sum </dev/mapper/later_1)" "$lsum1"
check_eq "the later snapshot kept its point in time (2)" "$(md5sum </dev/mapper/later_2)" "$lsum2"
check_eq "both groups Synchronized" \
	"$(group_field "$gid" copy_state) $(group_field "$gid2" copy_state)" "4 4"
check "delete the groups" sh -c "replicactl group delete $gid && replicactl group delete $gid2"
gid='' gid2=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0

# A clone group restores the same way: every chunk is the clone's own.
sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)
GROUP_OPTS="--sync-type clone"
check_do "clone" group_create cl dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gid3=$GROUP_ID
check_eq "clone Synchronized" "$(group_field "$gid3" copy_state)" 4
check "new data on source 1" dmr_io write /dev/mapper/dmr-s1 4m 4m 56
check "write to clone 2" dmr_io write /dev/mapper/cl_2 0 64k 57
csum2=$(md5sum </dev/mapper/cl_2)
out=$(replicactl modify-sync --operation 15 "$gid3" 2>&1)
check_eq "restore from the clone" "$?" 0
diag "$out"
check_eq "source 1 is the clone again" "$(md5sum </dev/mapper/dmr-s1)" "$sum1"
check_eq "source 2 is clone 2" "$(md5sum </dev/mapper/dmr-s2)" "$csum2"
check "delete the clone" replicactl group delete "$gid3"
gid3=''
check_eq "the pool is empty again" "$(pool_used dmr-pool)" 0
finish
