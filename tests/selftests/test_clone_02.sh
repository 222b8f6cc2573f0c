#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sequential Consistency of a clone group: a clone group of four sources
# taken under the dependent-write writer holds the records 1..S for one S
# and nothing else, read from the clones early in their background copy,
# mid-copy (30% to 70%) and once Synchronized: the same S each time, as a
# point in time does not move. The rest of each clone holds its source's
# fill; the sources hold the writer's records past S.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

N=4
wpid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	exec 3<&-
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid"
	rm -f /tmp/dwc
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	for i in $(seq 1 "$N"); do
		dm_cleanup "dwcl_$i" "dmr-c$i" "dmr-l$i"
	done
	dm_cleanup dmr-pool
}
trap cleanup EXIT

check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
# Four 2 MiB sources (32 chunks each) carved out of one disk; chunks 0-3
# of each hold the writer's records (64 slots of 4 KiB).
devs='' clones=''
for i in $(seq 1 "$N"); do
	check "slice $i" dm_create "dmr-l$i" "0 4096 linear $DISK_A $((i * 4096))"
	check "source $i" source_create "dmr-c$i" "/dev/mapper/dmr-l$i"
	check "fill source $i" dmr_io write "/dev/mapper/dmr-c$i" 0 2m $((30 + i))
	check "clear the records of source $i" dmr_io zeroout "/dev/mapper/dmr-c$i" 0 256k
	devs="$devs /dev/mapper/dmr-c$i"
	clones="$clones /dev/mapper/dwcl_$i"
done
end_if_failed
used0=$(pool_used dmr-pool)

mkfifo /tmp/dwc
# shellcheck disable=SC2086 # one argument per source
dmr_dwc write $devs >/tmp/dwc &
wpid=$!
exec 3</tmp/dwc
check "the writer filled its records once" dwc_wait $((N * 64))
end_if_failed

# 128 chunks, 16 of them records that the writer makes copies of at
# once; the rest is copied at 128 KiB/s, in about a minute.
GROUP_OPTS="--replication-setting-data copy_rate=128"
# shellcheck disable=SC2086 # one argument per source
check_do "create the clone group under the writer" clone_create dwcl dmr-pool $devs
end_if_failed
pct=$(clone_percent "$GROUP_ID")
diag "at creation: $pct% copied"
check "at creation: little is copied" test "$pct" -lt 30
check_eq "at creation: Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3

# shellcheck disable=SC2086 # one argument per clone
out=$(dmr_dwc check $clones 2>&1)
check "at creation: the clones are consistent ($out)" test "${out%% at *}" = consistent
pit=${out##* }
case $pit in '' | *[!0-9]*) pit=0 ;; esac
check "at creation: the clones hold records" test "$pit" -gt 0
end_if_failed

# consistent WHEN: the clones hold the records 1..pit, nothing else.
consistent() {
	# shellcheck disable=SC2086 # one argument per clone
	_out=$(dmr_dwc check $clones 2>&1)
	check_eq "$1: the clones are consistent at the point in time" "$_out" "consistent at $pit"
}

# Every record of the point in time is overwritten on the sources.
check "early: the writer went round its records" dwc_wait $((pit + N * 64))
pct=$(clone_percent "$GROUP_ID")
diag "early: $pct% copied"
check "early: less than 30% copied" test "$pct" -lt 30
check_eq "early: Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3
consistent early

check_do "the copy reaches 30% to 70%" wait_copied "$GROUP_ID" 30 70 200
diag "mid-copy: $COPIED_PCT% copied"
end_if_failed
check_eq "mid-copy: Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3
check_eq "mid-copy: the job runs" "$(job_field "$CLONE_JOB" job_state)" 4
consistent mid-copy
diag "after the mid-copy check: $(clone_percent "$GROUP_ID")% copied"

check "the job ends" replicactl job wait --timeout 240 "$CLONE_JOB"
check_eq "end: the job Completed" "$(job_field "$CLONE_JOB" job_state)" 7
check_eq "end: Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
check_eq "end: every member Synchronized" "$(member_states "$GROUP_ID")" "4 4 4 4"
check_eq "end: every chunk is in the pool" "$(clone_progress "$GROUP_ID")" "128 128"
consistent end
for i in $(seq 1 "$N"); do
	check "end: clone $i holds its source's fill" \
		dmr_io verify "/dev/mapper/dwcl_$i" 256k 1792k $((30 + i))
done

check "the writer went on" dwc_wait $((pit + 2 * N * 64))
kill -TERM "$wpid"
while read -r _ _ <&3; do :; done
wait "$wpid"
check_eq "the writer stopped cleanly" $? 0
wpid=''
exec 3<&-
# shellcheck disable=SC2086 # one argument per source
out=$(dmr_dwc check $devs 2>&1)
check "the sources are consistent ($out)" test "${out%% at *}" = consistent
check "and hold the records past the point in time" test "${out##* }" -ge $((pit + 2 * N * 64))
for i in $(seq 1 "$N"); do
	check "source $i keeps its fill" dmr_io verify "/dev/mapper/dmr-c$i" 256k 1792k $((30 + i))
done

check "delete the group" replicactl group delete "$GROUP_ID"
GROUP_ID=
check_eq "its space is back in the pool" "$(pool_used dmr-pool)" "$used0"
finish
