#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Job cancel (RequestStateChange Terminate) of a clone group's creation
# job during its background copy stops the copy: the job ends Terminated,
# the members stay Unsynchronized, and the count of copied chunks no longer
# grows across rounds of source writes that let it grow before the cancel.
# The clones still read the point in time. Return To ResourcePool
# (ModifyReplicaSynchronization 19) then gives the pool's used count back
# to what it was before the clone.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$GROUP_ID" ] && replicactl job cancel "$CLONE_JOB" >/dev/null 2>&1 &&
		replicactl job wait --timeout 30 "$CLONE_JOB" >/dev/null 2>&1
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	dm_cleanup cc_1 cc_2 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2
check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source 1 (2 MiB)" source_create dmr-s1 "$DISK_A" 4096
check "source 2 (2 MiB)" source_create dmr-s2 "$DISK_B" 4096
check "fill source 1" dmr_io write $S1 0 2m 41
check "fill source 2" dmr_io write $S2 0 2m 42
end_if_failed
used0=$(pool_used dmr-pool)
groups0=$(replicactl --json group list)

# 64 chunks at 128 KiB/s: half a minute.
GROUP_OPTS="--replication-setting-data copy_rate=128"
check_do "create the clone group (copy_rate=128)" clone_create cc dmr-pool $S1 $S2
end_if_failed

# A write round: the first 256 KiB of source 1 (chunks 0-3) written
# again. After the first, those chunks are in the pool for clone 1, so a
# round makes no copy of its own.
seed=50
round() {
	seed=$((seed + 1))
	dmr_io write $S1 0 256k $seed
}
check "the first round" round

copied() { clone_progress "$GROUP_ID" | awk '{ print $1 }'; }

# While the copy runs, the copied count grows across some rounds.
c0=$(copied)
rounds=0
while [ "$(copied)" = "$c0" ] && [ $rounds -lt 500 ]; do
	round || break
	rounds=$((rounds + 1))
done
c1=$(copied)
diag "the copy went from $c0 to $c1 chunks across $rounds write rounds"
check "while it runs, the copy grows across write rounds" test "$c1" -gt "$c0"
# shellcheck disable=SC2046 # copied and total
set -- $(clone_progress "$GROUP_ID")
check "the copy is not done" test "${1:-64}" -lt "${2:-0}"
check_eq "the job runs" "$(job_field "$CLONE_JOB" job_state)" 4
end_if_failed

check "terminate the job" replicactl job cancel "$CLONE_JOB"
replicactl job wait --timeout 60 "$CLONE_JOB" >/dev/null 2>&1
check_eq "the job ended Terminated" "$(job_field "$CLONE_JOB" job_state)" 8
pct=$(job_field "$CLONE_JOB" percent_complete)
diag "the job stopped at $pct%"
check "below 100%" test "$pct" -lt 100
check_eq "the group stays Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3
check_eq "so do its members" "$(member_states "$GROUP_ID")" "3 3"

c2=$(copied)
n=0
while [ $n -lt $((4 * rounds + 4)) ] && round; do
	n=$((n + 1))
done
check_eq "$n write rounds after the cancel" "$n" $((4 * rounds + 4))
c3=$(copied)
diag "after the cancel: $c2 chunks, and $c3 after $n write rounds"
check_eq "the copy no longer grows" "$c3" "$c2"

check "clone 1 is still the point in time" dmr_io verify /dev/mapper/cc_1 0 2m 41
check "clone 2 is still the point in time" dmr_io verify /dev/mapper/cc_2 0 2m 42
check "source 1 holds the last round" dmr_io verify $S1 0 256k $seed
check "and its fill after it" dmr_io verify $S1 256k 1792k 41
check "source 2 holds its fill" dmr_io verify $S2 0 2m 42
check_eq "still Unsynchronized" "$(group_field "$GROUP_ID" copy_state)" 3

check "Return To ResourcePool" replicactl modify-sync --operation 19 "$GROUP_ID"
GROUP_ID=
check_fails "its replicas are removed" dmsetup info cc_1
check_eq "no group left" "$(replicactl --json group list)" "$groups0"
check_eq "the pool's used count is back" "$(pool_used dmr-pool)" "$used0"
check_eq "source 1 passes through" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" passthrough
finish
