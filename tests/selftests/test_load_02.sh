#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A commit of shared copies is made durable by one flush, and its entries
# may reach the disk before the copies' data does; so the pool, when
# loaded, checks the copies of its last commit against their checksums.
#
# Round 1: a write makes a copy; the devices go down and come back
# unchanged: the copy is kept (it checks out), the replica is its
# checksum. Round 2: another write makes a second copy (now the last
# commit); with the devices down, the disks are put in the state a power
# cut can leave: the entry on disk, the copy's data not (overwritten),
# and the source write it was made for never landed (the chunk's old data
# put back). Loading must drop that copy, say so, and serve the replica
# from the source again: the replica is its checksum, the pool holds the
# first copy only, and a new write to the chunk makes a new copy.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
tab=/tmp/replicatab.load2
# shellcheck disable=SC2317 # called through check
rc() { replicactl -t "$tab" "$@"; }
trap 'rc activate >/dev/null 2>&1; replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup ld_1 ld-s1 dmr-pool; rm -f "$tab"' EXIT
rm -f "$tab"

S=/dev/mapper/ld-s1
check "blank the pool disk" blank "$DISK_C"
check "pool (64 KiB chunks)" rc pool create "$DISK_C" --name dmr-pool --chunk-size 64k
check "source (1 MiB)" rc source create ld-s1 "$DISK_A"
check "fill the source" dmr_io write $S 0 1m 41
check_do "snapshot" group_create ld dmr-pool $S
end_if_failed
sum=$(dev_md5 /dev/mapper/ld_1)

# entry SRC_CHUNK: the pool chunk and commit of the copy of SRC_CHUNK.
entry() {
	dmr_io owner-list "$DISK_C" | awk -v c="$1" '$1 != "data_start" && $2 == c { print $1, $3 }'
}

check "round 1: a write into chunk 3 makes a copy" dmr_io write $S 196k 4k 42
check_eq "round 1: one chunk in use" "$(pool_used dmr-pool)" 1
check "round 1: the devices go down" rc deactivate
read -r _ commit1 <<EOF
$(entry 3)
EOF
check "round 1: the copy is on disk" test -n "$commit1"
dmesg -c >/dev/null
check "round 1: and come back" rc activate
check_eq "round 1: the copy is kept" "$(pool_used dmr-pool)" 1
check_fails "round 1: nothing was dropped" dmesg_has "not durable"
check_eq "round 1: the replica is its checksum" "$(dev_md5 /dev/mapper/ld_1)" "$sum"
end_if_failed

check "round 2: save chunk 5 of the source" \
	dd if=$S of=/tmp/load2.old bs=64k skip=5 count=1 iflag=direct
check "round 2: a write into chunk 5 makes a copy" dmr_io write $S 324k 4k 43
check_eq "round 2: two chunks in use" "$(pool_used dmr-pool)" 2
check "round 2: the devices go down" rc deactivate
read -r pc2 commit2 <<EOF
$(entry 5)
EOF
check "round 2: its commit is the last" test "${commit2:-0}" -gt "$commit1"
data=$(dmr_io owner-list "$DISK_C" | awk '$1 == "data_start" { print $2 }')
check "round 2: its data did not reach the pool" \
	dmr_io write "$DISK_C" "$((data + pc2 * 128))s" 64k 44
check "round 2: nor the source write" \
	dd if=/tmp/load2.old of="$DISK_A" bs=64k seek=5 count=1 conv=notrunc,fsync
dmesg -c >/dev/null
check "round 2: the devices come back" rc activate
check "round 2: the copy was dropped, and said so" \
	dmesg_has "1 of 1 copies of commit $commit2 were not durable"
check_eq "round 2: the pool holds the first copy only" "$(pool_used dmr-pool)" 1
check_eq "round 2: the replica is its checksum" "$(dev_md5 /dev/mapper/ld_1)" "$sum"
check_eq "round 2: Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
check "round 2: a new write into chunk 5 makes a new copy" dmr_io write $S 324k 4k 45
check_eq "round 2: two chunks in use again" "$(pool_used dmr-pool)" 2
check_eq "round 2: the replica is still its checksum" "$(dev_md5 /dev/mapper/ld_1)" "$sum"
check "the source holds its writes" dmr_io verify $S 324k 4k 45
check "delete the group" replicactl group delete "$GROUP_ID"
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0
finish
