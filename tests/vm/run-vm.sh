#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test VM under QEMU (software emulation) and collect its logs:
#
#   run-vm.sh KERNEL INITRD MODES OUTDIR [TIMEOUT]
#
# MODES is passed as dmr.mode= (see tests/vm/init). The kernel log goes to
# OUTDIR/console.log, the test results to OUTDIR/results.log; with
# DMR_VM_SHOW=1 the console is also shown on stdout (and the boot is quiet). Three scratch virtio
# disks are attached, with serials the selftests look for:
#   dmr-a  volatile write cache, discard and write-zeroes
#   dmr-b  write cache, no discard
#   dmr-c  write cache, discard
#
# DMR_SELFTESTS=GLOB runs only the selftests whose names match GLOB
# (test_pool_*, for example); the default is all of them.
# DMR_FUZZ=COUNT has the ioctl fuzzer selftest issue COUNT requests per seed.
# DMR_SEED=N replays a seeded selftest (the seed each one prints).
# DMR_BENCH_REPEATS, DMR_BENCH_FIGURES and DMR_BENCH_MODELS are passed to
# the benchmark (tests/bench/bench.sh).
# DMR_VM_DISK_SIZE sets the disks' size (64M by default); DMR_VM_CPU the
# QEMU CPU model (Westmere-v1 by default, see below).
# DMR_VM_KEEP_DISKS=1 keeps the disks (made when missing) for a later boot;
# DMR_VM_KILL_ON=TEXT cuts the VM's power (kills QEMU) as soon as TEXT
# appears in the results, which is then the expected end.
#
# Exit status: 0 when the VM powered itself off after the last test (or
# was cut off as asked) and its kernel log holds no report; 1 when the log
# holds a report; 2 when the VM hung (killed after TIMEOUT seconds) or
# stopped before the end.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

[ $# -ge 4 ] || die "usage: run-vm.sh KERNEL INITRD MODES OUTDIR [TIMEOUT]"
kernel=$1 initrd=$2 modes=$3 outdir=$4 limit=${5:-900}

mkdir -p "$outdir"
rm -f "$outdir"/{console,results}.log
[ "${DMR_VM_KEEP_DISKS:-0}" = 1 ] || rm -f "$outdir"/disk-*.img
for d in a b c; do
	[ -f "$outdir/disk-$d.img" ] || truncate -s "${DMR_VM_DISK_SIZE:-64M}" "$outdir/disk-$d.img"
done

disks=()
disk() {
	# $1: letter, $2: discard on|off
	local unmap=ignore
	[ "$2" = on ] && unmap=unmap
	disks+=(-drive "file=$outdir/disk-$1.img,if=none,id=d$1,format=raw,cache=writeback,discard=$unmap"
		-device "virtio-blk-pci,drive=d$1,serial=dmr-$1,discard=$2,write-zeroes=on")
}
disk a on
disk b off
disk c on

# Test VMs log every kernel message; the demo shows its console and keeps
# the boot quiet.
console=(-chardev "file,id=con,path=$outdir/console.log")
klog=ignore_loglevel
if [ "${DMR_VM_SHOW:-0}" = 1 ]; then
	console=(-chardev "stdio,id=con,logfile=$outdir/console.log,signal=off")
	klog=quiet
fi

# A named, versioned CPU model that TCG emulates in full, not "max". "max"
# is whatever the installed QEMU can emulate, so the guest changes with the
# host; with QEMU 7.2 it is an AMD CPU without constant TSC (the kernel
# marks its TSC unstable), with 5-level paging (under which the KUnit
# kernel's KASAN derives its shadow layout from two sources of truth until
# the CPU features are known), nested SVM, PKU and the AVX/BMI decoders new
# in that release. A boot of the KUnit kernel under -cpu max once failed
# with a KASAN report in its first seconds, before any test. Westmere-v1
# has none of these and is the same on every QEMU.
cpu=${DMR_VM_CPU:-Westmere-v1}
# no_timer_check: on a loaded host an emulated CPU can miss the few ticks
# the kernel's boot-time check of the IO-APIC timer waits for, and the
# kernel then panics ("IO-APIC + timer doesn't work!") before any test.
# KVM guests skip that check the same way; the timer itself works.

args=(-machine q35 -cpu "$cpu" -smp 2 -m 2G
	-display none -vga none -monitor none -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 printk.time=1 panic=-1 no_timer_check $klog dmr.mode=$modes${DMR_SELFTESTS:+ dmr.tests=$DMR_SELFTESTS}${DMR_FUZZ:+ dmr.fuzz=$DMR_FUZZ}${DMR_SEED:+ dmr.seed=$DMR_SEED}${DMR_BENCH_REPEATS:+ dmr.bench_repeats=$DMR_BENCH_REPEATS}${DMR_BENCH_FIGURES:+ dmr.bench_figures=$DMR_BENCH_FIGURES}${DMR_BENCH_MODELS:+ dmr.bench_models=$DMR_BENCH_MODELS}"
	"${console[@]}" -serial chardev:con
	-serial "file:$outdir/results.log"
	"${disks[@]}")

rc=0
if [ -n "${DMR_VM_KILL_ON:-}" ]; then
	touch "$outdir/results.log"
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 "${args[@]}" </dev/null &
	qpid=$!
	# The power cut: no shutdown, no flush, QEMU just stops.
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -qF -- "$DMR_VM_KILL_ON" "$outdir/results.log"; then
			pkill -KILL -P "$qpid"
			break
		fi
		sleep 0.2
	done
	# (QEMU dies of the kill; so does timeout, which reports it.)
	wait "$qpid" 2>/dev/null || true
	if grep -qF -- "$DMR_VM_KILL_ON" "$outdir/results.log"; then
		bash "$here/scan-log.sh" "$outdir/console.log" || exit 1
		exit 0
	fi
	log "VM ended before its power was cut ($outdir/console.log)"
	exit 2
fi
timeout --foreground -k 10 "$limit" qemu-system-x86_64 "${args[@]}" </dev/null || rc=$?
[ "${DMR_VM_KEEP_DISKS:-0}" = 1 ] || rm -f "$outdir"/disk-*.img

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	log "VM hung: killed after ${limit}s ($outdir/console.log)"
	exit 2
fi
if ! grep -q '^# dmr-section: end' "$outdir/results.log" 2>/dev/null; then
	log "VM stopped before the end of the tests (qemu exit $rc, $outdir/console.log)"
	bash "$here/scan-log.sh" "$outdir/console.log" || true
	exit 2
fi
bash "$here/scan-log.sh" "$outdir/console.log" || exit 1
exit 0
