#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The long works of Restore From Replica (15) and Detach (8) hold a module
# reference of their own until they have ended their job: dm-replica
# cannot be unloaded under them, even once a Detach has given the group
# (and its reference) back. Each work is held in its copy by suspending
# the device it writes, and the module's reference count read meanwhile;
# then it ends, and the module unloads.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid=''
refcnt=/sys/module/dm_replica/refcnt
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dmsetup resume dt >/dev/null 2>&1
	dmsetup resume dmr-s1 >/dev/null 2>&1
	[ -n "$gid" ] && replicactl group delete "$gid" >/dev/null 2>&1
	dm_cleanup cl_1 dt dmr-s1 dmr-pool
	modprobe dm-replica
}
trap cleanup EXIT

# wait_refcnt N SECONDS: poll until dm-replica's reference count is N.
# shellcheck disable=SC2317 # called through check_do
wait_refcnt() {
	_end=$(($(date +%s) + $2))
	while [ "$(cat "$refcnt")" != "$1" ]; do
		[ "$(date +%s)" -ge "$_end" ] &&
			{ echo "reference count $(cat "$refcnt") after $2 s, not $1"; return 1; }
		sleep 0.1
	done
}

size=8192	# 4 MiB
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 4m 31
sum=$(md5sum </dev/mapper/dmr-s1)
GROUP_OPTS="--sync-type clone --mode synchronous"
check_do "a clone, Synchronized" group_create cl dmr-pool /dev/mapper/dmr-s1
gid=$GROUP_ID
end_if_failed
# Its replica device holds a reference too; the counts below leave it out.
check "remove the replica device" dmsetup remove cl_1
check "new data on the source" dmr_io write /dev/mapper/dmr-s1 0 4m 32
check "a target device" dm_create dt "0 $size linear $DISK_B 0"
base=$(cat "$refcnt")
diag "reference count with the pool, source and group: $base"

# Restore: the work's writes to the source wait while it is suspended.
check "suspend the source" dmsetup suspend dmr-s1
replicactl modify-sync --operation restore-from-replica "$gid" >/tmp/restore.out 2>&1 &
rpid=$!
# replicactl's control device and the work: one each.
check_do "the restore's work holds a reference" wait_refcnt $((base + 2)) 60
check "resume the source" dmsetup resume dmr-s1
check_do "the restore ends" wait_ended 120 $rpid
wait $rpid
check_eq "it Completed" "$?" 0
check_eq "and let the reference go" "$(cat "$refcnt")" "$base"
check_eq "the source is the point in time again" "$(md5sum </dev/mapper/dmr-s1)" "$sum"

# Detach: the group and its reference go before the work ends its job.
check "suspend the target" dmsetup suspend dt
replicactl modify-sync --operation detach --targets /dev/mapper/dt "$gid" \
	>/tmp/detach.out 2>&1 &
dpid=$!
check_do "the detach's work holds a reference" wait_refcnt $((base + 2)) 60
check "resume the target" dmsetup resume dt
check_do "the detach ends" wait_ended 120 $dpid
wait $dpid
check_eq "it Completed" "$?" 0
diag "$(cat /tmp/detach.out)"
gid=''
check_eq "the group and the work let their references go" "$(cat "$refcnt")" $((base - 1))
check_eq "the target holds the point in time" "$(md5sum </dev/mapper/dt)" "$sum"

check "remove the target" dmsetup remove dt
check "remove the source" dmsetup remove dmr-s1
check "remove the pool" dmsetup remove dmr-pool
check "unload dm-replica" rmmod dm_replica
check "load dm-replica again" modprobe dm-replica
finish
