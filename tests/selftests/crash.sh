#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Restart safety, in two boots of the test VM on the same disks.
#
# Phase 1: a pool, two 16 MiB sources filled with known data, a group of
# them (the checksums of the sources at creation are kept on disk), then
# heavy copy-on-write traffic, during which the VM's power is cut (the
# host kills QEMU when it reads "CUT POWER NOW").
#
# Phase 2: the pool and the sources are set up again by hand with dmsetup;
# the pool brings the group back and the sources re-attach; the replicas
# match the checksums taken at creation; the group is deleted and its
# space comes back.
#
# Two more groups, on pools and sources of their own (dm-linear slices of
# the disks), test the restart rules on the same two boots:
#  - "order": in phase 2 its source is loaded and written before its pool:
#    the member must come back Broken, with the reason, and its replica
#    must fail reads; meanwhile a group made in phase 2 takes the id the
#    absent pool's group had, and loading that pool must not fail for it.
#  - "broken": its pool ran full in phase 1 and the member broke; it must
#    still be Broken after the restart. Before, its pool is loaded once
#    with a duplicate entry in its owner table, which must fail the load.
#
# Phase 1 ends with the power cut: it prints its checks as they go and the
# marker only when they all passed. Phase 2 prints KTAP.
cd "$(dirname "$0")" || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh

require_module
require_disks
phase=$1

# The checksums are kept past the end of the sources, on disk B.
note_off=$((60 * 1048576))

# slices: the dm-linear devices of the order and broken scenarios, the
# same in both boots (name disk MiB offset-MiB).
slices() {
	for _s in "ord-src-d $DISK_A 8 16" "brk-src-d $DISK_A 16 24" \
		"ord-pool-d $DISK_A 16 40" "brk-pool-d $DISK_B 8 16" "new-src-d $DISK_B 8 24"; do
		# shellcheck disable=SC2086 # the words of one slice
		set -- $_s
		dm_create "$1" "0 $(($3 * 2048)) linear $2 $(($4 * 2048))" || return 1
	done
}

# group_by_name REL: the id of the group with that relationship name.
group_by_name() {
	replicactl group list | awk -v r="$1" '$2 == r { print $1 }'
}

# unreadable DEV: a direct read of DEV fails.
unreadable() {
	! dd if="$1" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
}

phase1() {
	check "pool" pool_create dmr-pool "$DISK_C" 128
	check "source 1" source_create crash-s1 "$DISK_A" 32768
	check "source 2" source_create crash-s2 "$DISK_B" 32768
	check "fill source 1" dmr_io write /dev/mapper/crash-s1 0 16m 81
	check "fill source 2" dmr_io write /dev/mapper/crash-s2 0 16m 82
	sum1=$(md5sum </dev/mapper/crash-s1)
	sum2=$(md5sum </dev/mapper/crash-s2)
	check_do "group" group_create crash dmr-pool /dev/mapper/crash-s1 /dev/mapper/crash-s2
	gid=$GROUP_ID

	# The order and broken scenarios.
	check "slices" slices
	check "order pool" pool_create ord-pool /dev/mapper/ord-pool-d 128
	check "order source" source_create ord-src /dev/mapper/ord-src-d
	check "fill the order source" dmr_io write /dev/mapper/ord-src 0 8m 91
	check_do "order group" group_create order ord-pool /dev/mapper/ord-src
	check "broken pool" pool_create brk-pool /dev/mapper/brk-pool-d 128
	check "broken source" source_create brk-src /dev/mapper/brk-src-d
	check_do "broken group" group_create broken brk-pool /dev/mapper/brk-src
	brk=$GROUP_ID
	check "overwrite more than the pool holds" dmr_io write /dev/mapper/brk-src 0 16m 92
	check_eq "the broken group is Broken" "$(group_field "$brk" copy_state)" 5

	printf '%s\n%s\n%s\n' "$gid" "${sum1%% *}" "${sum2%% *}" >/tmp/note
	check "keep the checksums" dd if=/tmp/note of="$DISK_B" bs=512 seek=$((note_off / 512)) \
		count=1 conv=sync,fsync
	mkfifo /tmp/w1 /tmp/w2
	dmr_io writer /dev/mapper/crash-s1 4k >/tmp/w1 &
	dmr_io writer /dev/mapper/crash-s2 4k >/tmp/w2 &
	exec 3</tmp/w1 4</tmp/w2
	read -r l1 <&3
	read -r l2 <&4
	check_eq "writers through their first pass" "$l1 $l2" "done 0 done 0"
	[ "$_failed" = 0 ] || return 1
	# Still writing hard: cut here. The writers never stop by themselves;
	# the host cuts the power while they run.
	echo "CUT POWER NOW"
	while read -r _ <&3; do :; done
	echo "FAIL: the writers stopped before the power was cut"
	return 1
}

# Pool first for source 2, source 1 (unwritten) before its pool: both
# re-attach and the replicas are the point in time.
restart_pool_first() {
	dd if="$DISK_B" of=/tmp/note bs=512 skip=$((note_off / 512)) count=1 2>/dev/null
	{ read -r gid; read -r sum1; read -r sum2; } </tmp/note
	check "the note survived" test -n "$sum2"
	check "slices again" slices
	check "source 1 again, before its pool" source_create crash-s1 "$DISK_A" 32768
	check "open the pool again" dm_create dmr-pool "0 $(sectors "$DISK_C") replica-pool $DISK_C"
	check "source 2 again" source_create crash-s2 "$DISK_B" 32768
	check_eq "source 1 is in the group again" \
		"$(dmsetup status crash-s1 | awk '{ print $4 }')" cow
	check_eq "source 2 is in the group again" \
		"$(dmsetup status crash-s2 | awk '{ print $4 }')" cow
	check_eq "the group is back" "$(group_field "$gid" relationship_name)" crash
	check_eq "Synchronized" "$(group_field "$gid" copy_state)" 4
	pool=$(cat "$(sysblk /dev/mapper/dmr-pool)/dev")
	check "replica 1" dm_create crash_1 "0 32768 replica $pool $gid 1"
	check "replica 2" dm_create crash_2 "0 32768 replica $pool $gid 2"
	s1=$(md5sum </dev/mapper/crash_1)
	s2=$(md5sum </dev/mapper/crash_2)
	check_eq "replica 1 is the point in time" "${s1%% *}" "$sum1"
	check_eq "replica 2 is the point in time" "${s2%% *}" "$sum2"
	check "writes go on after the restart" dmr_io write /dev/mapper/crash-s1 0 1m 83
	s1=$(md5sum </dev/mapper/crash_1)
	check_eq "and still do not reach replica 1" "${s1%% *}" "$sum1"
	check "remove the replicas" dmsetup remove crash_1 crash_2
	# A group made while the order pool is absent takes the next id,
	# which may be the one the order group had.
	check "a source for a new group" source_create new-src /dev/mapper/new-src-d
	check_do "a new group while the order pool is absent" \
		group_create fresh dmr-pool /dev/mapper/new-src
	echo "$GROUP_ID" >/tmp/fresh
	finish
}

# The order source is loaded and written before its pool.
restart_source_first() {
	fresh=$(cat /tmp/fresh)
	check "order source before its pool" source_create ord-src /dev/mapper/ord-src-d
	check "write to it" dmr_io write /dev/mapper/ord-src 0 256k 93
	check "open the order pool" dm_create ord-pool \
		"0 $(sectors /dev/mapper/ord-pool-d) replica-pool /dev/mapper/ord-pool-d"
	ord=$(group_by_name order)
	check "the order group is back" test -n "$ord"
	check "with an id of its own" test "$ord" != "$fresh"
	check_eq "the new group is untouched" "$(group_field "$fresh" relationship_name)" fresh
	check_eq "the order member is Broken, not Synchronized" "$(group_field "$ord" copy_state)" 5
	check "with the reason" sh -c "replicactl group show $ord | grep -q 'written before its pool was loaded'"
	pool=$(cat "$(sysblk /dev/mapper/ord-pool)/dev")
	check "its replica device" dm_create order_1 "0 16384 replica $pool $ord 1"
	check "fails reads instead of showing new data" unreadable /dev/mapper/order_1
	check_eq "and says Broken" "$(dmsetup status order_1 | awk '{ print $4 }')" 5
	check "remove it" dmsetup remove order_1
	check "delete the order group" replicactl group delete "$ord"
	check_eq "its space is back" "$(pool_used ord-pool)" 0
	finish
}

# A member that broke before the restart is still Broken after it.
restart_broken() {
	# An owner table that names one source chunk twice fails the load
	# instead of being "repaired" by dropping an entry.
	meta=$((8 + 8192 + 64))
	check "keep the pool's metadata" dd if=/dev/mapper/brk-pool-d of=/tmp/brk-meta bs=512 \
		count=$meta
	check "damage its owner table" dmr_io owner-dup /dev/mapper/brk-pool-d
	check_fails "a pool with a duplicate owner entry is refused" dm_create brk-pool \
		"0 $(sectors /dev/mapper/brk-pool-d) replica-pool /dev/mapper/brk-pool-d"
	check "the kernel says why" dmesg_has "Pool owner table is inconsistent"
	dm_cleanup brk-pool
	check "repair it" dd if=/tmp/brk-meta of=/dev/mapper/brk-pool-d bs=512 conv=fsync
	check "broken pool" dm_create brk-pool \
		"0 $(sectors /dev/mapper/brk-pool-d) replica-pool /dev/mapper/brk-pool-d"
	check "broken source" source_create brk-src /dev/mapper/brk-src-d
	brk=$(group_by_name broken)
	check "the broken group is back" test -n "$brk"
	check_eq "still Broken" "$(group_field "$brk" copy_state)" 5
	check_eq "its source is a pass-through" \
		"$(dmsetup status brk-src | awk '{ print $4 }')" passthrough
	pool=$(cat "$(sysblk /dev/mapper/brk-pool)/dev")
	check "its replica device" dm_create broken_1 "0 32768 replica $pool $brk 1"
	check "fails reads" unreadable /dev/mapper/broken_1
	check "remove it" dmsetup remove broken_1
	check "delete the broken group" replicactl group delete "$brk"
	check "delete the new group" replicactl group delete "$(cat /tmp/fresh)"
	check "delete the crash group" replicactl group delete \
		"$(group_by_name crash)"
	check_eq "the pool's space is back" "$(pool_used dmr-pool)" 0
	dm_cleanup crash-s1 crash-s2 new-src ord-src brk-src dmr-pool ord-pool brk-pool \
		ord-src-d brk-src-d ord-pool-d brk-pool-d new-src-d
	finish
}

if [ "$phase" = 1 ]; then
	phase1 2>&1
	exit 1
fi
echo "KTAP version 1"
echo "1..3"
i=0
for t in restart_pool_first restart_source_first restart_broken; do
	i=$((i + 1))
	out=$($t 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if [ "$rc" = 0 ]; then
		echo "ok $i $t"
	else
		echo "not ok $i $t"
	fi
done
