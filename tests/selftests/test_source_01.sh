#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Data written through replica-source reads back identically through it
# and through the raw device, and the other way round: patterns at chunk
# edges, odd sizes, the first and the last sector and byte.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-src' EXIT

dm=/dev/mapper/dmr-src
check "create" dm_create dmr-src "0 $(sectors "$DISK_A") replica-source $DISK_A"

# offset length: non-overlapping ranges, each written with its own seed.
ranges="0 1
511 2
4095 2
8192 4096
65535 3
131071 65538
262144 1m
2097159 12345
-4096 3584
-512 511
-1 1"
seed=1
echo "$ranges" | while read -r off len; do
	echo "$seed $off $len"
	seed=$((seed + 1))
done >/tmp/ranges

# Through the dm device, checked on both.
while read -r seed off len; do
	check "write $len bytes at $off through dm" dmr_io write $dm "$off" "$len" "$seed"
done </tmp/ranges
while read -r seed off len; do
	check "read $len bytes at $off through dm" dmr_io verify $dm "$off" "$len" "$seed"
	check "read $len bytes at $off on the raw device" dmr_io verify "$DISK_A" "$off" "$len" "$seed"
done </tmp/ranges

# Through the raw device, checked through dm.
while read -r seed off len; do
	s=$((seed + 100))
	check "write $len bytes at $off on the raw device" dmr_io write "$DISK_A" "$off" "$len" "$s"
	check "read $len bytes at $off through dm" dmr_io verify $dm "$off" "$len" "$s"
done </tmp/ranges
finish
