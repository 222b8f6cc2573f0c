#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A Restore From Replica that does not complete is known: the group's
# record says so from before the first write reaches a source, and only
# a restore that completes clears it. Here a restore is held at a
# suspended source, cancelled, and the source let go: the job ends
# Terminated, the group says its restore is incomplete, the source is
# neither as it was nor restored; a second restore completes and the
# sources equal the replicas.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dmsetup resume dmr-s1 2>/dev/null
	[ -n "$gid" ] && replicactl group delete "$gid" >/dev/null 2>&1
	dm_cleanup ri_1 ri_2 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

size=16384	# 8 MiB sources, 128 chunks of 64 KiB each
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 8m 81
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 8m 82
sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)
check_do "snapshot" group_create ri dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gid=$GROUP_ID
check_eq "no restore yet" "$(group_field "$gid" restore_incomplete)" false

# 64 chunks to give back on source 1, 16 on source 2.
check "new data on source 1" dmr_io write /dev/mapper/dmr-s1 0 4m 83
check "new data on source 2" dmr_io write /dev/mapper/dmr-s2 4m 1m 84
new1=$(md5sum </dev/mapper/dmr-s1)
check "remove the replica devices" dmsetup remove ri_1 ri_2

# Source 1 suspended: the restore's first writes wait there.
check "suspend source 1" dmsetup suspend dmr-s1
out=$(dmr_ioctl modify "$gid" 15)
diag "restore: $out"
check_eq "the restore runs as a job" "${out%% *}" 4096
job=$(echo "$out" | cut -d' ' -f2)
check_eq "the group says its restore is incomplete while it runs" \
	"$(group_field "$gid" restore_incomplete)" true
check "cancel it" replicactl job cancel "$job"
check "let source 1 go" dmsetup resume dmr-s1
replicactl job wait "$job" >/dev/null 2>&1
check_eq "the job ended Terminated" "$(replicactl --json job show "$job" | json_get job_state)" 8
check_eq "the job names its operation" \
	"$(replicactl --json job show "$job" | json_get sync_operation)" 15
diag "$(replicactl --json job show "$job" | json_get error_description)"
check_eq "the group still says its restore is incomplete" \
	"$(group_field "$gid" restore_incomplete)" true
s1=$(md5sum </dev/mapper/dmr-s1)
check "source 1 is neither as it was" test "$s1" != "$new1"
check "nor restored" test "$s1" != "$sum1"

# A restore that completes clears it.
out=$(dmr_ioctl modify "$gid" 15)
check_eq "restore again" "${out%% *}" 4096
job=$(echo "$out" | cut -d' ' -f2)
check "it ends" replicactl job wait "$job"
check_eq "Completed" "$(replicactl --json job show "$job" | json_get job_state)" 7
check_eq "80 chunks restored" "$(replicactl --json job show "$job" | json_get error_description)" \
	"80 chunks restored"
check_eq "the restore is complete" "$(group_field "$gid" restore_incomplete)" false
check_eq "source 1 restored" "$(md5sum </dev/mapper/dmr-s1)" "$sum1"
check_eq "source 2 restored" "$(md5sum </dev/mapper/dmr-s2)" "$sum2"
finish
