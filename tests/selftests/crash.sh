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

phase1() {
	check "pool" pool_create dmr-pool "$DISK_C" 128
	check "source 1" source_create crash-s1 "$DISK_A" 32768
	check "source 2" source_create crash-s2 "$DISK_B" 32768
	check "fill source 1" dmr_io write /dev/mapper/crash-s1 0 16m 81
	check "fill source 2" dmr_io write /dev/mapper/crash-s2 0 16m 82
	sum1=$(md5sum </dev/mapper/crash-s1)
	sum2=$(md5sum </dev/mapper/crash-s2)
	check_do "group" group_create crash dmr-pool /dev/mapper/crash-s1 /dev/mapper/crash-s2
	printf '%s\n%s\n%s\n' "$GROUP_ID" "${sum1%% *}" "${sum2%% *}" >/tmp/note
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

phase2() {
	dd if="$DISK_B" of=/tmp/note bs=512 skip=$((note_off / 512)) count=1 2>/dev/null
	{ read -r gid; read -r sum1; read -r sum2; } </tmp/note
	check "the note survived" test -n "$sum2"
	check "open the pool again" dm_create dmr-pool "0 $(sectors "$DISK_C") replica-pool $DISK_C"
	check "source 1 again" source_create crash-s1 "$DISK_A" 32768
	check "source 2 again" source_create crash-s2 "$DISK_B" 32768
	check_eq "source 1 is in the group again" \
		"$(dmsetup status crash-s1 | awk '{ print $4 }')" cow
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
	check "delete the group" replicactl group delete "$gid"
	check_eq "its space is back" "$(pool_used dmr-pool)" 0
	dm_cleanup crash-s1 crash-s2 dmr-pool
}

if [ "$phase" = 1 ]; then
	phase1 2>&1
	exit 1
fi
echo "KTAP version 1"
echo "1..1"
out=$(phase2 2>&1; finish)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ "$rc" = 0 ]; then
	echo "ok 1 crash_restart"
else
	echo "not ok 1 crash_restart"
fi
