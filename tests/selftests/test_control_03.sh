#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The answers of the control device: a create or delete in read-only
# memory does nothing, every row of the errno table that needs a pool, a
# create's job outlives job_keep_seconds=0 until its caller has the
# answer, an interrupted wait, and the job table stays bounded with its
# newest jobs found.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
P=/sys/module/dm_replica/parameters
gid='' wpid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dmsetup resume dmr-under 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	echo 300 >"$P"/job_keep_seconds
	echo 1024 >"$P"/job_keep_max
	[ -n "$gid" ] && replicactl group delete "$gid" >/dev/null 2>&1
	dm_cleanup keep0_1 dmr-s1 dmr-s2 dmr-under dmr-pool
}
trap cleanup EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" 8192
check "a device under a second source" dm_create dmr-under "0 8192 linear $DISK_B 0"
check "second source" source_create dmr-s2 /dev/mapper/dmr-under
S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2 U=$S2 POOL=/dev/mapper/dmr-pool

# job_keep_seconds=0: a finished job is removed at once, but not before
# its caller had the answer, whether replicactl polls the job or the
# kernel waits for it.
echo 0 >"$P"/job_keep_seconds
for how in poll wait; do
	opts=
	[ $how = wait ] && opts="--wait-for-copy-state synchronized"
	# shellcheck disable=SC2086
	out=$(replicactl --json create-group-replica --relationship-name keep0 \
		--target-pool $POOL --source-elements $S1 $opts 2>&1)
	check_eq "job_keep_seconds=0, $how: create exits 0 ($out)" $? 0
	gid=$(echo "$out" | json_get group_id)
	jid=$(echo "$out" | json_get job_id)
	check "job_keep_seconds=0, $how: group id $gid and job id $jid" \
		test "${gid:-0}" -gt 0 -a "${jid:-0}" -gt 0
	check "job_keep_seconds=0, $how: the group is there" replicactl group show "$gid"
	check "job_keep_seconds=0, $how: delete" replicactl group delete "$gid"
	gid=
done
echo 300 >"$P"/job_keep_seconds

check "read-only create and delete requests do nothing" dmr_ioctl readonly $S1 $POOL
dmr_ioctl readonly $S1 $POOL | sed 's/^/  /'
check "malformed create requests" dmr_ioctl create $S1 $POOL
dmr_ioctl create $S1 $POOL | sed 's/^/  /'

# An interrupted JOB_WAIT: EINTR with Unknown (2). The creation job runs
# while writes are stuck in flight under the source (the device under it
# suspended), until it is terminated.
mkfifo /tmp/bw /tmp/cr
dmr_io writer $U 4k >/tmp/bw &
wpid=$!
exec 3</tmp/bw
read -r _ <&3
dmsetup suspend --noflush dmr-under
replicactl create-group-replica --relationship-name intr --target-pool $POOL \
	--source-elements $S2 --replication-setting-data barrier_timeout_ms=60000 \
	--no-replica-devices >/tmp/cr 2>&1 &
cpid=$!
exec 4</tmp/cr
read -r w job _ <&4
check_eq "a job runs" "$w" job
check "an interrupted wait" dmr_ioctl intr "$job"
dmr_ioctl intr "$job" | sed 's/^/  /'
check "terminate the job" replicactl job cancel "$job"
dmsetup resume dmr-under
wait $cpid
kill -TERM "$wpid"
while read -r w _ <&3 && [ "$w" = "done" ]; do :; done
wait "$wpid"
wpid=
exec 3<&- 4<&-
rm -f /tmp/bw /tmp/cr

# The job table: 3000 calls with job_keep_max=64 keep only the last 64.
echo 64 >"$P"/job_keep_max
check "job table bounded, newest found" dmr_ioctl jobs 3000 64
dmr_ioctl jobs 3000 64 | sed 's/^/  /'
echo 1024 >"$P"/job_keep_max
finish
