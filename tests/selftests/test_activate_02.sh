#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The devices of a pool come up in whatever order a boot loads them: by
# hand, pool first, sources first, then in random orders, with a write to
# each source as soon as it exists (before the pool, when it comes
# first). replicactl activate then makes the replicas from what is there.
# A replica must then be identical to its checksum, or its member must be
# reported Broken: never Synchronized with other data.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
tab=/tmp/replicatab.act2
rc() { replicactl -t "$tab" "$@"; }
trap 'rc activate >/dev/null 2>&1; replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup ord_1 ord_2 dmr-s1 dmr-s2 dmr-pool; rm -f "$tab"' EXIT
rm -f "$tab"

# member_state ID N: the CopyState number of member N of group ID.
member_state() {
	replicactl group show "$1" | awk -v n="$2:" '
		$1 == "member" && $2 == n { f = 1 }
		f && $1 == "CopyState" { gsub(/[()]/, "", $NF); print $NF; exit }'
}

# shellcheck disable=SC2317 # called through check
# load NAME ROUND: create the device NAME of the table by hand, as a boot
# script or udev might; a source then takes 256 KiB at once, on chunks
# the replica still needs.
load() {
	case $1 in
	dmr-pool)
		dm_create dmr-pool "0 $(sectors "$DISK_C") replica-pool $DISK_C"
		;;
	dmr-s*)
		_dev=$(awk -v n="$1" '$1 == "source" && $2 == n { print $3 }' "$tab")
		_uuid=$(awk -v n="$1" '$1 == "source" && $2 == n { print $4 }' "$tab")
		dmsetup create "$1" --uuid "$_uuid" \
			--table "0 $(sectors "$_dev") replica-source $_dev" &&
			dmr_io write "/dev/mapper/$1" $((2048 + 256 * $2))k 256k "$((60 + $2))"
		;;
	esac
}

# judge N SUM: replica N is its checksum, or its member is Broken.
judge() {
	_st=$(member_state "$GROUP_ID" "$1")
	_sum=$(md5sum <"/dev/mapper/ord_$1" 2>/dev/null)
	case $_st in
	4) check_eq "round $r: replica $1 Synchronized and unchanged" "$_sum" "$2" ;;
	5) check_eq "round $r: replica $1 reported Broken" \
		"$(group_field "$GROUP_ID" broken_reason | grep -c .)" 1 ;;
	*) check_eq "round $r: member $1 Synchronized or Broken" "$_st" "4 or 5" ;;
	esac
}

check "blank the pool disk" dmr_io zeroout "$DISK_C" 0 "$(($(sectors "$DISK_C") * 512))"
check "pool" rc pool create "$DISK_C" --name dmr-pool --chunk-size 64k
check "source 1" rc source create dmr-s1 "$DISK_A"
check "source 2" rc source create dmr-s2 "$DISK_B"
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 8m 71
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 8m 72
check_do "create the group" group_create ord dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
sum1=$(md5sum </dev/mapper/ord_1)
sum2=$(md5sum </dev/mapper/ord_2)
check "overwrite source 1 after the point in time" dmr_io write /dev/mapper/dmr-s1 0 1m 73

seed=$(awk 'BEGIN { srand(); print int(rand() * 65536) }')
diag "seed $seed"
r=0
for order in "dmr-pool dmr-s1 dmr-s2" "dmr-s1 dmr-s2 dmr-pool" random random random; do
	r=$((r + 1))
	[ "$order" = random ] && order=$(echo dmr-pool dmr-s1 dmr-s2 | awk -v seed=$((seed + r)) '{
		srand(seed)
		for (i = NF; i > 1; i--) { j = int(rand() * i) + 1; t = $i; $i = $j; $j = t }
		print }')
	diag "round $r: $order"
	check "round $r: deactivate" rc deactivate
	for d in $order; do
		check "round $r: load $d" load "$d" "$r"
	done
	out=$(rc --json activate 2>&1)
	diag "$out"
	judge 1 "$sum1"
	judge 2 "$sum2"
done
check "delete the group" replicactl group delete "$GROUP_ID"
finish
