#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl version reports the module's ABI and features through the
# control device; without the module it says so with exit code 69.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module

out=$(replicactl version)
check_eq "replicactl version exits 0" $? 0
diag "$out"
check_eq "kernel ABI matches the module version" \
	"$(echo "$out" | sed -n 's/^kernel ABI //p')" "$(cat /sys/module/dm_replica/version)"
check_eq "features listed" "$(echo "$out" | sed -n 's/^features: //p')" "source-target snapshot clone changes"
check "json output" sh -c 'replicactl --json version | grep -q "\"features\": \[\"source-target\", \"snapshot\", \"clone\", \"changes\"\]"'
check "help" sh -c 'replicactl --help | grep -q "^Usage: replicactl"'

replicactl bogus >/dev/null 2>&1
check_eq "unknown command exits 64" $? 64

lsmod | grep -q '^dm_replica ' && rmmod dm_replica
replicactl version >/dev/null 2>&1
check_eq "no module: exit 69" $? 69
check "reload the module" modprobe dm-replica
finish
