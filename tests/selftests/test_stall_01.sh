#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A member whose device stalls holds up nothing but its own group: while a
# write to one group's source waits on its stalled lower device (a linear
# device suspended without flushing, as a lost path with queue_if_no_path
# behaves) and a delete of that group waits for the write, the control
# device, the pool's status, another group, a new source and the creation
# and deletion of a third group all answer in time. Once the device comes
# back, the write lands and the delete ends.
#
# A command that does not answer is never waited for without a bound: the
# test resumes the device after ANSWER_S seconds, which frees whatever was
# stuck behind it, and reports each command that had not answered by then.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

# Seconds every other command has to answer while the device is stalled;
# kept well below the hung task timeout of the test kernels (tests/vm/init)
# so that a write stuck for this long is not reported as a hang.
ANSWER_S=12
# Seconds the stalled write and the delete have to end after the resume.
RESUME_S=60

stall_id=
other_id=
third_id=
pids=
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dmsetup resume dmr-lowA >/dev/null 2>&1
	for _p in $pids; do
		kill "$_p" 2>/dev/null
	done
	wait
	for _g in $third_id $stall_id $other_id; do
		replicactl group delete "$_g" >/dev/null 2>&1
	done
	dm_cleanup dmr-sC dmr-lowC dmr-sA dmr-lowA dmr-sB dmr-pool
}
trap cleanup EXIT

# bg NAME COMMAND...: run COMMAND in the background ($! is its pid); its
# output goes to /tmp/stall.NAME.
bg() {
	_n=$1
	shift
	"$@" >"/tmp/stall.$_n" 2>&1 &
	pids="$pids $!"
}

# Two groups on two devices, and a third device for a third group. The
# stalled group's source sits on a linear device that can be suspended.
check "pool" pool_create dmr-pool "$DISK_C" 128
check "lower device A" dm_create dmr-lowA "0 32768 linear $DISK_A 0"
check "lower device C" dm_create dmr-lowC "0 32768 linear $DISK_A 65536"
check "source A" source_create dmr-sA /dev/mapper/dmr-lowA
check "source B" source_create dmr-sB "$DISK_B" 32768
check "data on source A" dmr_io write /dev/mapper/dmr-sA 0 1m 70
check_do "group on A" group_create stall dmr-pool /dev/mapper/dmr-sA
stall_id=$GROUP_ID
check_do "group on B" group_create other dmr-pool /dev/mapper/dmr-sB
other_id=$GROUP_ID
if [ -z "$stall_id" ] || [ -z "$other_id" ]; then
	finish
fi

# Stall A's device: I/O to it is queued until it is resumed.
check "suspend the lower device of A" dmsetup suspend --nolockfs --noflush dmr-lowA
sA=$(sysblk /dev/mapper/dmr-sA)
bg write dmr_io dwrite /dev/mapper/dmr-sA 0 64k 71
pid_write=$!
# The write needs the copy of its chunk, whose read waits on dmr-lowA.
_end=$(($(date +%s) + 30))
while [ "$(awk '{ print $2 }' "$sA/inflight")" -lt 1 ] && ! ended "$pid_write" &&
      [ "$(date +%s)" -lt "$_end" ]; do
	sleep 0.1
done
check "a write to source A waits on the stalled device" \
	test "$(awk '{ print $2 }' "$sA/inflight")" -ge 1

# Delete A's group while its write is stuck: the delete waits for the write
# (or refuses); it waits inside its request to the control device.
bg delete replicactl group delete "$stall_id"
pid_delete=$!
_end=$(($(date +%s) + 30))
until in_ioctl "$pid_delete" /dev/dm-replica || ended "$pid_delete" ||
      [ "$(date +%s)" -ge "$_end" ]; do
	sleep 0.1
done
# shellcheck disable=SC2317 # called through check_do
delete_started() {
	in_ioctl "$pid_delete" /dev/dm-replica || ended "$pid_delete"
}
check_do "the delete of group $stall_id is under way" delete_started

# Everything else, at once, while A stays stalled.
bg list replicactl group list
pid_list=$!
bg show replicactl --json group show "$other_id"
pid_show=$!
bg status dmsetup status dmr-pool
pid_status=$!
bg iob sh -c "dmr_io dwrite /dev/mapper/dmr-sB 0 64k 72 &&
	dmr_io verify /dev/mapper/dmr-sB 0 64k 72"
pid_iob=$!
# A new replica-source (its constructor), and a group made and deleted.
# shellcheck disable=SC2317 # called through bg
third() {
	source_create dmr-sC /dev/mapper/dmr-lowC || return 1
	group_create third dmr-pool /dev/mapper/dmr-sC || return 1
	echo "group $GROUP_ID"
	replicactl group delete "$GROUP_ID" || return 1
	dmsetup remove dmr-sC
}
bg third third
pid_third=$!
others="list:$pid_list show:$pid_show status:$pid_status iob:$pid_iob third:$pid_third"
wait_ended "$ANSWER_S" "$pid_list" "$pid_show" "$pid_status" "$pid_iob" "$pid_third"
answered=
for o in $others; do
	ended "${o#*:}" && answered="$answered ${o%:*}"
done
delete_before=0
ended "$pid_delete" && delete_before=1
write_before=0
ended "$pid_write" && write_before=1

# Resume A; whatever waited on it, or on anything it held, goes on.
check "resume the lower device of A" dmsetup resume dmr-lowA
check_do "the write and the delete end once the device is back" \
	wait_ended "$RESUME_S" "$pid_write" "$pid_delete"
check_do "the other commands end" wait_ended "$RESUME_S" \
	"$pid_list" "$pid_show" "$pid_status" "$pid_iob" "$pid_third"

for o in $others; do
	n=${o%:*}
	case " $answered " in
	*" $n "*) got=yes ;;
	*) got="no answer within ${ANSWER_S}s" ;;
	esac
	check_eq "$n answered while A was stalled" "$got" yes
done
check_eq "the write waited for the device" "$write_before" 0

# What each of them answered.
wait "$pid_list"
check_eq "group list: exit status" $? 0
check "group list shows group $other_id" \
	grep -Eq "^ *$other_id +other " /tmp/stall.list
wait "$pid_show"
check_eq "group show: exit status" $? 0
check_eq "group show: the other group" "$(json_get relationship_name </tmp/stall.show)" other
check_eq "group show: Synchronized" "$(json_get copy_state </tmp/stall.show)" 4
wait "$pid_status"
check_eq "pool status: exit status" $? 0
check_eq "pool status: chunk size" "$(awk '{ print $4 }' /tmp/stall.status)" 128
check_eq "pool status: healthy" "$(awk '{ print $7 }' /tmp/stall.status)" ok
wait "$pid_iob"
check_eq "I/O on source B" $? 0
wait "$pid_third"
check_eq "third group created and deleted" $? 0
third_id=$(sed -n 's/^group //p' /tmp/stall.third)
[ "$(cat /tmp/stall.third)" = "" ] || sed 's/^/third: /' /tmp/stall.third

wait "$pid_write"
check_eq "the stalled write ended well" $? 0
check "and landed on source A" dmr_io verify /dev/mapper/dmr-sA 0 64k 71
check "the rest of source A is intact" dmr_io verify /dev/mapper/dmr-sA 64k 960k 70
wait "$pid_delete"
rc=$?
sed 's/^/delete: /' /tmp/stall.delete
if [ "$rc" != 0 ]; then
	# A delete that gave up on the stalled device must say why, and work
	# once the device is back.
	check "the refused delete said why" test -s /tmp/stall.delete
	check "delete again after the resume" replicactl group delete "$stall_id"
fi
diag "delete ended before the resume: $delete_before, exit status $rc"
check "group $stall_id is gone" sh -c "! replicactl group list | grep -Eq '^ *$stall_id +stall '"
check "group $other_id is still there" group_field "$other_id" copy_state
finish
