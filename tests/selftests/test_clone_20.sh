#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Change tracking and Resync Replica (ModifyReplicaSynchronization 14) of
# a clone group. After writes at the sources and at the clones, each
# clone's changed chunks read back as runs (group changed-chunks, JSON)
# that say on which side each changed; a Resync then takes a new point in
# time for the group and copies only those chunks (counted by its job),
# after which every clone equals its source as it was at that instant,
# while the sources keep every write. A Resync of a clone still copying
# is refused, naming it, and changes nothing.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gc='' gslow=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $gc $gslow; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup rs_1 rs_2 slow_1 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

size=32768	# 16 MiB each: 256 chunks of 64 KiB
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 16m 81
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 16m 82
GROUP_OPTS="--sync-type clone --mode synchronous"
check_do "a clone group, copied" group_create rs dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gc=$GROUP_ID
GROUP_OPTS=
end_if_failed
check_eq "Synchronized" "$(group_field "$gc" copy_state)" 4
check_eq "every chunk in the pool, and a change map per clone" "$(pool_used dmr-pool)" 514
check_eq "nothing changed yet (1)" "$(changed_runs "$gc" 1)" "known"
check_eq "nothing changed yet (2)" "$(changed_runs "$gc" 2)" "known"
check_eq "changed-chunks is well-formed JSON" \
	"$(replicactl group changed-chunks "$gc" 1 | json_valid && echo valid)" valid

# Changes on both sides: source 1 chunks 3-4, clone 1 chunk 10, both
# sides chunk 20 (a part of it), source 2 chunk 7 and its last chunk.
check "write source 1" dmr_io write /dev/mapper/dmr-s1 192k 128k 83
check "write clone 1" dmr_io write /dev/mapper/rs_1 640k 64k 84
check "write source 1 (both)" dmr_io write /dev/mapper/dmr-s1 1280k 4k 85
check "write clone 1 (both)" dmr_io write /dev/mapper/rs_1 1300k 8k 86
check "write source 2" dmr_io write /dev/mapper/dmr-s2 448k 64k 87
check "write source 2, last chunk" dmr_io write /dev/mapper/dmr-s2 16380k 4k 88
check "flush the clone" dmr_io fsync /dev/mapper/rs_1
check_eq "clone 1: the changed runs" "$(changed_runs "$gc" 1)" \
	"3 2 source 10 1 replica 20 1 both known"
check_eq "clone 2: the changed runs" "$(changed_runs "$gc" 2)" \
	"7 1 source 255 1 source known"
check_eq "a run says its bytes" \
	"$(replicactl group changed-chunks "$gc" 1 | grep -c '"offset":196608,"length":131072')" 1

sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)
out=$(replicactl --json modify-sync --operation resync-replica "$gc" 2>&1)
check_eq "resync" "$?" 0
diag "$out"
job=$(echo "$out" | json_get job_id)
check "the call tells the chunks it copies" \
	sh -c "printf '%s' \"\$1\" | grep -qF 'copies the 6 of 512 chunks changed'" _ "$out"
check_eq "its job Completed" "$(job_field "$job" job_state)" 7
check_eq "the job copied the 6 changed chunks, no more" \
	"$(replicactl --json job show "$job" | grep -o '[0-9]* copied by this copy')" \
	"6 copied by this copy"
check_eq "Synchronized again" "$(group_field "$gc" copy_state)" 4
# The thread of the first copy was stopped, not left waiting.
check_eq "one copy thread for the group" \
	"$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cx "dmr-clone/$gc")" 1
check_eq "every chunk in the pool, once, and the new change maps" "$(pool_used dmr-pool)" 514
check_eq "clone 1 equals source 1" "$(md5sum </dev/mapper/rs_1)" "$sum1"
check_eq "clone 2 equals source 2" "$(md5sum </dev/mapper/rs_2)" "$sum2"
check_eq "nothing changed since (1)" "$(changed_runs "$gc" 1)" "known"
check_eq "nothing changed since (2)" "$(changed_runs "$gc" 2)" "known"

# The new point in time holds: writes after it change the sources only.
check "write source 1 again" dmr_io write /dev/mapper/dmr-s1 0 16m 89
check_eq "clone 1 keeps the new point in time" "$(md5sum </dev/mapper/rs_1)" "$sum1"
check "the source has its writes" dmr_io verify /dev/mapper/dmr-s1 0 16m 89
check_eq "every chunk of clone 1 changed at the source" \
	"$(changed_runs "$gc" 1)" "0 256 source known"

check "delete the group" replicactl group delete "$gc"
gc=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0

# A clone still copying (at 64 KiB/s, for minutes): refused, and nothing
# changes.
GROUP_OPTS="--replication-setting-data copy_rate=64"
check_do "a slow clone" clone_create slow dmr-pool /dev/mapper/dmr-s2
gslow=$GROUP_ID
GROUP_OPTS=
out=$(replicactl modify-sync --operation resync-replica "$gslow" 2>&1)
check_eq "a clone still copying: Failed" "$?" 4
check "the message names it" \
	sh -c "printf '%s' \"\$1\" | grep -qF 'slow_1 is not Synchronized'" _ "$out"
check_eq "it goes on copying" "$(group_field "$gslow" copy_state)" 3
check_eq "its job goes on" "$(job_field "$CLONE_JOB" job_state)" 4
check "delete it" replicactl group delete "$gslow"
gslow=''
check_eq "the pool is empty again" "$(pool_used dmr-pool)" 0

finish
