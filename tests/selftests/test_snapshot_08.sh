#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A source removed while its group's creation waits in the barrier: the
# removal does not wait for the barrier (no global lock is held across
# it), and the creation fails naming the source instead of reporting a
# Synchronized group with a member that has no source.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
trap 'dmsetup resume dmr-under 2>/dev/null; [ -n "$wpid" ] && kill "$wpid" 2>/dev/null;
      dm_cleanup dmr-s1 dmr-s2 dmr-under dmr-pool' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "a device under source 1" dm_create dmr-under "0 16384 linear $DISK_A 0"
check "source 1" source_create dmr-s1 /dev/mapper/dmr-under
check "source 2" source_create dmr-s2 "$DISK_B" 16384
S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2

# Writes of source 1 stuck in flight: the barrier waits for them.
mkfifo /tmp/bw
dmr_io writer $S1 4k >/tmp/bw &
wpid=$!
exec 3</tmp/bw
read -r _ <&3
check "suspend the device under source 1" dmsetup suspend --noflush dmr-under

mkfifo /tmp/cr
replicactl create-group-replica --relationship-name gone --target-pool /dev/mapper/dmr-pool \
	--source-elements $S1,$S2 --replication-setting-data barrier_timeout_ms=60000 \
	--no-replica-devices >/tmp/cr 2>&1 &
cpid=$!
exec 4</tmp/cr
read -r w job _ <&4
check_eq "a job was started" "$w" job
check "source 2 can be removed while the barrier waits" timeout 20 dmsetup remove dmr-s2
check "release the device under source 1" dmsetup resume dmr-under
wait $cpid
check_eq "create-group-replica exits Failed" $? 4
exec 4<&-
check_eq "the job ended in Exception" "$(replicactl --json job show "$job" | json_get job_state)" 10
desc=$(replicactl --json job show "$job" | json_get error_description)
diag "job: $desc"
check "it names the source that went" \
	sh -c "echo '$desc' | grep -q 'SourceElements\[1\]: dmr-s2 was removed before the point in time'"
check_eq "no group left" "$(replicactl --json group list)" '{"groups": []}'
check_eq "source 1 passes through" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" passthrough
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0

kill -TERM "$wpid"
while read -r w _ <&3 && [ "$w" = "done" ]; do :; done
wait "$wpid"
check_eq "the writer went on once its device was back" $? 0
wpid=
exec 3<&-
finish
