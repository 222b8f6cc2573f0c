#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad CreateGroupReplicaFromElements requests: each gets the standard's
# return value (as replicactl's exit code) and a message naming the field
# or device, and leaves nothing behind: no group, no pool space, no dm
# device.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup ok_1 tiny_1 dmr-s1 dmr-s2 dmr-lin dmr-pool dmr-tiny dmr-tinydev' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" 8192
check "source 2" source_create dmr-s2 "$DISK_B" 8192
check "a device that is not a source" dm_create dmr-lin "0 8192 linear $DISK_A 8192"
S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2 P=/dev/mapper/dmr-pool

# bad EXIT TEXT ARGS...: create-group-replica with ARGS exits EXIT and
# says TEXT, and nothing is left.
bad() {
	_want=$1 _text=$2
	shift 2
	_groups=$(replicactl --json group list)
	_used=$(pool_used dmr-pool)
	_out=$(replicactl create-group-replica --relationship-name bad "$@" 2>&1)
	_rc=$?
	check_eq "exit $_want for: $*" "$_rc" "$_want"
	check "says '$_text' for: $*" sh -c "printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$_out" "$_text"
	check_eq "no group left by: $*" "$(replicactl --json group list)" "$_groups"
	check_eq "no pool space taken by: $*" "$(pool_used dmr-pool)" "$_used"
	check_fails "no replica device left by: $*" dmsetup info bad_1
}

bad 5 "SyncType: 5" --sync-type 5 --target-pool $P --source-elements $S1
bad 1 "SyncType: Mirror (6) is not supported" --sync-type mirror --target-pool $P --source-elements $S1
bad 5 "Mode: 4" --mode 4 --target-pool $P --source-elements $S1
bad 1 "Mode: Asynchronous (3)" --mode asynchronous --target-pool $P --source-elements $S1
bad 5 "Consistency: 7" --consistency 7 --target-pool $P --source-elements $S1
bad 5 "WaitForCopyState: Initialized (2) makes no sense" --wait-for-copy-state initialized \
	--target-pool $P --source-elements $S1
bad 5 "WaitForCopyState: Inactive (8) makes no sense" --wait-for-copy-state inactive \
	--target-pool $P --source-elements $S1
bad 5 "is the same as SourceElements[0]" --target-pool $P --source-elements $S1,$S1
bad 5 "SourceElements[1]: " --target-pool $P --source-elements $S1,/dev/mapper/dmr-lin
bad 5 "TargetPool: " --target-pool /dev/mapper/dmr-lin --source-elements $S1
bad 5 "TargetPool: must be absent when TargetGroup is given" --target-group old \
	--target-pool $P --source-elements $S1
bad 1 "TargetGroup: using existing target elements is not supported" --target-group old \
	--source-elements $S1
bad 1 "SourceAccessPoint: access points are not supported" --source-access-point iqn.x \
	--target-pool $P --source-elements $S1
bad 5 "ReplicationSettingData: unknown key 'speed'" --replication-setting-data speed=9 \
	--target-pool $P --source-elements $S1
bad 5 "RelationshipName: 'a/b' contains '/'" --relationship-name a/b --target-pool $P \
	--source-elements $S1
long=$(printf '%0125d' 0)
bad 5 "RelationshipName: 125 characters" --relationship-name "$long" --target-pool $P \
	--source-elements $S1

# A pool too small for the group, and a full one.
check "tiny device" dm_create dmr-tinydev "0 12288 linear $DISK_B 16384"
check "a pool of one 1 MiB chunk" pool_create dmr-tiny /dev/mapper/dmr-tinydev 2048 64
check_eq "one chunk" "$(dmsetup status dmr-tiny | awk '{ print $5 }')" 0/1
bad 5 "TargetPool: 1 chunks, too small for 2 replicas" --target-pool /dev/mapper/dmr-tiny \
	--source-elements $S1,$S2

# A source's snapshots share one pool: one with a group in another pool
# is In Use.
check_do "a good group" group_create ok dmr-pool $S1
bad 6 "SourceElements[0]: dmr-s1 has replicas in pool" --target-pool /dev/mapper/dmr-tiny \
	--source-elements $S1
check "delete it" replicactl group delete "$GROUP_ID"

# A full pool: its one chunk is taken by another group's copy.
check_do "a group on the tiny pool" group_create tiny dmr-tiny $S2
check "its first copy takes the one chunk" dmr_io write $S2 0 4k 5
bad 5 "TargetPool: full (1 of 1 chunks used)" --target-pool /dev/mapper/dmr-tiny \
	--source-elements $S1
check "delete it" replicactl group delete "$GROUP_ID"
GROUP_ID=

# What only a program can send: sizes, pointers, counts, reserved fields.
check "malformed requests are answered" dmr_ioctl create $S1 $P
dmr_ioctl create $S1 $P | sed 's/^/  /'
finish
