#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl modify-sync: ModifyReplicaSynchronization by the standard's
# operation name or number. Fracture (12) and Detach (8) on a live
# snapshot group answer Not Supported (1), naming the operation, and leave
# the group as it was: still Synchronized, its replicas' data the same, its
# pool space the same. A number that is no operation (99) is Invalid
# Parameter naming the Operation field; a name that is none is refused by
# the tool (64), listing the names; a group that does not exist is Invalid
# Parameter. Return To ResourcePool by name deletes the group as group
# delete does: replicas gone, the pool empty again.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup ms_1 ms_2 dmr-s1 dmr-s2 dmr-pool' EXIT

# modify ARGS...: run replicactl, setting RC, OUT (stdout) and ERR (stderr).
modify() {
	OUT=$(replicactl "$@" 2>/tmp/modify.err)
	RC=$?
	ERR=$(cat /tmp/modify.err)
	diag "replicactl $*: exit $RC: $OUT $ERR"
}

# shellcheck disable=SC2317 # called through check_do
json_ok() { echo "$OUT" | json_valid; }

# has TEXT WHAT: WHAT contains TEXT.
# shellcheck disable=SC2317 # called through check
has() {
	case $2 in *"$1"*) return 0 ;; esac
	echo "no '$1' in: $2"
	return 1
}

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" 16384
check "source 2" source_create dmr-s2 "$DISK_B" 16384
check "data on source 1" dmr_io write /dev/mapper/dmr-s1 0 8m 11
check "data on source 2" dmr_io write /dev/mapper/dmr-s2 0 8m 12
check_do "create the group" group_create ms dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
end_if_failed
# After the point in time: the replicas keep the old data in the pool.
check "new data on source 1" dmr_io write /dev/mapper/dmr-s1 0 1m 21
check "new data on source 2" dmr_io write /dev/mapper/dmr-s2 4m 1m 22
md5_1=$(dev_md5 /dev/mapper/ms_1)
md5_2=$(dev_md5 /dev/mapper/ms_2)
used=$(pool_used dmr-pool)
check_eq "the pool holds the copies" "$((used > 0))" 1

# Operations of the standard that the module does not carry out yet.
msg12="Operation: Fracture (12) is not supported for snapshot groups yet"
modify modify-sync --operation 12 "$GROUP_ID"
check_eq "12: exit 1, Not Supported" "$RC" 1
check "12: the message names the operation" has "$msg12 (1 Not Supported)" "$ERR"
check "12: printed with the return value" has "Not Supported (1)" "$OUT"

modify --json modify-sync --operation FRACTURE "$GROUP_ID"
check_eq "fracture by name: exit 1" "$RC" 1
check_do "json: well formed" json_ok
check_eq "json: operation" "$(echo "$OUT" | json_get operation)" 12
check_eq "json: return value" "$(echo "$OUT" | json_get return_value)" 1
check_eq "json: message" "$(echo "$OUT" | json_get message)" "$msg12"
job=$(echo "$OUT" | json_get job_id)
check_eq "json: a job" "$((job > 0))" 1
jout=$(replicactl --json job show "$job")
check_eq "its job ended in Exception" "$(echo "$jout" | json_get job_state)" 10
check_eq "with Not Supported" "$(echo "$jout" | json_get error_code)" 1
check_eq "and the message" "$(echo "$jout" | json_get error_description)" "$msg12"

modify modify-sync --operation Detach "$GROUP_ID"
check_eq "Detach: exit 1, Not Supported" "$RC" 1
check "Detach: the message names the operation" \
	has "Operation: Detach (8) is not supported for snapshot groups yet" "$ERR"

check_eq "the group is still Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
check "replica 1 is still there" dmsetup info ms_1
check "replica 2 is still there" dmsetup info ms_2
check_eq "replica 1 data unchanged" "$(dev_md5 /dev/mapper/ms_1)" "$md5_1"
check_eq "replica 2 data unchanged" "$(dev_md5 /dev/mapper/ms_2)" "$md5_2"
check "replica 1 is the point in time" dmr_io verify /dev/mapper/ms_1 0 8m 11
check "replica 2 is the point in time" dmr_io verify /dev/mapper/ms_2 0 8m 12
check_eq "the pool use unchanged" "$(pool_used dmr-pool)" "$used"

# Not operations at all.
modify modify-sync --operation 99 "$GROUP_ID"
check_eq "99: exit 5, Invalid Parameter" "$RC" 5
check "99: the message names the Operation field" \
	has "Operation: 99 is not an operation of ModifyReplicaSynchronization" "$ERR"
modify modify-sync --operation resync-everything "$GROUP_ID"
check_eq "an unknown name: exit 64" "$RC" 64
check "the tool names the option" has "--operation: 'resync-everything' is no Operation" "$ERR"
check "and lists the names" has "resync-replica" "$ERR"
check "return-to-resourcepool among them" has "return-to-resourcepool" "$ERR"
modify modify-sync "$GROUP_ID"
check_eq "no --operation: exit 64" "$RC" 64

# A group that does not exist, for an operation that is refused anyway
# and for the one that works.
modify modify-sync --operation 12 999999
check_eq "missing group, 12: exit 5" "$RC" 5
check "the message names the group" has "Synchronization: no group 999999" "$ERR"
modify modify-sync --operation return-to-resourcepool 999999
check_eq "missing group, 19: exit 5" "$RC" 5
check "the message names the group" has "no group 999999" "$ERR"
check_eq "the group is still Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4

# Return To ResourcePool: the replica devices, then the group.
modify --json modify-sync --operation return-to-resourcepool "$GROUP_ID"
check_eq "return-to-resourcepool: exit 0" "$RC" 0
check_do "json: well formed" json_ok
check_eq "json: operation 19" "$(echo "$OUT" | json_get operation)" 19
check_eq "json: return value 0" "$(echo "$OUT" | json_get return_value)" 0
check "json: the replicas removed" has '"removed": ["ms_1", "ms_2"]' "$OUT"
check_fails "replica 1 removed" dmsetup info ms_1
check_fails "replica 2 removed" dmsetup info ms_2
check_fails "the group is gone" replicactl group show "$GROUP_ID"
check_eq "its space is back in the pool" "$(pool_used dmr-pool)" 0
check "the sources keep their data" dmr_io verify /dev/mapper/dmr-s1 1m 7m 11
GROUP_ID=

# By the standard's name as written, on a second group.
check_do "another group" group_create ms dmr-pool /dev/mapper/dmr-s1
modify modify-sync --operation "Return To ResourcePool" "$GROUP_ID"
check_eq "\"Return To ResourcePool\": exit 0" "$RC" 0
check "says what group delete says" has "group $GROUP_ID returned to the pool" "$OUT"
check_fails "its replica removed" dmsetup info ms_1
check_eq "the pool is empty again" "$(pool_used dmr-pool)" 0
GROUP_ID=
finish
