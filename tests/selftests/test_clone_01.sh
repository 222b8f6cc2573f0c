#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A clone group (SyncType 8) of two sources holds their point in time at
# every stage of its background copy: right after creation (a small
# fraction copied), mid-copy (30% to 70%) and once Synchronized, while
# writers run on the sources and on the clones the whole time. Outside
# the region their writers write, the clones hold the sources' data as at
# creation; in it, what the writers wrote; the sources hold every write
# made to them. The members read Unsynchronized (3) during the copy and
# Synchronized (4) at its end; the creation job is Running (4) with its
# PercentComplete growing, then Completed (7) at 100.
#
# Layout of each 4 MiB source (64 chunks of 64 KiB), filled with the
# dmr_io pattern of seed 20 + I for source I: its writer writes 4 KiB
# blocks over [4 KiB, 252 KiB) of the source; the clone's writer over
# [3 MiB + 4 KiB, 3 MiB + 252 KiB) of the clone. Neither is chunk-aligned,
# so that a partial write meets a chunk not yet copied.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

WRITERS="sw1 sw2 cw1 cw2"
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	_pids=''
	for _w in $WRITERS; do
		[ -f "/tmp/$_w.pid" ] && _pids="$_pids $(cat "/tmp/$_w.pid")"
	done
	# shellcheck disable=SC2086 # one argument per writer
	[ -n "$_pids" ] && kill -KILL $_pids 2>/dev/null && wait_ended 30 $_pids
	rm -f /tmp/sw?.pid /tmp/cw?.pid
	dm_cleanup cl-cw1 cl-cw2 cl-sw1 cl-sw2
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	dm_cleanup cl_1 cl_2 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2
size=8192
check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source 1 (4 MiB)" source_create dmr-s1 "$DISK_A" $size
check "source 2 (4 MiB)" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write $S1 0 4m 21
check "fill source 2" dmr_io write $S2 0 4m 22
end_if_failed
used0=$(pool_used dmr-pool)

# wstart NAME DEV: an O_DIRECT writer of 4 KiB blocks over all of DEV
# (dmr_io writer), its output in /tmp/NAME.out.
wstart() {
	rm -f "/tmp/$1.out"
	dmr_io writer "$2" 4k >"/tmp/$1.out" 2>&1 &
	echo $! >"/tmp/$1.pid"
}

# wpass NAME: writer NAME has written all of its device once.
# shellcheck disable=SC2317 # called through check_do
wpass() {
	_end=$(($(date +%s) + 120))
	until grep -q '^done 0' "/tmp/$1.out"; do
		if ended "$(cat "/tmp/$1.pid")"; then
			echo "writer $1 ended: $(cat "/tmp/$1.out")"
			return 1
		fi
		[ "$(date +%s)" -lt "$_end" ] ||
			{ echo "writer $1 did not write its device once in 120 s"; return 1; }
		sleep 0.1
	done
}

# wstop NAME DEV: stop writer NAME; DEV holds every block it wrote.
# shellcheck disable=SC2317 # called through check_do
wstop() {
	_pid=$(cat "/tmp/$1.pid")
	rm -f "/tmp/$1.pid"
	kill -TERM "$_pid"
	wait "$_pid" || { echo "writer $1 failed: $(tail -n 2 "/tmp/$1.out")"; return 1; }
	_at=$(sed -n 's/^pass \([0-9]*\) block \([0-9]*\)$/\1 \2/p' "/tmp/$1.out")
	[ -n "$_at" ] || { echo "writer $1 did not say where it stopped"; return 1; }
	# shellcheck disable=SC2086 # pass and block
	dmr_io check-writer "$2" 4k $_at
}

# The clone of source I outside its writer's region: source I's data.
# shellcheck disable=SC2317 # called through check
clone_pit() {
	dmr_io verify "/dev/mapper/cl_$1" 0 3076k $((20 + $1)) &&
		dmr_io verify "/dev/mapper/cl_$1" 3324k 772k $((20 + $1))
}

# Source I outside its writer's region: as filled.
# shellcheck disable=SC2317 # called through check
source_kept() {
	dmr_io verify "/dev/mapper/dmr-s$1" 0 4k $((20 + $1)) &&
		dmr_io verify "/dev/mapper/dmr-s$1" 252k 3844k $((20 + $1))
}

# stage NAME [last]: the clones hold the point in time outside their
# writers' regions and what those wrote in them (the clone writers are
# stopped for that, and started again unless it is the last stage), read
# while the other writers run; the sources hold their fill outside their
# writers' regions.
stage() {
	for _i in 1 2; do
		check "$1: clone $_i holds source $_i's point in time" clone_pit $_i
		check "$1: source $_i outside its writer's region as filled" source_kept $_i
	done
	for _i in 1 2; do
		check_do "$1: clone $_i holds what its writer wrote" wstop "cw$_i" /dev/mapper/cl-cw$_i
		[ "${2:-}" = last ] || wstart "cw$_i" /dev/mapper/cl-cw$_i
	done
}

# copy_states NAME GROUP MEMBERS JOB: the CopyState of the group, of its
# members and the JobState of its job.
copy_states() {
	check_eq "$1: group CopyState" "$(group_field "$GROUP_ID" copy_state)" "$2"
	check_eq "$1: members' CopyState" "$(member_states "$GROUP_ID")" "$3"
	check_eq "$1: JobState" "$(job_field "$CLONE_JOB" job_state)" "$4"
}

# A slow copy: 64 KiB/s of the 8 MiB, two minutes, so that each stage
# reads the clones well before the next one begins, on a slow kernel too.
GROUP_OPTS="--replication-setting-data copy_rate=64"
check_do "create the clone group (copy_rate=64)" clone_create cl dmr-pool $S1 $S2
end_if_failed
# shellcheck disable=SC2046 # copied and total
set -- $(clone_progress "$GROUP_ID")
diag "at creation: $1 of $2 chunks copied"
check_eq "the clones have 128 chunks" "${2:-}" 128
check "right after creation little is copied" test "${1:-999}" -lt 16
check_eq "SyncType Clone" "$(group_field "$GROUP_ID" sync_type)" 8
check_eq "the group names its job" "$(group_field "$GROUP_ID" job_id)" "$CLONE_JOB"
copy_states "at creation" 3 "3 3" 4
job0=$(job_field "$CLONE_JOB" percent_complete)
diag "at creation: job $CLONE_JOB at $job0%"
check "at creation: the job has just started" test "$job0" -lt 30
end_if_failed

check "a view of source 1's writer region" dm_create cl-sw1 "0 496 linear $S1 8"
check "a view of source 2's writer region" dm_create cl-sw2 "0 496 linear $S2 8"
check "a view of clone 1's writer region" dm_create cl-cw1 "0 496 linear /dev/mapper/cl_1 6152"
check "a view of clone 2's writer region" dm_create cl-cw2 "0 496 linear /dev/mapper/cl_2 6152"
end_if_failed
wstart sw1 /dev/mapper/cl-sw1
wstart sw2 /dev/mapper/cl-sw2
wstart cw1 /dev/mapper/cl-cw1
wstart cw2 /dev/mapper/cl-cw2
for w in $WRITERS; do
	check_do "writer $w went over its region once" wpass "$w"
done
end_if_failed

# ~0%: the copy has only begun.
pct=$(clone_percent "$GROUP_ID")
diag "early: $pct% copied"
check "early: less than 30% copied" test "$pct" -lt 30
copy_states "early" 3 "3 3" 4
jobe=$(job_field "$CLONE_JOB" percent_complete)
diag "early: job at $jobe%"
stage early
end_if_failed

# Mid-copy.
check_do "the copy reaches 30% to 70%" wait_copied "$GROUP_ID" 30 70 200
diag "mid-copy: $COPIED_PCT% copied"
end_if_failed
copy_states "mid-copy" 3 "3 3" 4
jobm=$(job_field "$CLONE_JOB" percent_complete)
diag "mid-copy: job at $jobm%"
check "mid-copy: PercentComplete grew since early" test "$jobm" -gt "$jobe"
check "mid-copy: PercentComplete below 100" test "$jobm" -lt 100
stage mid-copy
diag "after the mid-copy checks: $(clone_percent "$GROUP_ID")% copied"
end_if_failed

# The end of the copy.
check "the job ends" replicactl job wait --timeout 240 "$CLONE_JOB"
copy_states "end" 4 "4 4" 7
check_eq "end: PercentComplete 100" "$(job_field "$CLONE_JOB" percent_complete)" 100
check_eq "end: ErrorCode 0" "$(job_field "$CLONE_JOB" error_code)" 0
check_eq "end: every chunk is in the pool" "$(clone_progress "$GROUP_ID")" "128 128"
stage end last
for i in 1 2; do
	check_do "source $i holds every write of its writer" wstop "sw$i" /dev/mapper/cl-sw$i
	check "source $i outside its writer's region as filled" source_kept $i
done

check "remove the views" dmsetup remove cl-cw1 cl-cw2 cl-sw1 cl-sw2
check "delete the group" replicactl group delete "$GROUP_ID"
GROUP_ID=
check_fails "its replicas are removed" dmsetup info cl_1
check_eq "its space is back in the pool" "$(pool_used dmr-pool)" "$used0"
check_eq "source 1 passes through" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" passthrough
finish
