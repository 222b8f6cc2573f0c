#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo run in the VM: load dm-replica, put a dm device on the
# replica-source target over a scratch disk, and show what it reports.
export DM_DISABLE_UDEV=1
disk=$(for d in /sys/block/vd*; do
	[ "$(cat "$d/serial")" = dmr-a ] && echo "/dev/${d##*/}"; done)

step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "=== dm-replica demo on Linux $(uname -r) ==="
step modprobe dm-replica
step dmsetup targets
step dmsetup create src0 --table "0 $(blockdev --getsz "$disk") replica-source $disk"
step dmsetup table src0
step dmsetup status src0
step replicactl version
echo
echo "\$ write 1 MiB through src0 and read it back from $disk"
dd if=/dev/urandom of=/tmp/data bs=1M count=1 2>/dev/null
dd if=/tmp/data of=/dev/mapper/src0 bs=1M oflag=direct 2>/dev/null
if dd if="$disk" bs=1M count=1 iflag=direct 2>/dev/null | cmp - /tmp/data; then
	echo "data identical"
else
	echo "data differs"
fi
step dmsetup remove src0
step rmmod dm_replica
echo "=== demo done ==="
