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
#  - "many": eight snapshot groups of two 2 MiB sources on a pool of their
#    own, taken one after the other under a dependent-write writer, with
#    writes of known data between them and a write to one replica (a
#    writable snapshot); the checksums of every replica are kept on disk.
#    The eighth is taken after the writers above have made their first
#    pass; then writers start over the chunks it still shares with its
#    sources, and the power is cut with them and the dependent-write
#    writer in flight. In phase 2, after the other scenarios, every group
#    is Synchronized, every replica has its checksums and is consistent at
#    the same record, the sources kept every write that completed, and
#    deleting the groups in a random order never grows the pool's use and
#    ends with it empty. A failure of this scenario in phase 1 is noted
#    on disk and reported by its phase 2 case, so that it does not hide
#    the others.
#
#  - "dropped": a commit of shared copies is made durable by one flush,
#    and its entries may reach the disk before the copies' data. In phase
#    1, a snapshot of a 1 MiB source and two writes (chunks 3 and 5), each
#    copy in a commit of its own, the second the last one of its pool. In
#    phase 2, before its devices are loaded, the disks are put in the
#    state a power cut in that last commit can leave: the entry on disk,
#    the copy's data not (overwritten), and the source write it was made
#    for not either (the chunk's old data put back). Loading the pool must
#    drop that copy and say so, keep the other, and serve the replica its
#    point in time from the source.
#
#  - "clone": a clone group (SyncType 8) of two 4 MiB sources on a pool of
#    its own, past the first 64 MiB of the disks (tests/run.sh gives the
#    power-cut boots larger disks), with a slow copy_rate. Its sources get
#    known writes after the point in time and a writer that runs into the
#    power cut, which comes when the background copy is between 30% and
#    60%. In phase 2, once its pool is loaded and before its sources are,
#    the pool holds at least the chunks counted as copied before the cut
#    (a copy counts once committed), and the job of the resumed copy
#    starts from them, not 0; with the sources back the copy reaches
#    Synchronized and the clones equal the checksums taken at the point in
#    time; the sources keep the known writes. The clones' change maps kept
#    every chunk written at the sources before the cut, and nothing else:
#    a Resync copies those chunks alone, and the clones equal the sources
#    after it. A failure
#    in phase 1 is noted on disk and reported in phase 2, as for "many".
#
# Phase 1 ends with the power cut: it prints its checks as they go and the
# marker only when they all passed. Phase 2 prints KTAP.
cd "$(dirname "$0")" || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh

require_module
require_disks
phase=$1

# The checksums are kept past the end of the sources, on disk A.
NOTE_DISK=$DISK_A
note_off=$((62 * 1048576))

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

# The notes of the "many" scenario, past the one above.
ms_note_off=$((63 * 1048576))

# The "dropped" scenario: its pool (8 MiB of disk B), its source (1 MiB of
# disk A), and where the old data of its source's chunk 5 is kept.
dr_slices() {
	dm_create dr-pool-d "0 $((8 * 2048)) linear $DISK_B $((56 * 2048))" &&
		dm_create dr-src-d "0 2048 linear $DISK_A $((60 * 2048))"
}
dr_old_off=$((61 * 1048576))
DR_SRC=/dev/mapper/dr-src
MS_SNAPS=8
MS_WRITABLE=4
MS1=/dev/mapper/ms-s1 MS2=/dev/mapper/ms-s2

# ms_slices: the "many" scenario's pool and sources, the same in both
# boots.
ms_slices() {
	dm_create ms-pool-d "0 $((24 * 2048)) linear $DISK_B $((32 * 2048))" &&
		dm_create ms-s1-d "0 4096 linear $DISK_A $((56 * 2048))" &&
		dm_create ms-s2-d "0 4096 linear $DISK_A $((58 * 2048))"
}

# group_by_name REL: the id of the group with that relationship name.
group_by_name() {
	replicactl group list | awk -v r="$1" '$2 == r { print $1 }'
}

# unreadable DEV: a direct read of DEV fails.
unreadable() {
	! dd if="$1" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
}

# ms_fail REASON: note the first failure of the "many" scenario.
ms_fail() {
	echo "FAIL: many: $1"
	[ -f /tmp/ms-fail ] || echo "$1" >/tmp/ms-fail
}

# ms_snap K: snapshot K of the "many" sources under the writer; its record
# and checksums go into the note. Snapshot MS_WRITABLE's first replica is
# written to first. Before the last one, the round K writes follow (chunks
# 2K+2..2K+5 of each source), and the writer (output on file descriptor
# 3) goes round its records once more.
ms_snap() {
	if ! group_create "ms$1" ms-pool $MS1 $MS2 >/tmp/ms-create 2>&1; then
		cat /tmp/ms-create
		ms_fail "snapshot $1 could not be taken: $(head -n 1 /tmp/ms-create)"
		return 1
	fi
	_r1=/dev/mapper/ms${1}_1 _r2=/dev/mapper/ms${1}_2
	_dwc=$(dmr_dwc check "$_r1" "$_r2" 2>&1)
	check "many: snapshot $1 consistent ($_dwc)" test "${_dwc%% at *}" = consistent
	_seq=${_dwc##* }
	case $_seq in '' | *[!0-9]*) _seq=0 ;; esac
	if [ "$1" = $MS_WRITABLE ]; then
		check "many: write 8 KiB into chunk 16 of replica $1.1" \
			dmr_io write "$_r1" 1028k 8k 4001
		check "many: write chunk 24 of replica $1.1" dmr_io write "$_r1" 1536k 64k 4002
		check "many: replica $1.1 reads them back" sh -c \
			"dmr_io verify $_r1 1028k 8k 4001 && dmr_io verify $_r1 1536k 64k 4002"
	fi
	echo "snap $1 $GROUP_ID $_seq $(dev_md5 "$_r1") $(dev_md5 "$_r2")" >>/tmp/ms-note
	[ "$1" = $MS_SNAPS ] && return 0
	check "many: round $1 writes to source 1" \
		dmr_io write $MS1 $((128 * $1 + 128))k 256k $((1000 + 10 * $1 + 1))
	check "many: round $1 writes to source 2" \
		dmr_io write $MS2 $((128 * $1 + 128))k 256k $((1000 + 10 * $1 + 2))
	check "many: round $1: the writer went round its records" dwc_wait $((_seq + 128))
}

# ms_phase1: the "many" scenario up to its last snapshot, which ms_last
# takes. Its checks do not count for phase 1 (ms_fail notes them).
ms_phase1() {
	_f0=$_failed
	rm -f /tmp/ms-fail /tmp/ms-note
	check "many: slices" ms_slices
	check "many: pool" pool_create ms-pool /dev/mapper/ms-pool-d 128 64
	check "many: source 1" source_create ms-s1 /dev/mapper/ms-s1-d
	check "many: source 2" source_create ms-s2 /dev/mapper/ms-s2-d
	check "many: fill source 1" dmr_io write $MS1 0 2m 1001
	check "many: fill source 2" dmr_io write $MS2 0 2m 1002
	check "many: clear the records of source 1" dmr_io zeroout $MS1 0 256k
	check "many: clear the records of source 2" dmr_io zeroout $MS2 0 256k
	if [ "$_failed" = "$_f0" ]; then
		mkfifo /tmp/dwc
		dmr_dwc write $MS1 $MS2 >/tmp/dwc 2>/tmp/dwc.err &
		exec 3</tmp/dwc
		check "many: the writer filled its records once" dwc_wait 128
		_k=1
		while [ $_k -lt $MS_SNAPS ] && ms_snap $_k; do
			_k=$((_k + 1))
		done
		# The writer runs on into the power cut; fd 5 keeps its pipe.
		exec 5<&3 3<&-
	fi
	[ "$_failed" = "$_f0" ] ||
		ms_fail "$((_failed - _f0)) checks failed in the first boot (see its log)"
	_failed=$_f0
}

# ms_last: the last snapshot of the "many" scenario, under every writer,
# the note written to disk, and writers started over the chunks it still
# shares with its sources (4..31; not the records).
ms_last() {
	_f0=$_failed
	if [ ! -f /tmp/ms-fail ] && ms_snap $MS_SNAPS; then
		check "many: the area of source 1" dm_create ms-a1 "0 3584 linear $MS1 512"
		check "many: the area of source 2" dm_create ms-a2 "0 3584 linear $MS2 512"
		dmr_io writer /dev/mapper/ms-a1 4k >/dev/null 2>&1 &
		dmr_io writer /dev/mapper/ms-a2 4k >/dev/null 2>&1 &
	fi
	[ "$_failed" = "$_f0" ] ||
		ms_fail "$((_failed - _f0)) checks failed in the first boot (see its log)"
	_failed=$_f0
	[ -f /tmp/ms-fail ] && echo "fail $(cat /tmp/ms-fail)" >>/tmp/ms-note
	echo end >>/tmp/ms-note
	check "many: keep the notes" dd if=/tmp/ms-note of="$NOTE_DISK" bs=512 \
		seek=$((ms_note_off / 512)) count=4 conv=sync,fsync
}

# The "clone" scenario: its sources (disk A) and pool (disk B) past the
# first 64 MiB, its notes after them.
CL_S1=/dev/mapper/cl-s1 CL_S2=/dev/mapper/cl-s2
cl_note_off=$((72 * 1048576))
cl_slices() {
	dm_create cl-s1-d "0 8192 linear $DISK_A $((64 * 2048))" &&
		dm_create cl-s2-d "0 8192 linear $DISK_A $((68 * 2048))" &&
		dm_create cl-pool-d "0 $((32 * 2048)) linear $DISK_B $((64 * 2048))"
}

# cl_fail REASON: note the first failure of the "clone" scenario.
cl_fail() {
	echo "FAIL: clone: $1"
	[ -f /tmp/cl-fail ] || echo "$1" >/tmp/cl-fail
}

# cl_phase1: the clone group, known writes to its sources after its point
# in time and a writer left running on a third region of source 1 (the
# clones' 128 chunks: 16 copies for those writes, the rest copied at
# 128 KiB/s, a minute); the notes are written once the copy is
# between 30% and 60%, just before the power cut. Its checks do not count
# for phase 1 (cl_fail notes them).
cl_phase1() {
	_f0=$_failed
	rm -f /tmp/cl-fail /tmp/cl-note
	if [ "$(sectors "$DISK_A")" -lt $((80 * 2048)) ] ||
	   [ "$(sectors "$DISK_B")" -lt $((96 * 2048)) ]; then
		cl_fail "the disks are smaller than 96 MiB"
	else
		check "clone: slices" cl_slices
		check "clone: pool" pool_create cl-pool /dev/mapper/cl-pool-d 128 8
		check "clone: source 1" source_create cl-s1 /dev/mapper/cl-s1-d
		check "clone: source 2" source_create cl-s2 /dev/mapper/cl-s2-d
		check "clone: fill source 1" dmr_io write $CL_S1 0 4m 101
		check "clone: fill source 2" dmr_io write $CL_S2 0 4m 102
	fi
	if [ "$_failed" = "$_f0" ] && [ ! -f /tmp/cl-fail ]; then
		_sum1=$(dev_md5 $CL_S1)
		_sum2=$(dev_md5 $CL_S2)
		GROUP_OPTS="--replication-setting-data copy_rate=128"
		check_do "clone: the clone group" clone_create clc cl-pool $CL_S1 $CL_S2
		GROUP_OPTS=
	fi
	if [ "$_failed" = "$_f0" ] && [ ! -f /tmp/cl-fail ]; then
		check "clone: write 256 KiB at 1 MiB of source 1" dmr_io write $CL_S1 1m 256k 103
		check "clone: write 256 KiB at 2 MiB of source 2" dmr_io write $CL_S2 2m 256k 104
		check "clone: a view of [3 MiB, 3.5 MiB) of source 1" \
			dm_create cl-a1 "0 1024 linear $CL_S1 6144"
		# The writer runs into the power cut; fd 6 keeps its pipe.
		mkfifo /tmp/cl-w
		dmr_io writer /dev/mapper/cl-a1 4k >/tmp/cl-w 2>&1 &
		exec 6</tmp/cl-w
		# shellcheck disable=SC3045 # busybox sh, the VM's shell, has read -t
		read -r -t 120 _l <&6
		check_eq "clone: the writer went over its region once" "${_l:-}" "done 0"
		check_do "clone: the copy reaches 30% to 60%" wait_copied "$GROUP_ID" 30 60 300
		# shellcheck disable=SC2046 # copied and total
		set -- $(clone_progress "$GROUP_ID")
		echo "clone: $COPIED_PCT% copied, $1 of $2 chunks, before the power cut"
		check_eq "clone: still Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3
		echo "clone $GROUP_ID $_sum1 $_sum2 $1 $2" >>/tmp/cl-note
	fi
	[ "$_failed" = "$_f0" ] ||
		cl_fail "$((_failed - _f0)) checks failed in the first boot (see its log)"
	_failed=$_f0
	[ -f /tmp/cl-fail ] && echo "fail $(cat /tmp/cl-fail)" >>/tmp/cl-note
	echo end >>/tmp/cl-note
	check "clone: keep the notes" dd if=/tmp/cl-note of="$NOTE_DISK" bs=512 \
		seek=$((cl_note_off / 512)) count=4 conv=sync,fsync
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
	check "order pool" pool_create ord-pool /dev/mapper/ord-pool-d 128 64
	check "order source" source_create ord-src /dev/mapper/ord-src-d
	check "fill the order source" dmr_io write /dev/mapper/ord-src 0 8m 91
	check_do "order group" group_create order ord-pool /dev/mapper/ord-src
	check "broken pool" pool_create brk-pool /dev/mapper/brk-pool-d 128 64
	check "broken source" source_create brk-src /dev/mapper/brk-src-d
	check_do "broken group" group_create broken brk-pool /dev/mapper/brk-src
	brk=$GROUP_ID
	check "overwrite more than the pool holds" dmr_io write /dev/mapper/brk-src 0 16m 92
	check_eq "the broken group is Broken" "$(group_field "$brk" copy_state)" 5
	ms_phase1
	dr_phase1

	printf '%s\n%s\n%s\n%s\n%s\n' "$gid" "${sum1%% *}" "${sum2%% *}" "$dr_gid" "$dr_sum" \
		>/tmp/note
	check "keep the checksums" dd if=/tmp/note of="$NOTE_DISK" bs=512 seek=$((note_off / 512)) \
		count=1 conv=sync,fsync
	mkfifo /tmp/w1 /tmp/w2
	dmr_io writer /dev/mapper/crash-s1 4k >/tmp/w1 &
	dmr_io writer /dev/mapper/crash-s2 4k >/tmp/w2 &
	exec 3</tmp/w1 4</tmp/w2
	read -r l1 <&3
	read -r l2 <&4
	check_eq "writers through their first pass" "$l1 $l2" "done 0 done 0"
	[ "$_failed" = 0 ] || return 1
	ms_last || return 1
	cl_phase1 || return 1
	# Still writing hard: cut here. The writers never stop by themselves;
	# the host cuts the power while they run.
	echo "CUT POWER NOW"
	while read -r _ <&3; do :; done
	echo "FAIL: the writers stopped before the power was cut"
	return 1
}

# The "dropped" scenario's first boot: its checksum and group id go into
# the note of the main group (lines 4 and 5).
dr_phase1() {
	check "dropped: slices" dr_slices
	check "dropped: pool" pool_create dr-pool /dev/mapper/dr-pool-d 128 64
	check "dropped: source" source_create dr-src /dev/mapper/dr-src-d
	check "dropped: fill the source" dmr_io write $DR_SRC 0 1m 95
	check_do "dropped: snapshot" group_create dr dr-pool $DR_SRC
	dr_gid=$GROUP_ID
	dr_sum=$(dev_md5 /dev/mapper/dr_1)
	check "dropped: keep chunk 5 of the source" \
		dd if=$DR_SRC of="$DISK_A" bs=64k skip=5 seek=$((dr_old_off / 65536)) count=1 \
		iflag=direct conv=notrunc,fsync
	check "dropped: a write into chunk 3 makes a copy" dmr_io write $DR_SRC 196k 4k 96
	check "dropped: a write into chunk 5 makes another" dmr_io write $DR_SRC 324k 4k 97
	check_eq "dropped: two chunks in use" "$(pool_used dr-pool)" 2
	check "dropped: remove the replica" dmsetup remove dr_1
}

# dr_entry SRC_CHUNK: the pool chunk and the commit of the copy of
# SRC_CHUNK, from the dropped scenario's owner table.
dr_entry() {
	dmr_io owner-list /dev/mapper/dr-pool-d |
		awk -v c="$1" '$1 != "data_start" && $2 == c { print $1, $3 }'
}

# An interrupted last commit: its copy is dropped when the pool loads.
restart_dropped_copy() {
	dd if="$NOTE_DISK" of=/tmp/note bs=512 skip=$((note_off / 512)) count=1 2>/dev/null
	{ read -r _; read -r _; read -r _; read -r gid; read -r sum; } </tmp/note
	check "the note survived" test -n "$sum"
	check "slices again" dr_slices
	end_if_failed
	diag "owner entries: $(dmr_io owner-list /dev/mapper/dr-pool-d | tr '\n' ';')"
	c3=$(dr_entry 3 | awk '{ print $2 }')
	pc5=$(dr_entry 5 | awk '{ print $1 }')
	c5=$(dr_entry 5 | awk '{ print $2 }')
	check "both copies are on disk" test -n "$c3" -a -n "$c5"
	check "the copy of chunk 5 is the last commit" test "${c5:-0}" -gt "${c3:-0}"
	end_if_failed
	data=$(dmr_io owner-list /dev/mapper/dr-pool-d | awk '$1 == "data_start" { print $2 }')
	check "its data did not reach the pool" \
		dmr_io write /dev/mapper/dr-pool-d "$((data + pc5 * 128))s" 64k 98
	check "nor did the source write" \
		dd if="$DISK_A" of=/dev/mapper/dr-src-d bs=64k skip=$((dr_old_off / 65536)) \
		seek=5 count=1 conv=notrunc,fsync
	dmesg -c >/dev/null
	check "open the pool" dm_create dr-pool \
		"0 $(sectors /dev/mapper/dr-pool-d) replica-pool /dev/mapper/dr-pool-d"
	check "the copy was dropped, and the kernel says so" \
		dmesg_has "1 of 1 copies of commit $c5 were not durable: dropped"
	check "the source" source_create dr-src /dev/mapper/dr-src-d
	check_eq "the pool holds the other copy only" "$(pool_used dr-pool)" 1
	check_eq "Synchronized" "$(group_field "$gid" copy_state)" 4
	pool=$(cat "$(sysblk /dev/mapper/dr-pool)/dev")
	check "the replica" dm_create dr_1 "0 2048 replica $pool $gid 1"
	check_eq "the replica is the point in time" "$(dev_md5 /dev/mapper/dr_1)" "$sum"
	check "a new write into chunk 5" dmr_io write $DR_SRC 324k 4k 99
	check_eq "makes a new copy" "$(pool_used dr-pool)" 2
	check_eq "the replica is still the point in time" "$(dev_md5 /dev/mapper/dr_1)" "$sum"
	check "the source holds its first write" dmr_io verify $DR_SRC 196k 4k 96
	check "and the new one" dmr_io verify $DR_SRC 324k 4k 99
	check "remove the replica" dmsetup remove dr_1
	check "delete the group" replicactl group delete "$gid"
	check_eq "the pool is empty" "$(pool_used dr-pool)" 0
	dm_cleanup dr-src dr-pool dr-src-d dr-pool-d
	finish
}

# Pool first for source 2, source 1 (unwritten) before its pool: both
# re-attach and the replicas are the point in time.
restart_pool_first() {
	dd if="$NOTE_DISK" of=/tmp/note bs=512 skip=$((note_off / 512)) count=1 2>/dev/null
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
	meta=$(dmr_io owner-list /dev/mapper/brk-pool-d | awk '$1 == "data_start" { print $2 }')
	check "keep the pool's metadata" dd if=/dev/mapper/brk-pool-d of=/tmp/brk-meta bs=512 \
		count="$meta"
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

# The "many" scenario after the power cut: back as noted, then deleted in
# a random order (seeded, the seed printed; DMR_SEED sets it).
restart_many_snapshots() {
	dd if="$NOTE_DISK" bs=512 skip=$((ms_note_off / 512)) count=4 2>/dev/null |
		tr -d '\000' >/tmp/ms-note
	check "the notes survived" grep -qx end /tmp/ms-note
	check "many: slices again" ms_slices
	check "many: open the pool again" dm_create ms-pool \
		"0 $(sectors /dev/mapper/ms-pool-d) replica-pool /dev/mapper/ms-pool-d"
	# Loading holds the owner blocks with entries, and no other.
	held=$(md_held ms-pool)
	withent=$(md_blocks_used /dev/mapper/ms-pool-d)
	diag "many: $held owner blocks held of $(md_blocks ms-pool), $withent with entries"
	check "many: the pool holds owner blocks" test "$held" -gt 0
	check "many: only blocks with entries" test "$held" -le "$withent"
	check "many: source 1 again" source_create ms-s1 /dev/mapper/ms-s1-d
	check "many: source 2 again" source_create ms-s2 /dev/mapper/ms-s2-d
	pool=$(cat "$(sysblk /dev/mapper/ms-pool)/dev")
	rm -f /tmp/ms-gid.*
	taken=0 top=0
	while read -r w k gid seq sum1 sum2; do
		[ "$w" = snap ] || continue
		taken=$((taken + 1))
		[ "$seq" -gt "$top" ] && top=$seq
		echo "$gid $sum1 $sum2" >"/tmp/ms-gid.$k"
		check_eq "snapshot $k is back" "$(group_field "$gid" relationship_name)" "ms$k"
		check_eq "snapshot $k Synchronized" "$(group_field "$gid" copy_state)" 4
		check "snapshot $k: replica 1" dm_create "ms${k}_1" "0 4096 replica $pool $gid 1"
		check "snapshot $k: replica 2" dm_create "ms${k}_2" "0 4096 replica $pool $gid 2"
		check_eq "snapshot $k: replica 1 as at creation" \
			"$(dev_md5 "/dev/mapper/ms${k}_1")" "$sum1"
		check_eq "snapshot $k: replica 2 as at creation" \
			"$(dev_md5 "/dev/mapper/ms${k}_2")" "$sum2"
		check_eq "snapshot $k: consistent at the same record" \
			"$(dmr_dwc check "/dev/mapper/ms${k}_1" "/dev/mapper/ms${k}_2" 2>&1)" \
			"consistent at $seq"
	done </tmp/ms-note
	reason=$(sed -n 's/^fail //p' /tmp/ms-note)
	[ -z "$reason" ] || fail "the first boot: $reason"
	check_eq "the first boot took all $MS_SNAPS snapshots" "$taken" $MS_SNAPS
	check_eq "source 1 is in its groups again" \
		"$(dmsetup status ms-s1 | awk '{ print $4 }')" cow
	out=$(dmr_dwc check $MS1 $MS2 2>&1)
	check "the sources kept the writes that completed ($out)" \
		test "${out%% at *}" = consistent
	check "including those before the last snapshot" test "${out##* }" -ge "$top"

	seed=${DMR_SEED:-$(date +%s)}
	order=$(shuffle "$seed" $MS_SNAPS)
	echo "delete order $order (seed $seed)"
	for k in $order; do
		[ -f "/tmp/ms-gid.$k" ] || continue
		read -r gid _ _ <"/tmp/ms-gid.$k"
		rm -f "/tmp/ms-gid.$k"
		before=$(pool_used ms-pool)
		check "remove snapshot $k's replicas" dmsetup remove "ms${k}_1" "ms${k}_2"
		check "delete snapshot $k" replicactl group delete "$gid"
		after=$(pool_used ms-pool)
		echo "deleting snapshot $k: $before -> $after chunks in use"
		check "deleting snapshot $k did not grow the pool's use" test "$after" -le "$before"
		for f in /tmp/ms-gid.*; do
			[ -f "$f" ] || continue
			read -r _ sum1 sum2 <"$f"
			o=${f#/tmp/ms-gid.}
			check_eq "snapshot $k deleted: replica $o.1 as at creation" \
				"$(dev_md5 "/dev/mapper/ms${o}_1")" "$sum1"
			check_eq "snapshot $k deleted: replica $o.2 as at creation" \
				"$(dev_md5 "/dev/mapper/ms${o}_2")" "$sum2"
		done
	done
	check_eq "the pool is empty" "$(pool_used ms-pool)" 0
	check_eq "source 1 passes through" "$(dmsetup status ms-s1 | awk '{ print $4 }')" \
		passthrough
	dm_cleanup ms-s1 ms-s2 ms-pool ms-s1-d ms-s2-d ms-pool-d
	finish
}

# The "clone" scenario after the power cut: the copy resumes from what
# the pool kept, and ends with the clones equal to their checksums.
restart_clone_copy() {
	dd if="$NOTE_DISK" bs=512 skip=$((cl_note_off / 512)) count=4 2>/dev/null |
		tr -d '\000' >/tmp/cl-note
	check "the notes survived" grep -qx end /tmp/cl-note
	reason=$(sed -n 's/^fail //p' /tmp/cl-note)
	[ -z "$reason" ] || fail "the first boot: $reason"
	read -r w gid sum1 sum2 before total </tmp/cl-note
	check_eq "the first boot made the clone group" "$w" clone
	end_if_failed
	check "clone: slices again" cl_slices
	check "clone: open the pool again" dm_create cl-pool \
		"0 $(sectors /dev/mapper/cl-pool-d) replica-pool /dev/mapper/cl-pool-d"
	end_if_failed
	check_eq "the clone group is back" "$(group_field "$gid" relationship_name)" clc
	check_eq "a clone group" "$(group_field "$gid" sync_type)" 8
	check_eq "Unsynchronized" "$(group_field "$gid" copy_state)" 3
	# Without its sources the copy cannot go on: this is what the pool kept.
	# shellcheck disable=SC2046 # copied and total
	set -- $(clone_progress "$gid")
	kept=${1:-0}
	check_eq "with its chunks" "${2:-}" "$total"
	# A copy is counted once its owner entry is committed: what was read
	# before the power cut is durable.
	echo "clone: $before of $total chunks copied before the power cut, $kept kept"
	check "the copy did not restart from 0: the pool kept $kept chunks" test "$kept" -gt 0
	check "it kept every chunk counted before the power cut ($before)" \
		test "$kept" -ge "${before:-0}"
	job=$(group_field "$gid" job_id)
	check "a job for the resumed copy" test "${job:-0}" -gt 0
	# Its thread reports what it finds held as it starts.
	end=$(($(date +%s) + 10))
	while jpct=$(job_field "$job" percent_complete) && [ "${jpct:-0}" = 0 ] &&
	      [ "$(date +%s)" -lt "$end" ]; do
		sleep 0.1
	done
	echo "clone: job $job of the resumed copy at $jpct%"
	check "the job of the resumed copy starts above 0%" test "${jpct:-0}" -gt 0
	want=$((kept * 100 / total))
	[ "$want" -lt 100 ] || want=99
	check_eq "from what the pool kept" "$jpct" "$want"
	check_eq "its job runs" "$(job_field "$job" job_state)" 4

	check "clone: source 1 again" source_create cl-s1 /dev/mapper/cl-s1-d
	check "clone: source 2 again" source_create cl-s2 /dev/mapper/cl-s2-d
	check "the resumed copy ends" replicactl job wait --timeout 300 "$job"
	check_eq "its job Completed" "$(job_field "$job" job_state)" 7
	check_eq "at 100%" "$(job_field "$job" percent_complete)" 100
	check_eq "Synchronized" "$(group_field "$gid" copy_state)" 4
	check_eq "every member Synchronized" "$(member_states "$gid")" "4 4"
	check_eq "every chunk is in the pool" "$(clone_progress "$gid")" "$total $total"
	pool=$(cat "$(sysblk /dev/mapper/cl-pool)/dev")
	check "clone 1" dm_create clc_1 "0 8192 replica $pool $gid 1"
	check "clone 2" dm_create clc_2 "0 8192 replica $pool $gid 2"
	check_eq "clone 1 is the point in time" "$(dev_md5 /dev/mapper/clc_1)" "$sum1"
	check_eq "clone 2 is the point in time" "$(dev_md5 /dev/mapper/clc_2)" "$sum2"
	check "source 1 keeps its write" dmr_io verify $CL_S1 1m 256k 103
	check "source 2 keeps its write" dmr_io verify $CL_S2 2m 256k 104
	check "source 1 keeps its fill around" sh -c \
		"dmr_io verify $CL_S1 0 1m 101 && dmr_io verify $CL_S1 1280k 1792k 101 &&
		 dmr_io verify $CL_S1 3584k 512k 101"
	check "source 2 keeps its fill around" sh -c \
		"dmr_io verify $CL_S2 0 2m 102 && dmr_io verify $CL_S2 2304k 1792k 102"

	# The change maps came through the power cut: every chunk written at
	# a source since the point in time (the known writes, the writer's
	# region) is there, and nothing else; a Resync copies just those.
	check_eq "clone 1: its changes kept" "$(changed_runs "$gid" 1)" \
		"16 4 source 48 8 source known"
	check_eq "clone 2: its changes kept" "$(changed_runs "$gid" 2)" "32 4 source known"
	check "remove the clones" dmsetup remove clc_1 clc_2
	out=$(replicactl --json modify-sync --operation resync-replica "$gid" 2>&1)
	check_eq "resync" "$?" 0
	echo "clone: $out"
	check "it copies the 16 chunks changed" \
		sh -c "printf '%s' \"\$1\" | grep -qF 'copies the 16 of 128 chunks'" _ "$out"
	rjob=$(echo "$out" | json_get job_id)
	check_eq "the resync Completed" "$(job_field "$rjob" job_state)" 7
	check_eq "copying those 16 only" \
		"$(replicactl --json job show "$rjob" | grep -o '[0-9]* copied by this copy')" \
		"16 copied by this copy"
	check "clone 1 again" dm_create clc_1 "0 8192 replica $pool $gid 1"
	check "clone 2 again" dm_create clc_2 "0 8192 replica $pool $gid 2"
	check_eq "clone 1 equals source 1" "$(dev_md5 /dev/mapper/clc_1)" "$(dev_md5 $CL_S1)"
	check_eq "clone 2 equals source 2" "$(dev_md5 /dev/mapper/clc_2)" "$(dev_md5 $CL_S2)"
	check "remove the clones" dmsetup remove clc_1 clc_2
	check "delete the clone group" replicactl group delete "$gid"
	check_eq "the pool is empty" "$(pool_used cl-pool)" 0
	dm_cleanup cl-s1 cl-s2 cl-pool cl-s1-d cl-s2-d cl-pool-d
	finish
}

if [ "$phase" = 1 ]; then
	phase1 2>&1
	exit 1
fi
echo "KTAP version 1"
echo "1..6"
i=0
for t in restart_dropped_copy restart_pool_first restart_source_first restart_broken \
	restart_many_snapshots restart_clone_copy; do
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
