#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Resync Replica (ModifyReplicaSynchronization 14) of a snapshot group
# takes a new point in time for all its members at once: afterwards the
# replicas hold the sources as they were at the resync, the copies kept
# for the old point in time are freed, and the group is the same group
# (id, name, Synchronized). Taken under a dependent-write writer, the new
# point in time is consistent across the members. A replica device that
# is open keeps the group from being resynced, and the group is left as
# it was.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
wpid=
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	exec 3<&- 4<&-
	rm -f /tmp/dwc12
	[ -n "$GROUP_ID" ] && replicactl group delete "$GROUP_ID" >/dev/null 2>&1
	dm_cleanup rs-view rs_1 rs_2 dmr-s1 dmr-s2 dmr-pool
}
trap cleanup EXIT

size=8192	# 4 MiB sources
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 4m 41
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 4m 42
sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)
check_do "snapshot" group_create rs dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
gid=$GROUP_ID

check "new data on source 1" dmr_io write /dev/mapper/dmr-s1 0 1m 43
check "new data on source 2" dmr_io write /dev/mapper/dmr-s2 1m 1m 44
check_eq "replica 1 as at creation" "$(md5sum </dev/mapper/rs_1)" "$sum1"
check_eq "replica 2 as at creation" "$(md5sum </dev/mapper/rs_2)" "$sum2"
check_eq "the old point in time holds 32 copies" "$(pool_used dmr-pool)" 32
new1=$(md5sum </dev/mapper/dmr-s1)
new2=$(md5sum </dev/mapper/dmr-s2)
created=$(group_field "$gid" created_ns)

# An open replica: the resync is refused, nothing changes.
exec 4</dev/mapper/rs_1
out=$(replicactl modify-sync --operation resync-replica "$gid" 2>&1)
rc=$?
diag "with rs_1 open: $out"
check_eq "refused with In Use" "$rc" 6
exec 4<&-
check_eq "replica 1 still as at creation" "$(md5sum </dev/mapper/rs_1)" "$sum1"
check_eq "replica 2 still as at creation" "$(md5sum </dev/mapper/rs_2)" "$sum2"
check_eq "still 32 copies" "$(pool_used dmr-pool)" 32
# A replica device the tool does not know (another name): the module
# itself refuses, naming the replica.
pool=$(cat "$(sysblk /dev/mapper/dmr-pool)/dev")
check "a view of replica 1" dm_create rs-view "0 $size replica $pool $gid 1"
out=$(replicactl modify-sync --operation resync-replica "$gid" 2>&1)
rc=$?
diag "with rs-view: $out"
check_eq "refused by the module with In Use" "$rc" 6
case $out in
*"replica rs_1 of group $gid is still in use"*) named=yes ;;
*) named=no ;;
esac
check_eq "naming the replica" "$named" yes
check "remove the view" dmsetup remove rs-view
check_eq "replica 1 as at creation after both" "$(md5sum </dev/mapper/rs_1)" "$sum1"

out=$(replicactl --json modify-sync --operation resync-replica "$gid" 2>&1)
rc=$?
diag "resync: $out"
check_eq "resync: exit status" "$rc" 0
check_eq "resync: Completed with No Error" "$(echo "$out" | json_get return_value)" 0
check_eq "replica 1 is source 1 as at the resync" "$(md5sum </dev/mapper/rs_1)" "$new1"
check_eq "replica 2 is source 2 as at the resync" "$(md5sum </dev/mapper/rs_2)" "$new2"
check_eq "the old point in time's copies are freed" "$(pool_used dmr-pool)" 0
check_eq "the same group, Synchronized" "$(group_field "$gid" copy_state)" 4
check_eq "with its name" "$(group_field "$gid" relationship_name)" rs
check "and a new point in time" test "$(group_field "$gid" created_ns)" -gt "$created"

check "writes after the resync" dmr_io write /dev/mapper/dmr-s1 2m 1m 45
check_eq "replica 1 keeps the resync's data" "$(md5sum </dev/mapper/rs_1)" "$new1"
check_eq "16 copies for it" "$(pool_used dmr-pool)" 16

# Under the dependent-write writer, twice.
for d in /dev/mapper/dmr-s1 /dev/mapper/dmr-s2; do
	dmr_io zeroout "$d" 0 256k || fail "clear $d"
done
mkfifo /tmp/dwc12
dmr_dwc write /dev/mapper/dmr-s1 /dev/mapper/dmr-s2 >/tmp/dwc12 &
wpid=$!
exec 3</tmp/dwc12
for round in 1 2; do
	read -r _ <&3
	check "resync $round under the writer" \
		replicactl modify-sync --operation 14 "$gid"
	read -r _ <&3 && read -r _ <&3
	out=$(dmr_dwc check /dev/mapper/rs_1 /dev/mapper/rs_2 2>&1)
	check "resync $round: replicas consistent ($out)" test "${out%% at *}" = consistent
	check "resync $round: replicas hold records" test "${out##* }" -gt 0
done
kill -TERM "$wpid"
wait "$wpid"
wpid=
exec 3<&-

check "delete" replicactl group delete "$gid"
GROUP_ID=
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
finish
