#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A group snapshot of two sources keeps their contents as they were at
# creation (checksums taken then) while writers overwrite the sources
# again and again, and the replicas are read at the same time.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1; kill $w1 $w2 2>/dev/null;
      dm_cleanup pit_1 pit_2 dmr-s1 dmr-s2 dmr-pool' EXIT

size=32768	# 16 MiB sources
check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" $size
check "source 2" source_create dmr-s2 "$DISK_B" $size
check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 16m 11
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 16m 12
sum1=$(md5sum </dev/mapper/dmr-s1)
sum2=$(md5sum </dev/mapper/dmr-s2)

check_do "create the group" group_create pit dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
check_eq "replica 1 as at creation" "$(md5sum </dev/mapper/pit_1)" "$sum1"
check_eq "replica 2 as at creation" "$(md5sum </dev/mapper/pit_2)" "$sum2"
check_eq "group Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4

mkfifo /tmp/w1 /tmp/w2
dmr_io writer /dev/mapper/dmr-s1 4k >/tmp/w1 &
w1=$!
dmr_io writer /dev/mapper/dmr-s2 4k >/tmp/w2 &
w2=$!
exec 3</tmp/w1 4</tmp/w2
pass=0
while [ $pass -lt 3 ]; do
	read -r l1 <&3
	read -r l2 <&4
	check_eq "writers completed pass $pass" "$l1 $l2" "done $pass done $pass"
	check_eq "replica 1 unchanged after pass $pass" "$(md5sum </dev/mapper/pit_1)" "$sum1"
	check_eq "replica 2 unchanged after pass $pass" "$(md5sum </dev/mapper/pit_2)" "$sum2"
	pass=$((pass + 1))
done
kill -TERM $w1 $w2
while read -r a p _ blk <&3 && [ "$a" = "done" ]; do :; done
check "source 1 holds what its writer wrote" dmr_io check-writer /dev/mapper/dmr-s1 4k "$p" "$blk"
while read -r a p _ blk <&4 && [ "$a" = "done" ]; do :; done
check "source 2 holds what its writer wrote" dmr_io check-writer /dev/mapper/dmr-s2 4k "$p" "$blk"
wait $w1 $w2
w1='' w2=''

check_eq "replica 1 still as at creation" "$(md5sum </dev/mapper/pit_1)" "$sum1"
check_eq "replica 2 still as at creation" "$(md5sum </dev/mapper/pit_2)" "$sum2"
check_eq "every chunk was copied once" "$(group_field "$GROUP_ID" group_chunks)" 512
check_eq "pool use" "$(pool_used dmr-pool)" 512

check "delete the group" replicactl group delete "$GROUP_ID"
check_fails "replicas removed" dmsetup info pit_1
check_eq "its space is back in the pool" "$(pool_used dmr-pool)" 0
check_eq "sources pass through again" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" passthrough
finish
