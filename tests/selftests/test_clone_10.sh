#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A clone's background copy leaves the pool's spare chunks (a
# thirty-second of it) to the copies that source writes need: when
# snapshots of another source use up the pool, the copy waits at the
# spare instead of taking the last chunks, and no snapshot breaks; when a
# deletion gives space back, the copy goes on and ends Synchronized with
# the point in time.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
g1='' g2='' gc=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $gc $g2 $g1; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup a_1 b_1 cl_1 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

# pool_free NAME: free chunks, from the pool's status line.
pool_free() {
	dmsetup status "$1" | awk '{ split($5, a, "/"); print a[2] - a[1] }'
}

size=32768	# 16 MiB sources, 256 chunks of 64 KiB each
check "pool" pool_create dmr-pool "$DISK_C" 128
total=$(dmsetup status dmr-pool | awk '{ split($5, a, "/"); print a[2] }')
spare=$((total / 32))
diag "pool of $total chunks, $spare spare"
# Two snapshots of source 1, each with a full rewrite after it, and the
# clone of source 2 between them: the clone cannot have its 256 chunks.
check_eq "the pool is of the size this test needs" \
	"$((total - 512 - spare < 256 && total - 256 - spare >= 256))" 1
end_if_failed
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 16m 61
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 16m 62
sum2=$(md5sum </dev/mapper/dmr-s2)

check_do "snapshot a" group_create a dmr-pool /dev/mapper/dmr-s1
g1=$GROUP_ID
check "rewrite source 1" dmr_io write /dev/mapper/dmr-s1 0 16m 63
check_eq "snapshot a holds 256 copies" "$(pool_used dmr-pool)" 256

# A slow copy (8 chunks a second), so that the second rewrite comes first.
out=$(replicactl --json create-group-replica --sync-type clone --relationship-name cl \
	--target-pool /dev/mapper/dmr-pool --source-elements /dev/mapper/dmr-s2 \
	--replication-setting-data copy_rate=512 --wait-for-copy-state unsynchronized)
check_eq "clone created" "$?" 0
gc=$(echo "$out" | json_get group_id)
job=$(echo "$out" | json_get job_id)

check_do "snapshot b" group_create b dmr-pool /dev/mapper/dmr-s1
g2=$GROUP_ID
check "rewrite source 1 again" dmr_io write /dev/mapper/dmr-s1 0 16m 64
sum1b=$(md5sum </dev/mapper/b_1)

# The copy takes what is left down to the spare, and waits there.
i=0
while [ "$(pool_free dmr-pool)" -gt "$spare" ] && [ $i -lt 600 ]; do
	i=$((i + 1))
	sleep 0.1
done
check_eq "the copy took the pool down to its spare chunks" "$(pool_free dmr-pool)" "$spare"
check_eq "its job runs on" "$(replicactl --json job show "$job" | json_get job_state)" 4
check_eq "the clone is Unsynchronized" "$(group_field "$gc" copy_state)" 3
check_eq "snapshot a is not broken" "$(group_field "$g1" copy_state)" 4
check_eq "snapshot b is not broken" "$(group_field "$g2" copy_state)" 4
check_eq "the clone reads the point in time" "$(md5sum </dev/mapper/cl_1)" "$sum2"
check_eq "snapshot b reads its point in time" "$(md5sum </dev/mapper/b_1)" "$sum1b"
check "a source write still gets its copy" dmr_io write /dev/mapper/dmr-s2 0 64k 65
check_eq "the clone still reads the point in time" "$(md5sum </dev/mapper/cl_1)" "$sum2"

# Space back: the copy ends.
check "delete snapshot a" replicactl group delete "$g1"
g1=''
check "the copy ends" replicactl job wait "$job"
check_eq "its job Completed" "$(replicactl --json job show "$job" | json_get job_state)" 7
check_eq "the clone is Synchronized" "$(group_field "$gc" copy_state)" 4
check_eq "the clone holds its 256 chunks" "$(group_field "$gc" group_chunks)" 256
check_eq "the clone is the point in time" "$(md5sum </dev/mapper/cl_1)" "$sum2"
check_eq "snapshot b still Synchronized" "$(group_field "$g2" copy_state)" 4
check_eq "snapshot b still reads its point in time" "$(md5sum </dev/mapper/b_1)" "$sum1b"
finish
