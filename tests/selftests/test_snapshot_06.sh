#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module cannot be unloaded while a group exists, even when no dm
# device uses its targets any more; it can once the group is deleted.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1; dm_cleanup ul_1 dmr-s1 dmr-pool;
      modprobe dm-replica' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" 8192
# (No Consistency here: the members are taken one by one.)
GROUP_OPTS="--consistency none"
check_do "group" group_create ul dmr-pool /dev/mapper/dmr-s1
GROUP_OPTS=
check_eq "No Consistency recorded" "$(group_field "$GROUP_ID" consistency)" 2
check_eq "Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
check_fails "the pool cannot be removed under its replica" dmsetup remove dmr-pool
check "remove the replica" dmsetup remove ul_1
check "remove the source" dmsetup remove dmr-s1
check "remove the pool" dmsetup remove dmr-pool
check_fails "unload refused while the group exists" rmmod dm_replica
check "the group is still listed" sh -c "replicactl group list | grep -qw ul"
check "delete the group" replicactl group delete "$GROUP_ID"
GROUP_ID=
check "unload" rmmod dm_replica
check "load again" modprobe dm-replica
finish
