# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Shared helpers of the dm-replica selftests. Sourced by every test_*.sh;
# runs under busybox sh in the test VM.
#
# A test prints diagnostics, checks outcomes with check/expect_*, and ends
# with "finish": exit 0 when every check passed, 1 otherwise. skip() exits
# 4, the KTAP convention for a requirement that is missing.

export DM_DISABLE_UDEV=1
export PATH="/selftests:$PATH"

KSFT_SKIP=4
_failed=0
_checks=0

diag() { echo "$*"; }

skip() {
	echo "SKIP: $*"
	exit "$KSFT_SKIP"
}

fail() {
	echo "FAIL: $*"
	_failed=$((_failed + 1))
}

# check DESCRIPTION COMMAND...: run COMMAND, count a failure if it fails.
check() {
	_desc=$1
	shift
	_checks=$((_checks + 1))
	if _out=$("$@" 2>&1); then
		echo "ok: $_desc"
	else
		fail "$_desc: $_out"
	fi
}

# check_fails DESCRIPTION COMMAND...: COMMAND must fail.
check_fails() {
	_desc=$1
	shift
	_checks=$((_checks + 1))
	if _out=$("$@" 2>&1); then
		fail "$_desc: succeeded but must fail"
	else
		echo "ok: $_desc"
	fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	_checks=$((_checks + 1))
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		fail "$1: got '$2', expected '$3'"
	fi
}

finish() {
	[ "$_checks" -gt 0 ] || { echo "FAIL: the test checked nothing"; exit 1; }
	[ "$_failed" -eq 0 ] || exit 1
	exit 0
}

require_module() {
	[ -c /dev/dm-replica ] || modprobe dm-replica ||
		skip "cannot load dm-replica"
}

# disk SERIAL: the /dev path of the virtio disk with that serial.
disk() {
	for _d in /sys/block/vd*; do
		[ "$(cat "$_d/serial" 2>/dev/null)" = "$1" ] &&
			{ echo "/dev/${_d##*/}"; return 0; }
	done
	return 1
}

# The scratch disks the VM runner attaches (see tests/vm/run-vm.sh).
require_disks() {
	DISK_A=$(disk dmr-a) || skip "no scratch disk dmr-a"
	DISK_B=$(disk dmr-b) || skip "no scratch disk dmr-b"
	DISK_C=$(disk dmr-c) || skip "no scratch disk dmr-c"
	export DISK_A DISK_B DISK_C
}

sectors() { blockdev --getsz "$1"; }

# sysblk DEV: the /sys/block directory of a /dev path (dm devices
# included: without udev, /dev/mapper/NAME is a node, not a link).
sysblk() {
	case $1 in
	/dev/mapper/*) echo "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "${1#/dev/mapper/}")" ;;
	*) _r=$(readlink -f "$1"); echo "/sys/block/${_r##*/}" ;;
	esac
}

# stat_field DEV N: field N (1-based) of /sys/block/DEV/stat.
stat_field() {
	awk -v n="$2" '{ print $n }' "$(sysblk "$1")/stat"
}

dm_create() {
	dmsetup create "$1" --table "$2"
}

# Remove the dm devices this test made; used from an EXIT trap.
dm_cleanup() {
	for _n in "$@"; do
		dmsetup info "$_n" >/dev/null 2>&1 && dmsetup remove "$_n"
	done
	return 0
}

# dmesg_has TEXT: TEXT was logged since the test started.
dmesg_has() {
	dmesg | grep -qF -- "$1"
}
