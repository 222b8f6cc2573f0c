#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The seeded ioctl fuzzer: random malformed requests on every command, each
# answer a row of the errno table, the group list unchanged by refused
# ones. Briefly here (a fixed seed and one from the clock); "make fuzz"
# boots with dmr.fuzz=COUNT to run it long. A failure prints its seed.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
# kmemleak's periodic scan of all memory holds the CPUs of the debug
# kernel for minutes under QEMU and slows the fuzzer tenfold: off while it
# runs. The runner's own scan after the tests still reports any leak.
km=/sys/kernel/debug/kmemleak
[ -w $km ] && echo scan=off >$km
trap '[ -w $km ] && echo scan=on >$km; dm_cleanup dmr-s1 dmr-pool' EXIT

check "pool" pool_create dmr-pool "$DISK_C" 128
check "source" source_create dmr-s1 "$DISK_A" 8192
S1=/dev/mapper/dmr-s1 POOL=/dev/mapper/dmr-pool

count=$(sed -n 's/.*dmr\.fuzz=\([0-9]*\).*/\1/p' /proc/cmdline)
# The long run, one seed from the clock, stops short of the runner's
# timeout (settings).
seconds=$(($(sed -n 's/^timeout=//p' settings) - 30))
seeds="1 $(date +%s)"
[ -n "$count" ] && seeds=$(date +%s)
# fuzz SEED: run the fuzzer, show what it printed, return its status.
# shellcheck disable=SC2317 # called through check_do
fuzz() {
	_out=$(dmr_fuzz "$1" "${count:-2000}" "$seconds" "$S1" "$POOL" 2>&1)
	_rc=$?
	diag "$_out"
	return "$_rc"
}
for seed in $seeds; do
	check_do "fuzz seed $seed, ${count:-2000} requests" fuzz "$seed"
done
check_eq "no group left" "$(replicactl --json group list | json_get group_id)" ""
finish
