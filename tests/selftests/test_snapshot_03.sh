#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Writable snapshots: writes to a replica, partial-chunk, across chunks
# and of whole chunks, read back from it; the source never sees them, and
# the rest of the replica keeps the point in time.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'replicactl group delete "$GROUP_ID" >/dev/null 2>&1; dm_cleanup ws_1 dmr-s1 dmr-pool' EXIT

check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" 16384
check "fill the source" dmr_io write /dev/mapper/dmr-s1 0 8m 31
check_do "group" group_create ws dmr-pool /dev/mapper/dmr-s1
r=/dev/mapper/ws_1

# offset length seed: inside a chunk, across a chunk edge, a whole chunk,
# an odd size, the last sector.
writes="4096 4096 41
126976 8192 42
262144 65536 43
400001 777 44
-512 512 45"
echo "$writes" >/tmp/writes
# (loops read from a file, not a pipe, so that their checks count)
while read -r off len seed; do
	check "write $len bytes at $off to the replica" dmr_io write $r "$off" "$len" "$seed"
done </tmp/writes
while read -r off len seed; do
	check "replica reads back $len bytes at $off" dmr_io verify $r "$off" "$len" "$seed"
done </tmp/writes
check "the replica around them is still the source's old data" \
	sh -c "dmr_io verify $r 0 4096 31 && dmr_io verify $r 8192 118784 31 &&
	       dmr_io verify $r 135168 126976 31 && dmr_io verify $r 327680 72321 31"
check "the source did not see them" dmr_io verify /dev/mapper/dmr-s1 0 8m 31

# A write of a whole chunk needs no copy of the chunk it replaces; a
# partial one does. Field 3 of the stat file: sectors the device read.
reads() { stat_field "$DISK_A" 3; }
before=$(reads)
check "write a whole chunk to the replica" dmr_io dwrite $r 655360 64k 46
check_eq "nothing was read from the source for it" "$(reads)" "$before"
check "and it reads back" dmr_io verify $r 655360 64k 46
before=$(reads)
check "write 4 KiB inside another chunk" dmr_io dwrite $r 724992 4k 47
check "the rest of that chunk was copied from the source" \
	test "$(($(reads) - before))" -ge 128
check "the chunk holds both" sh -c "dmr_io verify $r 724992 4096 47 &&
	dmr_io verify $r 720896 4096 31 && dmr_io verify $r 729088 57344 31"


# Source writes to the same places after that leave the replica alone.
check "overwrite the source" dmr_io write /dev/mapper/dmr-s1 0 8m 32
while read -r off len seed; do
	check "replica keeps its own $len bytes at $off" dmr_io verify $r "$off" "$len" "$seed"
done </tmp/writes
check "and the old data elsewhere" dmr_io verify $r 8192 118784 31

check "flush the replica" dmr_io fsync $r
check "discard on the replica is accepted" dmr_io discard $r 1m 64k
finish
