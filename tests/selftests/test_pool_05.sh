#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A pool's group slots are chosen when it is formatted and kept in its
# superblock: 256 when not given, 80 with "groups 80". A pool of 80 slots
# holds 80 snapshot groups of one source (more than the 64 every pool
# once had), each with its own data; the 81st creation is refused (In
# Use) naming the limit; deleting them all, in random order, gives every
# chunk back. Bad values of "groups" are refused by name.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

N=80
S=/dev/mapper/dmr-s1
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	replicactl group list 2>/dev/null | awk 'NR > 1 && $2 ~ /^p5/ { print $1 }' |
		while read -r _cg; do
			replicactl group delete "$_cg" >/dev/null 2>&1
		done
	dm_cleanup dmr-s1 dmr-pool
}
trap cleanup EXIT

n=$(sectors "$DISK_C")

# bad TABLE MESSAGE: creating the pool with TABLE fails and logs MESSAGE.
bad() {
	dmesg -c >/dev/null
	check_fails "refused: $1" dm_create dmr-pool "$1"
	check "logged: $2" dmesg_has "replica-pool: $2"
	check_fails "no device left by: $1" dmsetup info dmr-pool
}

# slots WANT WHAT: the pool's status line and replicactl both say WANT
# group slots.
slots() {
	check_eq "$2: max_groups in the status line" "$(pool_max_groups dmr-pool)" "$1"
	check_eq "$2: max_groups from replicactl pool status" \
		"$(replicactl --json pool status dmr-pool | json_get max_groups)" "$1"
}

check "blank the metadata range" blank "$DISK_C"
bad "0 $n replica-pool $DISK_C 4 format 128 groups 0" "Invalid groups"
bad "0 $n replica-pool $DISK_C 4 format 128 groups 1025" "Invalid groups"
bad "0 $n replica-pool $DISK_C 4 format 128 groups many" "Invalid groups"
bad "0 $n replica-pool $DISK_C 2 groups 80" "Invalid groups: only a format"
bad "0 $n replica-pool $DISK_C 3 format 128 groups" "Optional argument without its value"
bad "0 $n replica-pool $DISK_C 4 groups 80 groups 90" "Optional argument given twice"
check "nothing was written" dmr_io zero-verify "$DISK_C" 0 "$(meta_len "$DISK_C")s"
out=$(replicactl pool create "$DISK_C" --name dmr-pool --groups 0 2>&1)
check_eq "replicactl --groups 0: a usage error" $? 64
check "it names --groups" sh -c "printf '%s' \"\$1\" | grep -qF -- '--groups'" _ "$out"
check_fails "replicactl --groups 1025" replicactl pool create "$DISK_C" --groups 1025

# The default, kept by the superblock.
check "a pool without --groups" replicactl pool create "$DISK_C" --name dmr-pool \
	--chunk-size 64k --no-record
slots 256 "default"
check "remove" dmsetup remove dmr-pool
check "open it again" dm_create dmr-pool "0 $n replica-pool $DISK_C"
slots 256 "default, opened again"
check "remove" dmsetup remove dmr-pool

# 80 slots.
check "blank the metadata range" blank "$DISK_C"
check "a pool with --groups 80" replicactl pool create "$DISK_C" --name dmr-pool \
	--chunk-size 64k --groups 80 --no-record
slots 80 "groups 80"
check "remove" dmsetup remove dmr-pool
check "open it again" dm_create dmr-pool "0 $n replica-pool $DISK_C"
slots 80 "groups 80, opened again"
end_if_failed

# One source of 16 chunks of 64 KiB. Before snapshot i (from 2 on), chunk
# (i - 2) mod 16 gets seed i: snapshot i - 1 needs its old data, so each
# of those writes makes one copy, and every snapshot differs from the one
# before it. (Few processes per step: the kernels with KASAN start each
# slowly.)
check "source of 16 chunks" source_create dmr-s1 "$DISK_A" 2048
check "fill it with seed 1" dmr_io write $S 0 1m 1
end_if_failed

# snap I [OPTION]: snapshot I (its replica device p5sI_1, unless OPTION
# is --no-replica-devices).
# shellcheck disable=SC2317 # called through check_do
snap() {
	replicactl create-group-replica --relationship-name "p5s$1" \
		--target-pool /dev/mapper/dmr-pool --source-elements "$S" \
		--wait-for-copy-state synchronized ${2:+"$2"} >/dev/null
}

# The snapshots whose data is checked, with a replica device each: the
# first, the last, and the two around the 64 every pool once had.
keep=" 1 64 65 80 "
i=1
while [ "$i" -le "$N" ]; do
	[ "$i" -eq 1 ] ||
		check_do "write chunk $(((i - 2) % 16)) with seed $i" \
			dmr_io write $S "$(((i - 2) % 16 * 64))k" 64k "$i"
	case $keep in
	*" $i "*)
		eval "sum_$i=$(dev_md5 $S)"
		check_do "snapshot $i" snap "$i"
		;;
	*) check_do "snapshot $i" snap "$i" --no-replica-devices ;;
	esac
	end_if_failed
	i=$((i + 1))
done
# Their group ids, by relationship name, from one listing.
replicactl group list | awk 'NR > 1 && $2 ~ /^p5s[0-9]+$/ { print substr($2, 4), $1 }' \
	>/tmp/p5ids
while read -r i g; do
	eval "id_$i=$g"
done </tmp/p5ids
check_eq "$N groups listed" "$(awk 'END { print NR }' /tmp/p5ids)" "$N"
check_eq "$N groups in the pool" "$(dmsetup status dmr-pool | awk '{ print $6 }')" "$N"
check_eq "one copy per write: $((N - 1)) chunks used" "$(pool_used dmr-pool)" $((N - 1))

# check_replicas WHEN: each kept snapshot still there reads as its source
# did when it was taken.
check_replicas() {
	for _k in $keep; do
		eval "_g=\${id_$_k:-} _sum=\$sum_$_k"
		[ -n "$_g" ] || continue
		# shellcheck disable=SC2154 # set by the eval
		check_eq "$1: snapshot $_k reads its data" "$(dev_md5 "/dev/mapper/p5s${_k}_1")" "$_sum"
	done
}
check_replicas "all taken"
# shellcheck disable=SC2154 # set by the eval in the loop
check "snapshots 1 and 80 differ" test "$sum_1" != "$sum_80"

# The 81st.
used=$(pool_used dmr-pool)
out=$(replicactl create-group-replica --relationship-name over --target-pool /dev/mapper/dmr-pool \
	--source-elements $S 2>&1)
check_eq "the 81st creation: In Use (exit 6)" $? 6
diag "replicactl: $out"
check "it names the limit" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" \
	"TargetPool: already holds $N groups, the most it was formatted for"
check_fails "no replica device left" dmsetup info over_1
check_eq "no pool space taken" "$(pool_used dmr-pool)" "$used"
check_eq "still $N groups" "$(dmsetup status dmr-pool | awk '{ print $6 }')" "$N"

# Delete them all in a random order; halfway, the kept ones left are
# checked again.
seed=${DMR_SEED:-$(awk 'BEGIN { srand(); print int(rand() * 65536) }')}
diag "deletion order seed $seed"
# shellcheck disable=SC2317 # called through check_do
del() {
	replicactl group delete "$1" >/dev/null
}
d=0
for i in $(shuffle "$seed" "$N"); do
	eval "g=\${id_$i:-}"
	# shellcheck disable=SC2154 # set by the eval
	check_do "delete snapshot $i (group $g)" del "$g"
	eval "id_$i="
	d=$((d + 1))
	[ "$d" -ne $((N / 2)) ] || check_replicas "half deleted"
done
check_eq "no group left" "$(dmsetup status dmr-pool | awk '{ print $6 }')" 0
check_eq "every chunk is back" "$(pool_used dmr-pool)" 0
check_eq "the pool is healthy" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok

# Its slots are free again: one more group takes one.
check_do "a group after all were deleted" group_create p5again dmr-pool $S
check "delete it" replicactl group delete "$GROUP_ID"
check "remove the source" dmsetup remove dmr-s1
check "remove the pool" dmsetup remove dmr-pool
check "leave the disk blank" blank "$DISK_C"
finish
