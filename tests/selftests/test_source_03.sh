#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Table reloads and suspend/resume cycles while an O_DIRECT writer runs:
# no write fails, and afterwards every block holds exactly what the writer
# last wrote there.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dm_cleanup dmr-rl; [ -n "$wpid" ] && kill "$wpid" 2>/dev/null' EXIT

size=16384	# sectors: 8 MiB keeps the passes short
table="0 $size replica-source $DISK_A"
check "create" dm_create dmr-rl "$table"
dm=/dev/mapper/dmr-rl

mkfifo /tmp/writer.out
dmr_io writer $dm 4k >/tmp/writer.out &
wpid=$!
exec 3</tmp/writer.out
read -r line <&3
check_eq "writer wrote its first pass" "$line" "done 0"

i=0
while [ $i -lt 8 ]; do
	check "suspend $i" dmsetup suspend dmr-rl
	check "reload while suspended $i" dmsetup reload dmr-rl --table "$table"
	check "resume $i" dmsetup resume dmr-rl
	check "reload while live $i" dmsetup reload dmr-rl --table "$table"
	check "resume swaps in the new table $i" dmsetup resume dmr-rl
	check "suspend --nolockfs $i" dmsetup suspend --nolockfs dmr-rl
	check "resume $i" dmsetup resume dmr-rl
	# Let the writer complete one more pass before the next cycle, so
	# that every cycle meets writes in flight.
	read -r line <&3
	check_eq "writer completed pass $((i + 1))" "$line" "done $((i + 1))"
	i=$((i + 1))
done

kill -TERM "$wpid"
while read -r word pass word2 block <&3 && [ "$word" = "done" ]; do :; done
wait "$wpid"
rc=$?
wpid=
exec 3<&-
check_eq "writer saw no I/O error" "$rc" 0
check_eq "writer reported its position" "$word $word2" "pass block"
diag "writer stopped at pass $pass block $block"
check "every block holds what was last written (through dm)" \
	dmr_io check-writer $dm 4k "$pass" "$block"
check "every block holds what was last written (raw device)" \
	sh -c "dmsetup remove dmr-rl && dmr_io check-writer $DISK_A 4k $pass $block $((size * 512))"
finish
