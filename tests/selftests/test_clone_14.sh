#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Detach (8) of a clone group whose copy has not ended: refused (Failed)
# unless the request says to wait (DM_REPLICA_MODIFY_WAIT, replicactl
# --wait). Waiting, the Detach of a rate-limited clone taken mid-copy ends
# with the target holding the point in time and the pool's space back. A
# Detach cancelled while it waits ends Terminated and the copy goes on; a
# copy cancelled while a Detach waits for it ends the Detach Failed, with
# the copy's reason; either leaves the group and its target as they were.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$gid" ] && replicactl group delete "$gid" >/dev/null 2>&1
	dm_cleanup probe dw_1 dc_1 dmr-s1 dmr-pool
}
trap cleanup EXIT

# says TEXT OUTPUT: OUTPUT holds TEXT.
# shellcheck disable=SC2317 # called through check
says() {
	printf '%s' "$2" | grep -qF -- "$1"
}

size=32768	# 16 MiB: 16 s at 1 MiB/s
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 16m 141
sum=$(md5sum </dev/mapper/dmr-s1)
check "the target starts zeroed" dd if=/dev/zero of="$DISK_B" bs=1M count=16 conv=fsync
groups=$(replicactl --json group list)

GROUP_OPTS="--copy-rate 1024"
check_do "a rate-limited clone" clone_create dw dmr-pool /dev/mapper/dmr-s1
gid=$GROUP_ID
end_if_failed
check_do "the copy is under way" wait_copied "$gid" 1 50 60
check "new data on the source" dmr_io write /dev/mapper/dmr-s1 8m 1m 142

# Without --wait: refused, and nothing changes.
out=$(replicactl modify-sync --operation detach --targets "$DISK_B" "$gid" 2>&1)
check_eq "without --wait: Failed" "$?" 4
check "the message says why" says "replica dw_1 is not Synchronized" "$out"
check "and how to wait" says "or the Detach must wait" "$out"
check_eq "the group stays Unsynchronized" "$(group_field "$gid" copy_state)" 3
check_eq "the target is untouched" "$(dd if="$DISK_B" bs=1M count=16 2>/dev/null | md5sum)" \
	"$(dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum)"
out=$(replicactl modify-sync --operation restore-from-replica --wait "$gid" 2>&1)
check_eq "--wait is for Detach only" "$?" 64

# With --wait, taken mid-copy.
pct=$(clone_percent "$gid")
out=$(replicactl --json modify-sync --operation detach --wait --targets "$DISK_B" "$gid" 2>&1)
check_eq "with --wait: detached" "$?" 0
diag "at $pct%: $out"
check "the copy had not ended at the call" says "once its copy has ended" "$out"
djob=$(echo "$out" | json_get job_id)
check_eq "its job Completed" "$(job_field "$djob" job_state)" 7
check_eq "the group is gone" "$(replicactl --json group list)" "$groups"
gid=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
check_eq "the target holds the point in time" \
	"$(dd if="$DISK_B" bs=1M count=16 2>/dev/null | md5sum)" "$sum"
check "the source kept its own writes" dmr_io verify /dev/mapper/dmr-s1 8m 1m 142

# Cancelled while it waits.
check "zero the target" dd if=/dev/zero of="$DISK_B" bs=1M count=16 conv=fsync
GROUP_OPTS="--copy-rate 64"
check_do "a clone copying slowly" clone_create dc dmr-pool /dev/mapper/dmr-s1
gid=$GROUP_ID
cjob=$CLONE_JOB
used=$(pool_used dmr-pool)
# shellcheck disable=SC2317 # called through check_do
waiting() {
	_end=$(($(date +%s) + 60))
	# Asleep in an ioctl: in JOB_WAIT, the only one that sleeps long.
	until in_ioctl "$1" /dev/dm-replica && [ "$(job_field "$2" job_state)" = 4 ] &&
		[ "$(job_field "$2" sync_operation)" = 8 ]; do
		[ "$(date +%s)" -ge "$_end" ] && { echo "the Detach is not waiting"; return 1; }
		sleep 0.1
	done
}

# The Detach's own job cancelled while it waits. Jobs are numbered in
# the order of the calls: the Detach's is the one after the clone's.
replicactl modify-sync --operation detach --wait --targets "$DISK_B" "$gid" \
	>/tmp/detach-wait.out 2>&1 &
dpid=$!
djob=$((cjob + 1))
check_do "the Detach waits for the copy" waiting $dpid $djob
check "cancel the Detach" replicactl job cancel "$djob"
check_do "the Detach ends" wait_ended 60 $dpid
wait $dpid
check_eq "Failed" "$?" 4
out=$(cat /tmp/detach-wait.out)
diag "$out"
check_eq "its job Terminated" "$(job_field "$djob" job_state)" 8
check "it says so" says "cancelled while waiting for the copy of group $gid: the group stays" "$out"
check_eq "the copy goes on" "$(job_field "$cjob" job_state)" 4
check_eq "the group stays Unsynchronized" "$(group_field "$gid" copy_state)" 3

# The copy cancelled while a Detach waits for it.
replicactl modify-sync --operation detach --wait --targets "$DISK_B" "$gid" \
	>/tmp/detach-wait.out 2>&1 &
dpid=$!
check_do "a Detach waits for the copy again" waiting $dpid $((djob + 1))
check "cancel the copy" replicactl job cancel "$cjob"
check_do "the Detach ends" wait_ended 60 $dpid
wait $dpid
check_eq "Failed" "$?" 4
out=$(cat /tmp/detach-wait.out)
diag "$out"
check "with the copy's reason" says "replica dc_1 is not Synchronized: its copy ended: copy stopped at" "$out"
check_eq "the group stays" "$(group_field "$gid" copy_state)" 3
check_eq "the target is untouched" "$(dd if="$DISK_B" bs=1M count=16 2>/dev/null | md5sum)" \
	"$(dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum)"
check "the target is let go (a table may claim it)" dm_create probe "0 8 linear $DISK_B 0"
check "remove that table" dmsetup remove probe
check "delete the group" replicactl group delete "$gid"
gid=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
diag "the clone had $used chunks when the Detach came"
finish
