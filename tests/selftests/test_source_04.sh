#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad replica-source table lines are refused with a clear ti->error
# message, and leave no device behind.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-bad' EXIT

n=$(sectors "$DISK_A")

# bad TABLE MESSAGE: creating with TABLE fails and logs MESSAGE.
bad() {
	dmesg -c >/dev/null
	check_fails "refused: $1" dm_create dmr-bad "$1"
	check "logged: $2" dmesg_has "replica-source: $2"
	check_fails "no device left by: $1" dmsetup info dmr-bad
}

bad "0 $n replica-source" "Invalid argument count: expected <dev_path>"
bad "0 $n replica-source $DISK_A extra" "Invalid argument count: expected <dev_path>"
bad "0 $n replica-source /dev/nonexistent" "Source device lookup failed"
bad "0 $((n + 8)) replica-source $DISK_A" "Source device is smaller than the target"
finish
