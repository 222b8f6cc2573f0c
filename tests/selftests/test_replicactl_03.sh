#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl and clone groups (SyncType 8). create-group-replica of a
# clone makes the replica devices at the point in time. With
# --wait-for-copy-state synchronized, or --mode synchronous, it follows
# the copy to its end and exits 0 with every clone Synchronized, drawing a
# progress bar on standard error when that is a terminal (and no bar
# when it is not), standard output untouched. Without a wait it returns
# at the point in time with the clones Unsynchronized and readable, and
# "job wait" follows the copy with the same bar. group show and group
# list give the percent copied, 100 at the end; --copy-rate and
# --copy-priority reach the kernel as copy_rate= and copy_priority=
# (which it refuses for a snapshot, naming the key).
#
# The copy is slowed with --copy-rate (2 MiB/s for 16 MiB of sources:
# about 8 s), so that it is still running when the call returns at the
# point in time and the bar is drawn while it runs.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
command -v script >/dev/null || skip "no script(1) to give replicactl a terminal"
# script(1) needs pseudo-terminals.
if [ ! -c /dev/pts/ptmx ]; then
	mkdir -p /dev/pts
	mount -t devpts devpts /dev/pts || skip "cannot mount devpts"
fi

groups() { replicactl --json group list | grep -o '"id": [0-9]*' | tr -d '"id: '; }
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for _g in $(groups); do
		replicactl group delete "$_g" >/dev/null 2>&1
	done
	dm_cleanup dmr-s1 dmr-s2 dmr-pool
	rm -f /tmp/rc3.*
}
trap cleanup EXIT

S1=/dev/mapper/dmr-s1 S2=/dev/mapper/dmr-s2
check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source 1 (8 MiB)" source_create dmr-s1 "$DISK_A" 16384
check "source 2 (8 MiB)" source_create dmr-s2 "$DISK_B" 16384
check "fill source 1" dmr_io write $S1 0 8m 31
check "fill source 2" dmr_io write $S2 0 8m 32
end_if_failed
used0=$(pool_used dmr-pool)

# members_field ID KEY: KEY of every member of group ID, one line each.
members_field() {
	replicactl --json group show "$1" | awk -v k="\"$2\": " '{
		s = substr($0, index($0, "\"members\": ["))
		while ((i = index(s, k))) {
			s = substr(s, i + length(k))
			match(s, /^[0-9]+/)
			print substr(s, 1, RLENGTH)
		}
	}'
}

# clones_hold REL: the clones REL_1 and REL_2, the replica devices the
# command made, hold the sources' data as they were filled.
# shellcheck disable=SC2317 # called through check
clones_hold() {
	dmr_io verify "/dev/mapper/$1_1" 0 8m 31 && dmr_io verify "/dev/mapper/$1_2" 0 8m 32
}

# 1. Waited for, off a terminal: 0, Synchronized, nothing on stderr.
replicactl --json create-group-replica --sync-type clone --relationship-name cw \
	--target-pool dmr-pool --source-elements dmr-s1,dmr-s2 --copy-rate 2m \
	--copy-priority high --wait-for-copy-state synchronized >/tmp/rc3.out 2>/tmp/rc3.err
check_eq "a waited clone creation exits 0" "$?" 0
check "its JSON is one valid object" json_valid </tmp/rc3.out
# (libdevmapper may say things there, on a kernel without SysV IPC.)
check_fails "no bar on stderr off a terminal" grep -q -e '^job [0-9]* \[' -e "$(printf '\r')" \
	/tmp/rc3.err
id=$(json_get group_id </tmp/rc3.out)
job=$(json_get job_id </tmp/rc3.out)
check_eq "the summary says Synchronized" "$(json_get copy_state </tmp/rc3.out)" 4
check_eq "the group is Synchronized" "$(group_field "$id" copy_state)" 4
check_eq "the group is 100% copied" "$(group_field "$id" percent_copied)" 100
check_eq "each member is Synchronized" "$(members_field "$id" copy_state | tr '\n' ' ')" "4 4 "
check_eq "each member is 100% copied" "$(members_field "$id" percent_copied | tr '\n' ' ')" \
	"100 100 "
check_eq "the job Completed" "$(replicactl --json job show "$job" | json_get job_state)" 7
check "the clones hold the sources' data" clones_hold cw
check "group delete" replicactl group delete "$id"
end_if_failed

# 2. Not waited for: back at the point in time, the copy runs on in the job.
replicactl create-group-replica --sync-type clone --relationship-name cn \
	--target-pool dmr-pool --source-elements dmr-s1,dmr-s2 \
	--replication-setting-data copy_rate=2048 >/tmp/rc3.out 2>/tmp/rc3.err
check_eq "a clone creation without a wait exits 0" "$?" 0
diag "$(cat /tmp/rc3.out)"
id=$(replicactl --json group list | grep -o '"id": [0-9]*, "relationship_name": "cn"' |
	sed 's/"id": \([0-9]*\).*/\1/')
job=$(group_field "$id" job_id)
check_eq "the group is Unsynchronized" "$(group_field "$id" copy_state)" 3
pct=$(group_field "$id" percent_copied)
check "the group is not all copied ($pct%)" test "$pct" -lt 100
check_eq "the job is Running" "$(replicactl --json job show "$job" | json_get job_state)" 4
case $(cat /tmp/rc3.out) in
*"job $job copies the clones in the background"*) echo "ok: the command says the copy runs on" ;;
*) fail "no word of the copy running on: $(cat /tmp/rc3.out)" ;;
esac
case $(replicactl group list) in
*" cn "*" Clone "*" Unsynchronized "*%*) echo "ok: group list gives the percent" ;;
*) fail "group list: $(replicactl group list)" ;;
esac
check "the clones read the point in time at once" clones_hold cn
# job wait on a terminal (stdout to a file): the bar on stderr, to the end.
script -q -e -c "replicactl job wait $job >/tmp/rc3.wait" /tmp/rc3.tty >/dev/null
check_eq "job wait exits 0" "$?" 0
diag "$(tr '\r' '\n' </tmp/rc3.tty | tr -d '\033' | sed 's/\[K$//' | grep '^job' | tail -n 2)"
check_eq "job wait printed the job on stdout" "$(grep -c 'Completed (7)' /tmp/rc3.wait)" 1
case $(tr '\r' '\n' </tmp/rc3.tty) in
*"job $job ["*"] "*"% Running"*"job $job [#########################] 100% Completed"*)
	echo "ok: the bar ran to 100% Completed" ;;
*) fail "no bar to the end on the terminal: $(tr '\r' '\n' </tmp/rc3.tty | tail -n 3)" ;;
esac
check_fails "no bar on stdout" grep -q '\[#' /tmp/rc3.wait
check_eq "the group is then Synchronized" "$(group_field "$id" copy_state)" 4
check_eq "and 100% copied" "$(group_field "$id" percent_copied)" 100
check "the clones still hold the sources' data" clones_hold cn
check "group delete" replicactl group delete "$id"
end_if_failed

# 3. Mode Synchronous on a terminal: the command follows the copy with its
# bar on stderr; --json on stdout is one object.
script -q -e -c "replicactl --json create-group-replica --sync-type clone \
	--relationship-name ct --target-pool dmr-pool --source-elements dmr-s1,dmr-s2 \
	--copy-rate 2m --mode synchronous >/tmp/rc3.out" /tmp/rc3.tty >/dev/null
check_eq "a synchronous clone creation on a terminal exits 0" "$?" 0
diag "$(tr '\r' '\n' </tmp/rc3.tty | tr -d '\033' | sed 's/\[K$//' | grep '^job' | tail -n 2)"
check "its JSON is one valid object" json_valid </tmp/rc3.out
id=$(json_get group_id </tmp/rc3.out)
job=$(json_get job_id </tmp/rc3.out)
check_eq "the summary says Synchronized" "$(json_get copy_state </tmp/rc3.out)" 4
case $(tr '\r' '\n' </tmp/rc3.tty) in
*"job $job ["*"] "*"% Running"*"job $job [#########################] 100% Completed"*)
	echo "ok: the bar ran to 100% Completed" ;;
*) fail "no bar to the end on the terminal: $(tr '\r' '\n' </tmp/rc3.tty | tail -n 3)" ;;
esac
check "the clones hold the sources' data" clones_hold ct
check "group delete" replicactl group delete "$id"
check_eq "the pool holds what it held before" "$(pool_used dmr-pool)" "$used0"

# 4. The copy settings reach the kernel, which keeps them to clones.
err=$(replicactl create-group-replica --relationship-name sp --target-pool dmr-pool \
	--source-elements dmr-s1 --copy-priority low 2>&1)
check_eq "copy_priority for a snapshot exits 5" "$?" 5
case $err in *copy_priority*) echo "ok: the message names copy_priority" ;;
*) fail "the message does not name copy_priority: $err" ;; esac
err=$(replicactl create-group-replica --relationship-name sp --target-pool dmr-pool \
	--source-elements dmr-s1 --copy-rate 1g 2>&1)
check_eq "copy_rate for a snapshot exits 5" "$?" 5
case $err in *copy_rate*) echo "ok: the message names copy_rate" ;;
*) fail "the message does not name copy_rate: $err" ;; esac
check_eq "no group is left" "$(groups)" ""
finish
