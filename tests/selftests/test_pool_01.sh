#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replica-pool: a blank device is formatted only when asked, a pool is
# opened again as it was, and a device holding anything else is refused
# whole: nothing is formatted silently.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-pool dmr-small' EXIT

n=$(sectors "$DISK_C")
check "blank the metadata range" blank "$DISK_C"

# bad TABLE MESSAGE: creating with TABLE fails and logs MESSAGE.
bad() {
	dmesg -c >/dev/null
	check_fails "refused: $1" dm_create dmr-pool "$1"
	check "logged: $2" dmesg_has "replica-pool: $2"
	check_fails "no device left by: $1" dmsetup info dmr-pool
}

bad "0 $n replica-pool $DISK_C" "Not a dm-replica pool"
bad "0 $n replica-pool $DISK_C 2 format 96" "Chunk size must be a power of two"
bad "0 $n replica-pool $DISK_C 2 format" "Invalid number of optional arguments"
bad "0 $n replica-pool $DISK_C 2 frobnicate 128" "Expected optional arguments: format <chunk_sectors>"

check "format a blank device" dm_create dmr-pool "0 $n replica-pool $DISK_C 2 format 128"
status=$(dmsetup status dmr-pool)
diag "status: $status"
# shellcheck disable=SC2086
set -- $status
check_eq "chunk size in status" "$4" 128
check_eq "nothing used yet" "${5%/*}" 0
check "total chunks reported" test "${5#*/}" -gt 400
check_eq "no groups" "$6" 0
check_eq "healthy" "$7" ok
check_eq "table names the device" "$(dmsetup table dmr-pool | awk '{ print $4 }')" \
	"$(cat "$(sysblk "$DISK_C")/dev")"
check_fails "writes to the pool device fail" dmr_io write /dev/mapper/dmr-pool 0 4k 1
check "remove" dmsetup remove dmr-pool

bad "0 $n replica-pool $DISK_C 2 format 128" "Device is not blank: refusing to format it as a pool"
check "open the existing pool" dm_create dmr-pool "0 $n replica-pool $DISK_C"
check_eq "same pool" "$(dmsetup status dmr-pool | awk '{ print $4, $5, $7 }')" "128 0/${5#*/} ok"
check "remove" dmsetup remove dmr-pool

# A device holding data is refused both ways and keeps its data.
check "write data" dmr_io write "$DISK_B" 0 64k 77
bad "0 $n replica-pool $DISK_B 2 format 128" "Device is not blank"
bad "0 $n replica-pool $DISK_B" "Not a dm-replica pool"
check "the data is untouched" dmr_io verify "$DISK_B" 0 64k 77

# Too small for the metadata.
check "a 1 MiB device" dm_create dmr-small "0 2048 linear $DISK_A 0"
check "blank it" dmr_io zeroout /dev/mapper/dmr-small 0 4k
bad "0 2048 replica-pool /dev/mapper/dmr-small 2 format 8" "Pool device too small"
finish
