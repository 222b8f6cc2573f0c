#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CreateGroupReplicaFromElements of a clone group (SyncType 8): bad
# combinations and settings each get the standard's return value (as
# replicactl's exit code) and a message naming the field or key, and leave
# nothing behind (no group, no pool space, no replica device); a pool too
# small for the clones is refused the same way. Then what
# Mode and WaitForCopyState mean for a clone: Mode Synchronous returns
# once the group is Synchronized; WaitForCopyState Unsynchronized returns
# at the point in time, with the copy running on in the job; the bounds of
# copy_rate and copy_priority are accepted.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
job=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$job" ] && replicactl job cancel "$job" >/dev/null 2>&1 &&
		replicactl job wait --timeout 30 "$job" >/dev/null 2>&1
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	dm_cleanup bad_1 sync_1 sync_2 uns_1 uns_2 edge_1 edge_2 dmr-s1 dmr-s2 dmr-pool dmr-tiny \
		dmr-tinydev
}
trap cleanup EXIT

check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source 1 (2 MiB)" source_create dmr-s1 "$DISK_A" 4096
check "source 2 (2 MiB)" source_create dmr-s2 "$DISK_B" 4096
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 2m 41
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 2m 42
end_if_failed
S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2 P=/dev/mapper/dmr-pool
used0=$(pool_used dmr-pool)
groups0=$(replicactl --json group list)

# contains TEXT OUTPUT: OUTPUT says TEXT; else OUTPUT is printed.
# shellcheck disable=SC2317 # called through check
contains() {
	case $2 in
	*"$1"*) return 0 ;;
	esac
	echo "$2"
	return 1
}

# bad EXIT TEXT ARGS...: create-group-replica with ARGS exits EXIT and
# says TEXT, and nothing is left.
bad() {
	_want=$1 _text=$2
	shift 2
	_out=$(replicactl create-group-replica --relationship-name bad "$@" 2>&1)
	_rc=$?
	check_eq "exit $_want for: $*" "$_rc" "$_want"
	check "says '$_text' for: $*" contains "$_text" "$_out"
	check_eq "no group left by: $*" "$(replicactl --json group list)" "$groups0"
	check_eq "no pool space taken by: $*" "$(pool_used dmr-pool)" "$used0"
	check_fails "no replica device left by: $*" dmsetup info bad_1
}

C="--sync-type clone --source-elements $S1,$S2"
# shellcheck disable=SC2086 # $C is several options
{
bad 5 "TargetPool: must be absent when TargetGroup is given" $C --target-group old \
	--target-pool $P
bad 1 "TargetGroup:" $C --target-group old
bad 5 "copy_rate" --sync-type snapshot --source-elements $S1 --target-pool $P \
	--replication-setting-data copy_rate=1024
bad 5 "copy_priority" --sync-type snapshot --source-elements $S1 --target-pool $P \
	--replication-setting-data copy_priority=2
bad 5 "copy_rate" $C --target-pool $P --replication-setting-data copy_rate=16777217
bad 5 "copy_rate" $C --target-pool $P --replication-setting-data copy_rate=fast
bad 5 "copy_rate" $C --target-pool $P --replication-setting-data copy_rate=-1
bad 5 "copy_rate" $C --target-pool $P --replication-setting-data copy_rate=64k
bad 5 "copy_priority" $C --target-pool $P --replication-setting-data copy_priority=0
bad 5 "copy_priority" $C --target-pool $P --replication-setting-data copy_priority=4
bad 5 "copy_priority" $C --target-pool $P --replication-setting-data copy_priority=high
bad 5 "WaitForCopyState" $C --target-pool $P --wait-for-copy-state inactive
}

# A pool too small for the clones: three chunks of 1 MiB, enough for
# snapshots of the two 2 MiB sources, where their clones need four, and
# one for each one's change map.
check "tiny device" dm_create dmr-tinydev "0 16384 linear $DISK_B 16384"
check "a pool of three 1 MiB chunks" pool_create dmr-tiny /dev/mapper/dmr-tinydev 2048 64
check_eq "three chunks" "$(dmsetup status dmr-tiny | awk '{ print $5 }')" 0/3
# shellcheck disable=SC2086 # $C is several options
bad 5 "TargetPool: 3 chunks free, the clones need 6" $C --target-pool /dev/mapper/dmr-tiny
check_eq "the tiny pool is untouched" "$(dmsetup status dmr-tiny | awk '{ print $5 }')" 0/3
check "remove the tiny pool" dmsetup remove dmr-tiny dmr-tinydev

# created NAME: the group NAME made by the create whose JSON is in $out;
# sets GROUP_ID and job.
created() {
	GROUP_ID=$(echo "$out" | json_get group_id)
	job=$(echo "$out" | json_get job_id)
	check "$1: the create names its group" test -n "$GROUP_ID"
	check "$1: the create names its job" test -n "$job"
}

# deleted NAME: delete the group; its space goes back to the pool.
deleted() {
	check "$1: delete the group" replicactl group delete "$GROUP_ID"
	GROUP_ID='' job=''
	check_fails "$1: its replicas are removed" dmsetup info "${1}_1"
	check_eq "$1: its space is back in the pool" "$(pool_used dmr-pool)" "$used0"
	check_eq "$1: no group left" "$(replicactl --json group list)" "$groups0"
}

# Mode Synchronous: the call waits for the copy (4 MiB at 1 MiB/s, some
# seconds), so the group is Synchronized as soon as it returns.
# shellcheck disable=SC2086 # $C is several options
out=$(replicactl --json create-group-replica $C --relationship-name sync --target-pool $P \
	--mode synchronous --replication-setting-data copy_rate=1024 2>&1)
check_eq "Mode Synchronous: exit 0" "$?" 0
diag "$out"
created "Mode Synchronous"
end_if_failed
check_eq "Mode Synchronous: the create answers Synchronized" \
	"$(echo "$out" | json_get copy_state)" 4
check_eq "Mode Synchronous: the group is Synchronized at once" \
	"$(group_field "$GROUP_ID" copy_state)" 4
check_eq "Mode Synchronous: Mode recorded" "$(group_field "$GROUP_ID" mode)" 2
check_eq "Mode Synchronous: every member Synchronized" "$(member_states "$GROUP_ID")" "4 4"
check_eq "Mode Synchronous: every chunk is in the pool" "$(clone_progress "$GROUP_ID")" "64 64"
check_eq "Mode Synchronous: the job Completed" "$(job_field "$job" job_state)" 7
check_eq "Mode Synchronous: at 100%" "$(job_field "$job" percent_complete)" 100
check "Mode Synchronous: clone 1 is source 1" dmr_io verify /dev/mapper/sync_1 0 2m 41
check "Mode Synchronous: clone 2 is source 2" dmr_io verify /dev/mapper/sync_2 0 2m 42
deleted sync

# WaitForCopyState Unsynchronized: the call returns at the point in time;
# the copy (4 MiB at 64 KiB/s, a minute) runs on.
# shellcheck disable=SC2086 # $C is several options
out=$(replicactl --json create-group-replica $C --relationship-name uns --target-pool $P \
	--wait-for-copy-state unsynchronized --replication-setting-data copy_rate=64 2>&1)
check_eq "WaitForCopyState Unsynchronized: exit 0" "$?" 0
diag "$out"
created "WaitForCopyState Unsynchronized"
end_if_failed
check_eq "WaitForCopyState Unsynchronized: the create answers Unsynchronized" \
	"$(echo "$out" | json_get copy_state)" 3
check_eq "WaitForCopyState Unsynchronized: the group is Unsynchronized" \
	"$(group_field "$GROUP_ID" copy_state)" 3
check_eq "WaitForCopyState Unsynchronized: so is every member" \
	"$(member_states "$GROUP_ID")" "3 3"
check_eq "WaitForCopyState Unsynchronized: the job runs" "$(job_field "$job" job_state)" 4
check "WaitForCopyState Unsynchronized: below 100%" \
	test "$(job_field "$job" percent_complete)" -lt 100
check "WaitForCopyState Unsynchronized: clone 1 reads source 1 at once" \
	dmr_io verify /dev/mapper/uns_1 0 2m 41
check "WaitForCopyState Unsynchronized: clone 2 reads source 2 at once" \
	dmr_io verify /dev/mapper/uns_2 0 2m 42
check_eq "WaitForCopyState Unsynchronized: still copying after the reads" \
	"$(group_field "$GROUP_ID" copy_state)" 3
check "WaitForCopyState Unsynchronized: terminate the copy" replicactl job cancel "$job"
replicactl job wait --timeout 60 "$job" >/dev/null 2>&1
check_eq "WaitForCopyState Unsynchronized: the job ended Terminated" \
	"$(job_field "$job" job_state)" 8
deleted uns

# The bounds of the settings: no limit with Low priority, the highest
# rate with High priority.
for s in copy_rate=0,copy_priority=1 copy_rate=16777216,copy_priority=3; do
	# shellcheck disable=SC2086 # $C is several options
	out=$(replicactl --json create-group-replica $C --relationship-name edge --target-pool $P \
		--wait-for-copy-state synchronized --replication-setting-data "$s" 2>&1)
	check_eq "$s: exit 0" "$?" 0
	diag "$out"
	created "$s"
	end_if_failed
	check_eq "$s: Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
	check_eq "$s: every chunk is in the pool" "$(clone_progress "$GROUP_ID")" "64 64"
	check "$s: clone 1 is source 1" dmr_io verify /dev/mapper/edge_1 0 2m 41
	check "$s: clone 2 is source 2" dmr_io verify /dev/mapper/edge_2 0 2m 42
	deleted edge
done
finish
