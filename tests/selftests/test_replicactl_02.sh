#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A create whose replica device name is taken leaves nothing behind:
# with a RelationshipName the names are checked before the request (In
# Use, naming the device, no group); with a generated name the group is
# deleted again when a replica device cannot be made after the point in
# time (Failed, saying so), and the sources are free again.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
groups() { replicactl --json group list | grep -o '"id": [0-9]*' | tr '\n' ' '; }
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for _g in $(groups | tr -d '"id:'); do
		replicactl group delete "$_g" >/dev/null 2>&1
	done
	dm_cleanup taken_1 taken_2 "replica${next}_1" "replica${next}_2" dmr-s1 dmr-s2 dmr-pool
}
next=0
trap cleanup EXIT
mode() { dmsetup status "$1" | awk '{ print $4 }'; }

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source 1" source_create dmr-s1 "$DISK_A" 16384
check "source 2" source_create dmr-s2 "$DISK_B" 16384
before=$(groups)

# 1. The name of replica 2 is taken before the request.
check "a device named taken_2" dm_create taken_2 "0 8 error"
err=$(replicactl create-group-replica --relationship-name taken --target-pool dmr-pool \
	--source-elements dmr-s1,dmr-s2 --wait-for-copy-state synchronized 2>&1)
check_eq "create exits 6 (In Use)" "$?" 6
diag "$err"
case $err in *"taken_2 is taken"*) echo "ok: the message names taken_2" ;;
*) fail "the message does not name taken_2: $err" ;; esac
check_eq "no group was created" "$(groups)" "$before"
check_fails "no replica 1" dmsetup info taken_1
check_eq "taken_2 untouched" "$(dmsetup table taken_2 | awk '{ print $3 }')" error
check_eq "source 1 free" "$(mode dmr-s1)" passthrough
check_eq "source 2 free" "$(mode dmr-s2)" passthrough
check "remove taken_2" dmsetup remove taken_2

# 2. A generated RelationshipName is replica<id>: learn the next id from
# a group made and deleted, take the name of its replica 2, and create
# without a RelationshipName.
check_do "a group to learn the ids" group_create probe dmr-pool dmr-s1
check "delete it" replicactl group delete "$GROUP_ID"
next=$((GROUP_ID + 1))
check "a device named replica${next}_2" dm_create "replica${next}_2" "0 8 error"
before=$(groups)
err=$(replicactl create-group-replica --target-pool dmr-pool --source-elements dmr-s1,dmr-s2 \
	--wait-for-copy-state synchronized 2>&1)
check_eq "create exits 4 (Failed)" "$?" 4
diag "$err"
case $err in *"group $next deleted again"*) echo "ok: the message says the group was undone" ;;
*) fail "no word of undoing group $next: $err" ;; esac
check_eq "the group is gone again" "$(groups)" "$before"
check_fails "replica 1 removed again" dmsetup info "replica${next}_1"
check_eq "replica${next}_2 untouched" "$(dmsetup table "replica${next}_2" | awk '{ print $3 }')" error
check_eq "source 1 free again" "$(mode dmr-s1)" passthrough
check_eq "source 2 free again" "$(mode dmr-s2)" passthrough
check_eq "the pool holds nothing" "$(pool_used dmr-pool)" 0
finish
