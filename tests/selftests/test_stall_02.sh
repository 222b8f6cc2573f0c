#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A pool device that stalls while it is formatted or opened holds up
# nothing but that pool: the format waits on the device without the
# module's global lock, so that meanwhile another pool is created and
# shown, a group is created on it, and the control device answers. A
# second table for the device being opened, and a replica-source on it,
# are refused at once. Once the device comes back, the format ends and
# the pool works.
#
# No command is waited for without a bound: the device is resumed after
# ANSWER_S seconds, which frees whatever was stuck behind it.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

ANSWER_S=12
RESUME_S=60

pids=
gid=
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dmsetup resume dmr-lowP >/dev/null 2>&1
	for _p in $pids; do
		kill "$_p" 2>/dev/null
	done
	wait
	[ -n "$gid" ] && replicactl group delete "$gid" >/dev/null 2>&1
	replicactl group list 2>/dev/null | awk '$2 == "st3" { print $1 }' |
		while read -r _g; do replicactl group delete "$_g" >/dev/null 2>&1; done
	dm_cleanup dmr-poolP dmr-poolQ dmr-sP dmr-s1 dmr-s2 dmr-lowS2 dmr-pool dmr-lowP
}
trap cleanup EXIT

# bg NAME COMMAND...: run COMMAND in the background ($! is its pid); its
# output goes to /tmp/stall2.NAME.
bg() {
	_n=$1
	shift
	"$@" >"/tmp/stall2.$_n" 2>&1 &
	pids="$pids $!"
}

# The stalled pool's device: a linear device that can be suspended.
n=$(sectors "$DISK_C")
check "lower device" dm_create dmr-lowP "0 $n linear $DISK_C 0"
check "blank it" blank /dev/mapper/dmr-lowP
check "suspend it" dmsetup suspend --nolockfs --noflush dmr-lowP
bg format dmsetup create dmr-poolP --table "0 $n replica-pool /dev/mapper/dmr-lowP 2 format 128"
pid_format=$!
# The format first reads the range it would write: that read waits, in
# the table load's ioctl (a suspended dm device queues its bios before
# they count as in flight).
_end=$(($(date +%s) + 30))
until in_ioctl "$pid_format" /dev/mapper/control || ended "$pid_format" ||
      [ "$(date +%s)" -ge "$_end" ]; do
	sleep 0.1
done
check "the format waits in its table load" in_ioctl "$pid_format" /dev/mapper/control

dmesg -c >/dev/null
# Everything else, while the format waits.
bg pool pool_create dmr-pool "$DISK_B" 128
pid_pool=$!
bg list replicactl group list
pid_list=$!
bg second dm_create dmr-poolQ "0 $n replica-pool /dev/mapper/dmr-lowP"
pid_second=$!
bg source source_create dmr-sP /dev/mapper/dmr-lowP
pid_source=$!
others="pool:$pid_pool list:$pid_list second:$pid_second source:$pid_source"
wait_ended "$ANSWER_S" "$pid_pool" "$pid_list" "$pid_second" "$pid_source"
answered=
for o in $others; do
	ended "${o#*:}" && answered="$answered ${o%:*}"
done
format_before=0
ended "$pid_format" && format_before=1
# While the device is still stalled: a group on the other pool.
group_ok=no
if ended "$pid_pool"; then
	source_create dmr-s1 "$DISK_A" 32768 && dmr_io write /dev/mapper/dmr-s1 0 1m 31 &&
		group_create st2 dmr-pool /dev/mapper/dmr-s1 && gid=$GROUP_ID && group_ok=yes
fi

check "resume the device" dmsetup resume dmr-lowP
check_do "the format ends once the device is back" wait_ended "$RESUME_S" "$pid_format"
check_do "the other commands end" wait_ended "$RESUME_S" \
	"$pid_pool" "$pid_list" "$pid_second" "$pid_source"
for o in $others; do
	nm=${o%:*}
	case " $answered " in
	*" $nm "*) got=yes ;;
	*) got="no answer within ${ANSWER_S}s" ;;
	esac
	check_eq "$nm answered while the pool device was stalled" "$got" yes
done
check_eq "the format waited for the device" "$format_before" 0
check_eq "a group was made on the other pool meanwhile" "$group_ok" yes

wait "$pid_pool"
check_eq "the other pool: exit status" $? 0
check_eq "the other pool is healthy" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok
wait "$pid_list"
check_eq "group list: exit status" $? 0
wait "$pid_second"
check_fails "a second table for the device was refused" test $? = 0
check "and said why" dmesg_has "Device is being opened or closed as a pool by another table"
wait "$pid_source"
check_fails "a source on the device was refused" test $? = 0
check "and said why" dmesg_has "Device holds a loaded replica-pool"

wait "$pid_format"
check_eq "the format ended well" $? 0
status=$(dmsetup status dmr-poolP)
diag "the formatted pool: $status"
check_eq "the formatted pool is empty and healthy" \
	"$(echo "$status" | awk '{ print $4, substr($5, 1, index($5, "/") - 1), $7 }')" "128 0 ok"
check "the group's replica as at creation" dmr_io verify /dev/mapper/st2_1 0 1m 31

# A group created on a pool whose device stalls waits on its record's
# write, with nothing held that the rest needs: finding its slot reads
# nothing (the slots were read when the pool was opened).
check "a second source's device" dm_create dmr-lowS2 "0 32768 linear $DISK_A 65536"
check "a second source" source_create dmr-s2 /dev/mapper/dmr-lowS2
check "data on it" dmr_io write /dev/mapper/dmr-s2 0 1m 32
check "suspend the pool's device again" dmsetup suspend --nolockfs --noflush dmr-lowP
bg create group_create st3 dmr-poolP /dev/mapper/dmr-s2
pid_create=$!
_end=$(($(date +%s) + 30))
until in_ioctl "$pid_create" /dev/dm-replica || ended "$pid_create" ||
      [ "$(date +%s)" -ge "$_end" ]; do
	sleep 0.1
done
bg list2 replicactl group list
pid_list2=$!
bg status2 dmsetup status dmr-pool
pid_status2=$!
wait_ended "$ANSWER_S" "$pid_list2" "$pid_status2"
answered2=no
ended "$pid_list2" && ended "$pid_status2" && answered2=yes
create_before=0
ended "$pid_create" && create_before=1
check "resume it" dmsetup resume dmr-lowP
check_do "the creation ends once the device is back" wait_ended "$RESUME_S" "$pid_create"
check_do "the others end" wait_ended "$RESUME_S" "$pid_list2" "$pid_status2"
check_eq "the others answered while the creation waited" "$answered2" yes
check_eq "the creation waited for the device" "$create_before" 0
wait "$pid_create"
check_eq "the creation ended well" $? 0
gid3=$(replicactl group list | awk '$2 == "st3" { print $1 }')
diag "group st3: $gid3"
check "its replica as at creation" dmr_io verify /dev/mapper/st3_1 0 1m 32
[ -n "$gid3" ] && replicactl group delete "$gid3" >/dev/null
finish
