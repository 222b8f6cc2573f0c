#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A full pool never hurts a source: when the copies no longer fit, the
# replica becomes Broken (CopyState 5) with the reason in the group, its
# I/O fails, and every source write lands.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup full_1 full_2 dmr-s1 dmr-s2 dmr-pool dmr-small' EXIT

# A 6 MiB pool of 64 group slots: about 30 chunks of 64 KiB after its
# 4 MiB of metadata.
check "small device" dm_create dmr-small "0 12288 linear $DISK_C 0"
check "pool" pool_create dmr-pool /dev/mapper/dmr-small 128 64
check "source 1 (16 MiB)" source_create dmr-s1 "$DISK_A" 32768
check "source 2 (16 MiB)" source_create dmr-s2 "$DISK_B" 32768
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 1m 61
check_do "group" group_create full dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
total=$(dmsetup status dmr-pool | awk '{ split($5, a, "/"); print a[2] }')
diag "pool of $total chunks"

check "overwrite all of source 1" dmr_io write /dev/mapper/dmr-s1 0 16m 62
check "every write landed on source 1" dmr_io verify /dev/mapper/dmr-s1 0 16m 62
check "and on its device" dmr_io verify "$DISK_A" 0 16m 62
check_eq "the pool is full" "$(dmsetup status dmr-pool | awk '{ print $7 }')" full
check_eq "group CopyState Mixed" "$(group_field "$GROUP_ID" copy_state)" 14
reason=$(group_field "$GROUP_ID" broken_reason)
diag "broken reason: $reason"
check "the reason names the member and the cause" \
	sh -c "echo '$reason' | grep -q 'full_1 (dmr-s1): the pool is full'"
check_eq "replica 1 reports Broken" "$(dmsetup status full_1 | awk '{ print $4 }')" 5
check "replica 1 I/O fails" sh -c "dmr_io verify /dev/mapper/full_1 0 4k 0 2>&1 | grep -q 'Input/output error'"

# The other member goes on as long as it needs no space, then breaks too.
check "replica 2 still reads" dmr_io verify /dev/mapper/full_2 0 1m 61
check "overwrite source 2" dmr_io write /dev/mapper/dmr-s2 0 4m 63
check "every write landed on source 2" dmr_io verify /dev/mapper/dmr-s2 0 4m 63
check_eq "group Broken" "$(group_field "$GROUP_ID" copy_state)" 5

check "delete the group" replicactl group delete "$GROUP_ID"
GROUP_ID=
check_eq "the pool is empty again" "$(pool_used dmr-pool)" 0
check_eq "healthy again" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok
finish
