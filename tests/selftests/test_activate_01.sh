#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl deactivate takes down every device of a pool in the replica
# table (replicas, sources, pool) and replicactl activate brings them all
# back from the table: the sources under their names and dm UUIDs, the
# replicas equal to their checksums. Activating again changes nothing;
# deactivating with a replica open is refused and removes nothing.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
tab=/tmp/replicatab.act1
rc() { replicactl -t "$tab" "$@"; }
trap 'rc activate >/dev/null 2>&1; replicactl group delete "$GROUP_ID" >/dev/null 2>&1;
      dm_cleanup act_1 act_2 dmr-s1 dmr-s2 dmr-pool; rm -f "$tab"' EXIT
rm -f "$tab"

# gone NAME...: no dm device of any of these names.
# shellcheck disable=SC2317 # called through check
gone() {
	for _n in "$@"; do
		dmsetup info "$_n" >/dev/null 2>&1 && { echo "$_n exists"; return 1; }
	done
	return 0
}
uuid() { dmsetup info -c --noheadings -o uuid "$1"; }
# shellcheck disable=SC2317 # called through check
valid() { printf '%s\n' "$1" | json_valid; }
# actions JSON: how many devices got each action, e.g. '5 "created"'.
actions() { echo "$1" | grep -o '"action": "[a-z]*"' | sort | uniq -c | awk '{ print $1, $3 }'; }

check "blank the pool disk" dmr_io zeroout "$DISK_C" 0 "$(($(sectors "$DISK_C") * 512))"
check "pool create records the pool" rc pool create "$DISK_C" --name dmr-pool --chunk-size 64k
check "source create s1" rc source create dmr-s1 "$DISK_A"
check "source create s2" rc source create dmr-s2 "$DISK_B"
diag "replicatab:"
sed 's/^/  /' "$tab"
check_eq "the table's pool" "$(awk '$1 == "pool" { print $2, $3 }' "$tab")" "dmr-pool $DISK_C"
check_eq "the table's sources" "$(awk '$1 == "source" { print $2, $3 }' "$tab" | tr '\n' ' ')" \
	"dmr-s1 $DISK_A dmr-s2 $DISK_B "
u1=$(uuid dmr-s1)
u2=$(uuid dmr-s2)
check_eq "source 1 has a DMR-SOURCE- UUID" "${u1%"${u1#DMR-SOURCE-}"}" DMR-SOURCE-
check_eq "the table holds it" "$(awk '$2 == "dmr-s1" { print $4 }' "$tab")" "$u1"
check_eq "source 2 has another one" "$(awk '$2 == "dmr-s2" { print $4 }' "$tab")" "$u2"
[ "$u1" != "$u2" ] || fail "the two sources have one UUID: $u1"

check "fill source 1" dmr_io write /dev/mapper/dmr-s1 0 8m 41
check "fill source 2" dmr_io write /dev/mapper/dmr-s2 0 8m 42
check_do "create the group" group_create act dmr-pool /dev/mapper/dmr-s1 /dev/mapper/dmr-s2
sum1=$(md5sum </dev/mapper/act_1)
sum2=$(md5sum </dev/mapper/act_2)
check_eq "replica 1 UUID" "$(uuid act_1 | cut -d- -f1-4)" "DMR-REPLICA-$GROUP_ID-1"
check "overwrite source 1 after the point in time" dmr_io write /dev/mapper/dmr-s1 0 1m 43
check "overwrite source 2 after the point in time" dmr_io write /dev/mapper/dmr-s2 4m 1m 44

out=$(rc --json deactivate)
check_eq "deactivate exits 0" "$?" 0
diag "$out"
check "deactivate --json parses" valid "$out"
check "nothing is left" gone act_1 act_2 dmr-s1 dmr-s2 dmr-pool
check_eq "deactivating again is a no-op" "$(rc --json deactivate | json_get action)" absent

out=$(rc --json activate)
check_eq "activate exits 0" "$?" 0
diag "$out"
check "activate --json parses" valid "$out"
check_eq "every device created" "$(actions "$out")" '5 "created"'
check_eq "source 1 back under its UUID" "$(uuid dmr-s1)" "$u1"
check_eq "source 2 back under its UUID" "$(uuid dmr-s2)" "$u2"
check_eq "source 1 re-attached" "$(dmsetup status dmr-s1 | awk '{ print $4 }')" cow
check_eq "replica 1 as at the point in time" "$(md5sum </dev/mapper/act_1)" "$sum1"
check_eq "replica 2 as at the point in time" "$(md5sum </dev/mapper/act_2)" "$sum2"
check_eq "group Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4

tables=$(dmsetup table | sort)
out=$(rc --json activate)
check_eq "activate again exits 0" "$?" 0
check_eq "activate again: all present" "$(actions "$out")" '5 "present"'
check_eq "activate again changed no table" "$(dmsetup table | sort)" "$tables"
check_eq "text output" "$(rc activate | awk '{ print $1, $3 }' | sort | uniq -c |
	awk '{ print $1, $2 }' | tr '\n' ' ')" "1 pool 2 replica 2 source "

exec 5</dev/mapper/act_2
err=$(rc deactivate 2>&1)
check_eq "deactivate with a replica open exits 6" "$?" 6
diag "$err"
case $err in *"act_2 is open"*) echo "ok: the message names act_2" ;;
*) fail "the message does not name act_2: $err" ;; esac
exec 5<&-
check_eq "nothing was removed" "$(dmsetup table | sort)" "$tables"
check_eq "replica 2 still as at the point in time" "$(md5sum </dev/mapper/act_2)" "$sum2"

check "delete the group" replicactl group delete "$GROUP_ID"
check "a bad table line is refused" sh -c "echo 'pool onlyname' >>$tab &&
	replicactl -t $tab activate 2>&1; test \$? = 5"
finish
