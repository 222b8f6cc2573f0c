#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sequential Consistency across devices: while a writer issues records to
# N sources, each only after the previous one completed, every group
# snapshot of them holds the records 1..S for some S and nothing else,
# for N = 2, 4 and 16, many times over.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	for i in $(seq 0 15); do
		dm_cleanup "dmr-c$i" "dmr-l$i"
	done
	dm_cleanup dmr-pool
}
trap cleanup EXIT

check "pool" pool_create dmr-pool "$DISK_C" 8
# Sixteen 2 MiB sources carved out of one disk.
for i in $(seq 0 15); do
	if ! dm_create "dmr-l$i" "0 4096 linear $DISK_A $((i * 4096))" ||
	   ! source_create "dmr-c$i" "/dev/mapper/dmr-l$i"; then
		fail "source $i"
	fi
done

# round N ITER: one snapshot of N sources under the writer, checked.
round() {
	devs='' reps=''
	for i in $(seq 0 $(($1 - 1))); do
		devs="$devs /dev/mapper/dmr-c$i"
		reps="$reps /dev/mapper/dwc$1x$2_$((i + 1))"
	done
	# Records of an earlier round must not look like this round's.
	for d in $devs; do
		dmr_io zeroout "$d" 0 256k || fail "clear $d"
	done
	mkfifo /tmp/dwc
	# shellcheck disable=SC2086
	dmr_dwc write $devs >/tmp/dwc &
	wpid=$!
	exec 3</tmp/dwc
	read -r _ <&3
	# shellcheck disable=SC2086
	check_do "N=$1 #$2: create the group under the writer" group_create "dwc$1x$2" dmr-pool $devs
	# The writer goes on after the point in time.
	read -r _ <&3 && read -r _ <&3
	# shellcheck disable=SC2086
	out=$(dmr_dwc check $reps 2>&1)
	check "N=$1 #$2: replicas consistent ($out)" test "${out%% at *}" = consistent
	check "N=$1 #$2: replicas hold records" test "${out##* }" -gt 0
	kill -TERM "$wpid"
	wait "$wpid"
	wpid=
	exec 3<&-
	rm -f /tmp/dwc
	check "N=$1 #$2: delete" replicactl group delete "$GROUP_ID"
	GROUP_ID=
}

for it in 1 2 3 4 5 6; do
	round 2 $it
	round 4 $it
done
for it in 1 2 3; do
	round 16 $it
done
check_eq "pool empty again" "$(pool_used dmr-pool)" 0
finish
