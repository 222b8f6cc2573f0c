#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Flushes, discards and write-zeroes pass through replica-source to the
# device, and are not advertised when the device cannot do them.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-fl dmr-nd' EXIT

# dmr-a has a volatile write cache and discard; dmr-b has no discard.
[ "$(cat "$(sysblk "$DISK_A")/queue/write_cache")" = "write back" ] ||
	skip "scratch disk dmr-a has no volatile write cache"
[ "$(cat "$(sysblk "$DISK_A")/queue/discard_max_bytes")" -gt 0 ] ||
	skip "scratch disk dmr-a has no discard"

check "create over a disk with cache and discard" \
	dm_create dmr-fl "0 $(sectors "$DISK_A") replica-source $DISK_A"
dm=/dev/mapper/dmr-fl
q=$(sysblk $dm)/queue

check_eq "write cache advertised" "$(cat "$q/write_cache")" "write back"
check_eq "FUA as the device" "$(cat "$q/fua")" "$(cat "$(sysblk "$DISK_A")/queue/fua")"

# Field 16 of the stat file counts flush requests the device completed.
before=$(stat_field "$DISK_A" 16)
check "write and fsync through dm" dmr_io write $dm 1m 64k 5
after=$(stat_field "$DISK_A" 16)
check "the flush reached the device ($before -> $after)" test "$after" -gt "$before"

# Fields 12 and 14: discards completed and sectors discarded.
check "discard advertised" test "$(cat "$q/discard_max_bytes")" -gt 0
d_ios=$(stat_field "$DISK_A" 12)
d_sec=$(stat_field "$DISK_A" 14)
check "discard 1 MiB through dm" dmr_io discard $dm 4m 1m
check "the discard reached the device" test "$(stat_field "$DISK_A" 12)" -gt "$d_ios"
check "all 2048 sectors were discarded" \
	test "$(($(stat_field "$DISK_A" 14) - d_sec))" -ge 2048

# Write-zeroes: the data reads back as zeroes on the raw device.
check "write a pattern" dmr_io write $dm 8m 256k 9
if [ "$(cat "$q/write_zeroes_max_bytes")" -gt 0 ]; then
	check "BLKZEROOUT through dm" dmr_io zeroout $dm 8m 256k
	check "the range reads back as zeroes on the raw device" \
		dmr_io zero-verify "$DISK_A" 8m 256k
	check "the data around it is intact" dmr_io verify "$DISK_A" 1m 64k 5
else
	fail "write-zeroes not advertised over a disk that has it"
fi

# Over a disk without discard, none is advertised and BLKDISCARD fails.
check "create over a disk without discard" \
	dm_create dmr-nd "0 $(sectors "$DISK_B") replica-source $DISK_B"
check_eq "no discard advertised" \
	"$(cat "$(sysblk /dev/mapper/dmr-nd)/queue/discard_max_bytes")" 0
check_fails "BLKDISCARD refused" dmr_io discard /dev/mapper/dmr-nd 0 1m
finish
