#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Detach (ModifyReplicaSynchronization 8) of a clone group copies each
# Synchronized clone onto a target device and returns the group to the
# pool: the target then reads the point in time with dm-replica unloaded,
# and the pool's used count goes back. Every bad Detach gets its answer,
# naming the field or device, and changes nothing: a clone still copying,
# a target too small, open, held by the pool, a source, or a count of
# targets that is not the number of members; a snapshot group cannot be
# detached.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid='' gs=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	exec 5<&-
	for g in $gid $gs; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup dt_1 ds_1 small dmr-s1 dmr-pool
	modprobe dm-replica
}
trap cleanup EXIT

# bad RESULT TEXT ARGS...: modify-sync ARGS answers RESULT, its message
# holds TEXT, and the group is as it was.
bad() {
	_want=$1 _text=$2
	shift 2
	_out=$(replicactl modify-sync "$@" 2>&1)
	check_eq "answers $_want: $*" "$?" "$_want"
	check "says '$_text': $*" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$_out" "$_text"
	check_eq "the group stays: $*" "$(group_field "$gid" copy_state)" "$_state"
	check_eq "the pool is as it was: $*" "$(pool_used dmr-pool)" "$_used"
}

size=32768	# 16 MiB
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 16m 91
sum=$(md5sum </dev/mapper/dmr-s1)
check "the target starts zeroed" dd if=/dev/zero of="$DISK_B" bs=1M count=16 conv=fsync
groups=$(replicactl --json group list)

# A clone still copying cannot be detached.
out=$(replicactl --json create-group-replica --sync-type clone --relationship-name dt \
	--target-pool /dev/mapper/dmr-pool --source-elements /dev/mapper/dmr-s1 \
	--copy-rate 4096 --wait-for-copy-state unsynchronized)
check_eq "clone created" "$?" 0
gid=$(echo "$out" | json_get group_id)
job=$(echo "$out" | json_get job_id)
_state=3 _used=$(pool_used dmr-pool)
out=$(replicactl modify-sync --operation detach --targets "$DISK_B" "$gid" 2>&1)
check_eq "a clone still copying: Failed" "$?" 4
check "the message says so" sh -c "printf '%s' \"\$1\" | grep -qF 'is not Synchronized'" _ "$out"
check "the copy ends" replicactl job wait "$job"
check "new data on the source" dmr_io write /dev/mapper/dmr-s1 0 16m 92
_state=4 _used=$(pool_used dmr-pool)
check_eq "the clone holds every chunk, and its change map" "$_used" 257

check "an 8 MiB device" dm_create small "0 16384 linear $DISK_B 0"
bad 5 "targets[0]: $(cat "$(sysblk /dev/mapper/small)/dev") has 16384 sectors" \
	--operation detach --targets /dev/mapper/small "$gid"
check "remove it" dmsetup remove small
exec 5<"$DISK_B"
bad 6 "is open" --operation detach --targets "$DISK_B" "$gid"
exec 5<&-
bad 6 "is in use" --operation detach --targets "$DISK_C" "$gid"
bad 5 "is a replica source device" --operation detach --targets /dev/mapper/dmr-s1 "$gid"
bad 5 "targets: 2 devices for the 1 members" --operation detach \
	--targets "$DISK_B,$DISK_A" "$gid"
bad 5 "targets: 0 devices" --operation detach "$gid"

GROUP_OPTS=
check_do "a snapshot group" group_create ds dmr-pool /dev/mapper/dmr-s1
gs=$GROUP_ID
out=$(replicactl modify-sync --operation detach --targets "$DISK_B" "$gs" 2>&1)
check_eq "a snapshot group: Not Supported" "$?" 1
check "the message names the operation" \
	sh -c "printf '%s' \"\$1\" | grep -qF 'Detach (8) is not supported for snapshot groups'" _ "$out"
check "delete the snapshot group" replicactl group delete "$gs"
gs=''

# The Detach.
out=$(replicactl --json modify-sync --operation detach --targets "$DISK_B" "$gid" 2>&1)
check_eq "detach" "$?" 0
diag "$out"
djob=$(echo "$out" | json_get job_id)
check_eq "its job Completed" "$(replicactl --json job show "$djob" | json_get job_state)" 7
check_eq "the group is gone" "$(replicactl --json group list)" "$groups"
gid=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
check_eq "the target holds the point in time" "$(dd if="$DISK_B" bs=1M count=16 2>/dev/null | md5sum)" "$sum"
check "the source kept its own writes" dmr_io verify /dev/mapper/dmr-s1 0 16m 92

# Without dm-replica.
check "remove the source" dmsetup remove dmr-s1
check "remove the pool" dmsetup remove dmr-pool
check "unload dm-replica" rmmod dm_replica
echo 3 >/proc/sys/vm/drop_caches
check_eq "the target still holds the point in time" "$(dd if="$DISK_B" bs=1M count=16 2>/dev/null | md5sum)" "$sum"
check "load dm-replica again" modprobe dm-replica
finish
