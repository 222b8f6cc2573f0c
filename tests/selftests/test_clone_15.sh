#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dissolve (ModifyReplicaSynchronization 9) of a Synchronized clone group
# ends its association with its sources: the group says so (group show,
# group list), its clone keeps reading the point in time whatever the
# source takes, and a pool loaded from its disk (a copy of it, which is
# what one boot can show of a restart) brings the group back dissolved:
# its replica device reads the point in time, and a source in another
# pool's group breaks nothing of it. Resync, Restore and Detach are refused,
# naming the group as dissolved; Return To ResourcePool deletes it and
# gives its space back. A snapshot group cannot be dissolved (Not
# Supported), nor a clone still copying (Failed).
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid='' gs='' gid2=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $gid $gs $gid2; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup tgt ds_1 dd_1 dd2_1 dmr-s1 dmr-pool dmr-pool2 pc pc2
	modprobe dm-replica
}
trap cleanup EXIT

# shellcheck disable=SC2317 # called through check
says() {
	printf '%s' "$2" | grep -qF -- "$1"
}

size=32768	# 16 MiB
psize=98304	# the pool's 48 MiB, and a device of that size for its copy
check "the pool's device" dm_create pc "0 $psize linear $DISK_C 0"
check "another one" dm_create pc2 "0 $psize linear $DISK_B 0"
check "pool" pool_create dmr-pool /dev/mapper/pc 128
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 16m 151
sum=$(md5sum </dev/mapper/dmr-s1)

GROUP_OPTS=
check_do "a snapshot group" group_create ds dmr-pool /dev/mapper/dmr-s1
gs=$GROUP_ID
out=$(replicactl modify-sync --operation dissolve "$gs" 2>&1)
check_eq "a snapshot group: Not Supported" "$?" 1
check "the message says why" \
	says "Dissolve (9) is not supported for snapshot groups: a snapshot reads its sources" "$out"
check_eq "it stays a snapshot group" "$(group_field "$gs" dissolved)" false
check "delete it" replicactl group delete "$gs"
gs=''

GROUP_OPTS="--copy-rate 2048"
check_do "a rate-limited clone" clone_create dd dmr-pool /dev/mapper/dmr-s1
gid=$GROUP_ID
end_if_failed
out=$(replicactl modify-sync --operation 9 "$gid" 2>&1)
check_eq "a clone still copying: Failed" "$?" 4
check "the message names the replica" \
	says "replica dd_1 is not Synchronized: its copy must end before a Dissolve" "$out"
check_eq "not dissolved" "$(group_field "$gid" dissolved)" false
check "the copy ends" replicactl job wait "$CLONE_JOB"
check_eq "the clone holds every chunk, and its change map" "$(pool_used dmr-pool)" 257

out=$(replicactl --json modify-sync --operation dissolve "$gid" 2>&1)
check_eq "dissolve" "$?" 0
check "its message" says "group $gid dissolved" "$out"
check_eq "group show: dissolved" "$(group_field "$gid" dissolved)" true
check_eq "still Synchronized" "$(group_field "$gid" copy_state)" 4
used=$(pool_used dmr-pool)
check_eq "its change map went back: no resync will read it" "$used" 256
out=$(replicactl group changed-chunks "$gid" 1 2>&1)
check_eq "changed-chunks of a dissolved clone: Not Supported" "$?" 1
check "it says why" says "is dissolved: its changes are not tracked" "$out"
check "group list --json: dissolved" says '"dissolved": true' "$(replicactl --json group list)"
check "group list: dissolved" says " dissolved" "$(replicactl group list)"
out=$(replicactl modify-sync --operation dissolve "$gid" 2>&1)
check_eq "dissolving again: nothing to do" "$?" 0
check "it says so" says "was dissolved already" "$out"

check "new data on the source" dmr_io write /dev/mapper/dmr-s1 0 16m 152
check_eq "the clone reads the point in time" "$(md5sum </dev/mapper/dd_1)" "$sum"
check "the clone takes writes" dmr_io write /dev/mapper/dd_1 4m 64k 153
check "and reads them back" dmr_io verify /dev/mapper/dd_1 4m 64k 153
check "a restore of the clone back" dmr_io write /dev/mapper/dd_1 4m 64k 151

for op in resync-replica restore-from-replica; do
	out=$(replicactl modify-sync --operation $op "$gid" 2>&1)
	check_eq "$op: Failed" "$?" 4
	check "$op: the group is dissolved" says "group $gid is dissolved" "$out"
done
check "a target for it" dm_create tgt "0 $size linear $DISK_B $psize"
out=$(replicactl modify-sync --operation detach --targets /dev/mapper/tgt "$gid" 2>&1)
check_eq "detach: Failed" "$?" 4
check "detach: the group is dissolved" says "group $gid is dissolved" "$out"
check "the replica device is back" dmsetup info dd_1
check "remove the target" dmsetup remove tgt
check "the source kept its writes" dmr_io verify /dev/mapper/dmr-s1 0 16m 152

# A restart, as far as one boot can show it: the pool's disk copied
# onto another device and loaded there, a pool this module never saw,
# which builds its groups from the records on disk. Its group takes a new
# id (the old one is in use) and comes back dissolved; the source is in
# the first pool's group, which breaks every member of the copy that
# still needs it: the dissolved clone needs nothing of it.
check "remove the replica device" dmsetup remove dd_1
check "the pool's disk, copied" dd if=/dev/mapper/pc of=/dev/mapper/pc2 bs=1M iflag=direct \
	oflag=direct conv=fsync
check "load the copy as a pool" dm_create dmr-pool2 "0 $psize replica-pool /dev/mapper/pc2"
# Known before the test may end, so that the cleanup deletes it.
gid2=$(replicactl --json group list | grep -o '"id": [0-9]*' | awk -v g="$gid" '$2 != g { print $2 }')
end_if_failed
diag "the copy's group: $gid2"
check_eq "one group in the copy" "$(echo "$gid2" | wc -w)" 1
end_if_failed
check_eq "the group is back, dissolved" "$(group_field "$gid2" dissolved)" true
check_eq "Synchronized" "$(group_field "$gid2" copy_state)" 4
check_eq "holding every chunk" "$(pool_used dmr-pool2)" "$used"
check "its replica device" dm_create dd2_1 "0 $size replica /dev/mapper/dmr-pool2 $gid2 1"
check_eq "reads the point in time" "$(md5sum </dev/mapper/dd2_1)" "$sum"
check "more on the source" dmr_io write /dev/mapper/dmr-s1 0 1m 154
check_eq "still Synchronized" "$(group_field "$gid2" copy_state)" 4
echo 3 >/proc/sys/vm/drop_caches
check_eq "still the point in time" "$(md5sum </dev/mapper/dd2_1)" "$sum"
check "remove that replica device" dmsetup remove dd2_1
out=$(replicactl modify-sync --operation restore-from-replica "$gid2" 2>&1)
check_eq "restore of the loaded group: Failed" "$?" 4
check "it is dissolved" says "group $gid2 is dissolved" "$out"
check "delete the loaded group" replicactl group delete "$gid2"
gid2=''
check_eq "its pool is empty" "$(pool_used dmr-pool2)" 0

check "delete the group" replicactl group delete "$gid"
gid=''
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0

# Nothing is left behind: with the devices gone, the module unloads.
check "remove the devices" dmsetup remove dmr-s1 dmr-pool dmr-pool2 pc pc2
check "unload dm-replica" rmmod dm_replica
check "load dm-replica again" modprobe dm-replica
finish
