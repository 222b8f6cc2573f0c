#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A clone's change map is kept in its pool. A pool loaded from a copy of
# its disk (what one boot can show of a restart) brings back the same runs
# of changed chunks, known, and goes on tracking. A source written while
# no pool of it is loaded makes the map unknown when its pool comes back:
# changed-chunks says so (every chunk, "unknown") and the clone itself is
# untouched; a Resync is refused there, naming the source, as the
# source's copy-on-write in that pool broke with the write.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
gid='' gid2='' gid3=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $gid $gid2 $gid3; do replicactl group delete "$g" >/dev/null 2>&1; done
	dm_cleanup rc_1 rc3_1 dmr-s1 dmr-pool dmr-pool2 dmr-pool3 pc pc2 pc3
}
trap cleanup EXIT

# only_group POOL_DEV: the id of the one group of the pool loaded last.
only_group() {
	replicactl --json group list | grep -o '"id": [0-9]*' | awk '{ print $2 }'
}

size=16384	# 8 MiB: 128 chunks of 64 KiB
psize=32768	# the pool's 16 MiB, and two devices of that size for copies
check "the pool's device" dm_create pc "0 $psize linear $DISK_C 0"
check "a device for a copy" dm_create pc2 "0 $psize linear $DISK_B 0"
check "and another" dm_create pc3 "0 $psize linear $DISK_B $psize"
check "pool" pool_create dmr-pool /dev/mapper/pc 128 8
check "source" source_create dmr-s1 "$DISK_A" $size
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 8m 171
GROUP_OPTS="--sync-type clone --mode synchronous"
check_do "a clone, copied" group_create rc dmr-pool /dev/mapper/dmr-s1
gid=$GROUP_ID
GROUP_OPTS=
end_if_failed
check "write the source (chunk 3)" dmr_io write /dev/mapper/dmr-s1 192k 64k 172
check "write the clone (chunk 5)" dmr_io write /dev/mapper/rc_1 320k 4k 173
check "flush the clone" dmr_io fsync /dev/mapper/rc_1
check_eq "the runs" "$(changed_runs "$gid" 1)" "3 1 source 5 1 replica known"
check "remove the replica device" dmsetup remove rc_1
check "the pool's disk, copied" dd if=/dev/mapper/pc of=/dev/mapper/pc2 bs=1M iflag=direct \
	oflag=direct conv=fsync
check "and copied again" dd if=/dev/mapper/pc of=/dev/mapper/pc3 bs=1M iflag=direct \
	oflag=direct conv=fsync
check "delete the group" replicactl group delete "$gid"
gid=''
# A source device made again, unwritten since: as after a restart.
check "remove the source" dmsetup remove dmr-s1
check "make it again" source_create dmr-s1 "$DISK_A" $size
end_if_failed

check "load the first copy" dm_create dmr-pool2 "0 $psize replica-pool /dev/mapper/pc2"
gid2=$(only_group)
check_eq "its group" "$(echo "$gid2" | wc -w)" 1
end_if_failed
check_eq "Synchronized" "$(group_field "$gid2" copy_state)" 4
check_eq "the runs came back, known" "$(changed_runs "$gid2" 1)" "3 1 source 5 1 replica known"
check "write the source again (chunk 16)" dmr_io write /dev/mapper/dmr-s1 1m 64k 174
check_eq "and it goes on tracking" "$(changed_runs "$gid2" 1)" \
	"3 1 source 5 1 replica 16 1 source known"
check "delete that group" replicactl group delete "$gid2"
gid2=''
check_eq "its pool is empty" "$(pool_used dmr-pool2)" 0

# Written while no pool of it is loaded.
check "write the source, its pool away (chunk 32)" dmr_io write /dev/mapper/dmr-s1 2m 64k 175
check "load the second copy" dm_create dmr-pool3 "0 $psize replica-pool /dev/mapper/pc3"
gid3=$(only_group)
check_eq "its group" "$(echo "$gid3" | wc -w)" 1
end_if_failed
check_eq "Synchronized: the clone needs nothing of its source" \
	"$(group_field "$gid3" copy_state)" 4
check_eq "what changed is unknown" "$(changed_runs "$gid3" 1)" "0 128 unknown unknown"
check "the kernel log says so" dmesg_has "rc_1: changes unknown, its next resync copies every chunk"
pool=$(cat "$(sysblk /dev/mapper/dmr-pool3)/dev")
check "its clone" dm_create rc3_1 "0 $size replica $pool $gid3 1"
# untouched: the point in time, and the clone's own write
# shellcheck disable=SC2317 # called through check
untouched() {
	dmr_io verify /dev/mapper/rc3_1 0 320k 171 &&
		dmr_io verify /dev/mapper/rc3_1 320k 4k 173 &&
		dmr_io verify /dev/mapper/rc3_1 324k 7868k 171
}
check "the clone is untouched" untouched
check "remove it" dmsetup remove rc3_1
# The source's copy-on-write in this pool broke with that write: no new
# point in time of it can be taken there (its snapshots would be Broken).
out=$(replicactl modify-sync --operation resync-replica "$gid3" 2>&1)
check_eq "a resync: Failed" "$?" 4
check "naming the source and why" \
	sh -c "printf '%s' \"\$1\" | grep -qF 'dmr-s1: copy-on-write broken: source dmr-s1 was written before its pool was loaded'" _ "$out"
check_eq "still Synchronized" "$(group_field "$gid3" copy_state)" 4
check_eq "still unknown" "$(changed_runs "$gid3" 1)" "0 128 unknown unknown"
check "its clone again" dm_create rc3_1 "0 $size replica $pool $gid3 1"
check "still untouched" untouched
check "remove it again" dmsetup remove rc3_1
check "delete the group" replicactl group delete "$gid3"
gid3=''
check_eq "its pool is empty" "$(pool_used dmr-pool3)" 0
finish
