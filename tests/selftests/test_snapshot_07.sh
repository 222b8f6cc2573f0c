#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The group barrier never deadlocks: with writes stuck in flight under a
# source (its device suspended by dm), the creation job times out, or is
# terminated on request, releases everything and leaves nothing behind;
# a source that dm has suspended itself drains at once.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dmsetup resume dmr-under 2>/dev/null; [ -n "$wpid" ] && kill "$wpid" 2>/dev/null;
      replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup bar_1 dmr-s1 dmr-under dmr-pool' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "a device under the source" dm_create dmr-under "0 16384 linear $DISK_A 0"
check "source" source_create dmr-s1 /dev/mapper/dmr-under
S=/dev/mapper/dmr-s1 P=/dev/mapper/dmr-pool

# stuck: start a writer and suspend the device under the source, keeping
# its writes in flight there.
stuck() {
	mkfifo /tmp/bw
	dmr_io writer $S 4k >/tmp/bw &
	wpid=$!
	exec 3</tmp/bw
	read -r _ <&3
	dmsetup suspend --noflush dmr-under
}
# shellcheck disable=SC2317 # called through check_do
unstick() {
	dmsetup resume dmr-under
	kill -TERM "$wpid"
	while read -r w _ <&3 && [ "$w" = "done" ]; do :; done
	wait "$wpid"
	rc=$?
	wpid=
	exec 3<&-
	rm -f /tmp/bw
	return "$rc"
}

# 1. The drain times out: Exception, Timeout (3), the source named.
stuck
out=$(replicactl create-group-replica --relationship-name bar --target-pool $P \
	--source-elements $S --replication-setting-data barrier_timeout_ms=500 2>&1)
rc=$?
diag "$out"
check_eq "create ends with Timeout" "$rc" 3
check "the message names the source" sh -c "echo '$out' | grep -q 'SourceElements\[0\]: dmr-s1 did not drain its writes within 500 ms'"
check_eq "no group left" "$(replicactl --json group list)" '{"groups": []}'
check_eq "the source passes through" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" passthrough
check_do "the writer goes on once its device is back" unstick

# 2. A job terminated while the barrier waits ends Terminated.
stuck
mkfifo /tmp/cr
replicactl create-group-replica --relationship-name bar --target-pool $P --source-elements $S \
	--replication-setting-data barrier_timeout_ms=60000 --no-replica-devices >/tmp/cr 2>&1 &
cpid=$!
exec 4</tmp/cr
read -r w job _ <&4
check_eq "a job was started" "$w" job
check "terminate it" replicactl job cancel "$job"
check "release the device under the source" dmsetup resume dmr-under
wait $cpid
check_eq "create-group-replica exits Failed" $? 4
exec 4<&-
check_eq "the job ended Terminated" "$(replicactl --json job show "$job" | json_get job_state)" 8
check_eq "no group left" "$(replicactl --json group list)" '{"groups": []}'
check_do "the writer goes on" unstick

# 3. A source suspended by dm itself: the barrier passes at once.
check "suspend the source" dmsetup suspend dmr-s1
check_do "create the group" group_create bar dmr-pool $S
check "resume the source" dmsetup resume dmr-s1
check_eq "the source copies on write" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" cow
check "a write after the point in time" dmr_io write $S 0 64k 71
check_eq "it was copied" "$(group_field "$GROUP_ID" group_chunks)" 1
check "delete" replicactl group delete "$GROUP_ID"
GROUP_ID=
finish
