#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl group delete removes only the group's own replica devices:
# those whose dm UUID carries the DMR-REPLICA- prefix and whose table is
# this group's replica target. A user's linear device that only has the
# name of a replica (<RelationshipName>_<n>) survives, with its data.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup mine_1 mine_2 dmr-s1 dmr-s2 dmr-lin dmr-pool' EXIT

uuid() { dmsetup info -c --noheadings -o uuid "$1"; }

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" 16384
check "source 2" source_create dmr-s2 "$DISK_B" 16384
check_do "create the group" group_create mine dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
check_eq "replica 1 carries its UUID" "$(uuid mine_1)" \
	"DMR-REPLICA-$GROUP_ID-1-$(dmsetup info -c --noheadings -o major,minor --separator : dmr-pool)"
check_eq "replica 2 carries its UUID" "$(uuid mine_2 | cut -d- -f1-4)" "DMR-REPLICA-$GROUP_ID-2"

# Replace replica 2 by a user's linear device of the same name, on the
# unused end of DISK_A, with data of its own.
check "remove replica 2 by hand" dmsetup remove mine_2
check "a linear device named mine_2" dm_create mine_2 "0 2048 linear $DISK_A 20480"
check "its data" dmr_io write /dev/mapper/mine_2 0 1m 51

err=$(replicactl group delete "$GROUP_ID" 2>&1)
check_eq "group delete exits 0" "$?" 0
diag "$err"
check_fails "replica 1 removed" dmsetup info mine_1
check "the linear mine_2 survives" dmsetup info mine_2
check_eq "still linear" "$(dmsetup table mine_2 | awk '{ print $3 }')" linear
check "with its data" dmr_io verify /dev/mapper/mine_2 0 1m 51
case $err in *"mine_2"*"left alone"*) echo "ok: the message says mine_2 was left alone" ;;
*) fail "no word of mine_2: $err" ;; esac
check_fails "the group is gone" replicactl group show "$GROUP_ID"
GROUP_ID=
finish
