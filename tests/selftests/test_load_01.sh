#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module loads, registers its target and control device, refuses to
# unload while a table uses its target, and unloads cleanly afterwards.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_disks
trap 'dm_cleanup dmr-load' EXIT

lsmod | grep -q '^dm_replica ' && rmmod dm_replica
check "modprobe dm-replica" modprobe dm-replica
check "control device exists" test -c /dev/dm-replica
version=$(cat /sys/module/dm_replica/version)
for t in replica-source replica replica-pool; do
	check_eq "target $t is registered with the module's version" \
		"$(dmsetup targets | awk -v t="$t" '$1 == t { print $2 }')" "v$version"
done

check "create a replica-source device" dm_create dmr-load "0 $(sectors "$DISK_A") replica-source $DISK_A"
check_fails "unload refused while a table uses the target" rmmod dm_replica
check "module still loaded" sh -c 'lsmod | grep -q "^dm_replica "'
check "remove the device" dmsetup remove dmr-load
check "rmmod" rmmod dm_replica
check_fails "control device gone after unload" test -e /dev/dm-replica
check_fails "targets gone after unload" sh -c 'dmsetup targets | grep -q replica'
check "load again" modprobe dm-replica
finish
