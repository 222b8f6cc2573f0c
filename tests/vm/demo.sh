#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo run in the VM: a consistent group snapshot of two volumes
# under write load, in one replicactl call, and the replicas checked;
# then a clone of both, its background copy followed with replicactl's
# progress bar, and the clones checked against the point in time; then
# what changed since, and a Resync Replica that copies only that.
export DM_DISABLE_UDEV=1
export PATH="/selftests:$PATH"
cd /selftests || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_disks

step() { printf '\n$ %s\n' "$*"; "$@"; }
dmesg -n 1

echo "=== dm-replica demo on Linux $(uname -r) ==="
step modprobe dm-replica
step replicactl version
dmr_io zeroout "$DISK_C" 0 4k
step replicactl pool create "$DISK_C" --name pool --chunk-size 64k
step dmsetup create db --uuid DMR-SOURCE-db --table "0 32768 replica-source $DISK_A"
step dmsetup create log --uuid DMR-SOURCE-log --table "0 32768 replica-source $DISK_B"
dmr_io zeroout /dev/mapper/db 0 256k
dmr_io zeroout /dev/mapper/log 0 256k

echo
echo "# A writer issues records to db and log in turn, each write only after"
echo "# the previous one completed, as a database writes its data and its log."
mkfifo /tmp/dwc
dmr_dwc write /dev/mapper/db /dev/mapper/log >/tmp/dwc &
wpid=$!
exec 3</tmp/dwc
read -r line <&3
echo "# writing: $line"

step replicactl create-group-replica --relationship-name nightly --target-pool pool \
	--source-elements db,log --wait-for-copy-state synchronized
read -r line <&3
echo "# still writing after the point in time: $line"

echo
echo "# The replicas hold the records 1..S for one S, on both volumes together:"
step dmr_dwc check /dev/mapper/nightly_1 /dev/mapper/nightly_2
sum=$(cat /dev/mapper/nightly_1 /dev/mapper/nightly_2 | md5sum)
read -r _ <&3
read -r _ <&3
kill -TERM $wpid
wait $wpid
echo "# after more writes to the sources, the replicas are unchanged:"
if [ -b /dev/mapper/nightly_1 ] &&
   [ "$(cat /dev/mapper/nightly_1 /dev/mapper/nightly_2 | md5sum)" = "$sum" ]; then
	echo "replicas unchanged"
else
	echo "REPLICAS CHANGED"
fi

step dmsetup status
step replicactl group list
step replicactl job show "$(replicactl --json group show 1 | json_get job_id)"
step replicactl pool status pool
step replicactl group delete 1
step replicactl pool status pool

echo
echo "# A clone of both at one instant: a full copy of every chunk into the"
echo "# pool, made by a background copy, usable at once. The copy is limited"
echo "# to 4 MiB/s here so that its progress can be watched."
sum=$(cat /dev/mapper/db /dev/mapper/log | md5sum)
step replicactl create-group-replica --sync-type clone --relationship-name copy \
	--target-pool pool --source-elements db,log --copy-rate 4m \
	--wait-for-copy-state synchronized
cid=$(replicactl --json group list | json_get id)
echo "# the sources are overwritten; the clones keep the point in time:"
dmr_io write /dev/mapper/db 0 1m 7 >/dev/null
dmr_io write /dev/mapper/log 0 1m 8 >/dev/null
if [ -b /dev/mapper/copy_1 ] &&
   [ "$(cat /dev/mapper/copy_1 /dev/mapper/copy_2 | md5sum)" = "$sum" ]; then
	echo "clones equal the point in time"
else
	echo "CLONES DIFFER FROM THE POINT IN TIME"
fi
step replicactl group show "$cid"
echo "# what changed since the point in time, as a backup tool reads it:"
step replicactl group changed-chunks "$cid" 1
echo "# Resync Replica: a new point in time, copying only those chunks:"
sum=$(cat /dev/mapper/db /dev/mapper/log | md5sum)
step replicactl modify-sync --operation resync-replica "$cid"
if [ -b /dev/mapper/copy_1 ] &&
   [ "$(cat /dev/mapper/copy_1 /dev/mapper/copy_2 | md5sum)" = "$sum" ]; then
	echo "clones equal the sources at the new point in time"
else
	echo "CLONES DIFFER FROM THE NEW POINT IN TIME"
fi
step replicactl group list
step replicactl group delete "$cid"
dmsetup remove db log pool
echo
echo "=== demo done ==="
