#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the dm-replica tests in QEMU:
#   - the KUnit suites, on the KUnit kernel (tests/kunit/);
#   - the selftests (tests/selftests/), on every stock Debian kernel and on
#     the KUnit kernel, whose KASAN, lockdep and kmemleak watch them;
#   - the power-cut test (tests/selftests/crash.sh), two boots on each.
# Each VM's kernel log is scanned; a report fails the run even when every
# test passed. The last line is "N passed, N failed"; the exit status is
# non-zero on any failure.
#
#   tests/run.sh           everything
#   tests/run.sh --demo    boot the demo VM on the stock 6.1 kernel
#   tests/run.sh --bench   run the benchmarks in a VM (make bench)
#
# DMR_KERNELS="6.1.0-56-amd64 kunit" limits the kernels (default: all);
# DMR_SELFTESTS=GLOB the selftests (tests/vm/run-vm.sh); DMR_CRASH=0 skips
# the power-cut test. CI sets none of them.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/vm/lib.sh"

build=$top/build
# The longest boot, the KUnit kernel's (KASAN, lockdep) through every
# selftest, takes some 27 minutes here: a hang is told from that.
vm_timeout=${DMR_VM_TIMEOUT:-2400}

make -s -C "$top/tools/replicactl"
make -s -C "$here/selftests"

# prepare_module NAME KDIR [MAKE ARGS]: build dm-replica.ko for one kernel
# in its own directory, so that builds for several kernels do not share
# objects.
prepare_module() {
	local name=$1 kdir=$2 dir=$build/$1/src
	shift 2
	rm -rf "$dir" && mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/module" "$top/uapi" "$dir/"
	make -s -C "$kdir" M="$dir" "$@" modules >"$build/$name/module.log" 2>&1 ||
		{ cat "$build/$name/module.log" >&2; die "module build for $name failed"; }
	echo "$dir/module/dm-replica.ko"
}

# prepare NAME KDIR MODROOT KVER: the module and the initramfs for one
# kernel, in build/NAME/. Only the KUnit kernel's module has the KUnit
# suites (module/Kbuild).
prepare() {
	local name=$1 kdir=$2 modroot=$3 kver=$4 ko flags=()
	[ "$name" = kunit ] && flags=(DMR_KUNIT=1)
	mkdir -p "$build/$name"
	ko=$(prepare_module "$name" "$kdir" "${flags[@]}")
	bash "$here/vm/mkinitramfs.sh" "$kver" "$modroot" "$ko" "$build/$name/initramfs.gz"
}

# kunit_free KO: true when the module has no KUnit suite and uses nothing
# of KUnit; prints what it found otherwise.
kunit_free() {
	local found
	found=$( { objdump -h "$1" | awk '{ print $2 }'; nm "$1" | awk '{ print $NF }'; } |
		grep -i kunit) || return 0
	printf '%s\n' "$found" | head -n 5 | tr '\n' ' '
	return 1
}

# release_check NAME KDIR: the module built without DMR_KUNIT=1 (as for
# use) must be free of KUnit, even for a kernel with CONFIG_KUNIT: the
# suites run at every load and work on the live tables. Prints "ok" or
# what it found.
release_check() {
	local ko=$build/$1/src/module/dm-replica.ko
	if [ "$1" = kunit ]; then
		mkdir -p "$build/kunit-release"
		ko=$(prepare_module kunit-release "$2")
	fi
	kunit_free "$ko" && echo ok
}

# vm NAME IMAGE MODES OUTDIR: boot one VM; returns run-vm.sh's status.
vm() {
	local rc=0
	bash "$here/vm/run-vm.sh" "$2" "$build/$1/initramfs.gz" "$3" "$4" "$vm_timeout" ||
		rc=$?
	return $rc
}

# boot NAME KDIR IMAGE MODROOT KVER MODES: prepare and boot.
boot() {
	prepare "$1" "$2" "$4" "$5"
	vm "$1" "$3" "$6" "$build/$1/vm"
}

# crash NAME IMAGE: the two boots of the power-cut test, on the same disks,
# of 96 MiB: its clone scenario lies past the first 64 MiB. Prints "passed
# failed" for its two steps.
crash() {
	local dir=$build/$1/crash p=0 f=0 rc=0
	local DMR_VM_DISK_SIZE=${DMR_VM_DISK_SIZE:-96M}
	export DMR_VM_DISK_SIZE
	rm -rf "$dir" && mkdir -p "$dir"
	DMR_VM_KEEP_DISKS=1 DMR_VM_KILL_ON="CUT POWER NOW" vm "$1" "$2" crash1 "$dir" || rc=$?
	mv "$dir/console.log" "$dir/console-1.log"
	mv "$dir/results.log" "$dir/results-1.log"
	if [ "$rc" = 0 ]; then
		p=$((p + 1))
		rc=0
		DMR_VM_KEEP_DISKS=1 vm "$1" "$2" crash2 "$dir" || rc=$?
		read -r cp cf _ _ <<<"$(count "$dir/results.log" crash2 "")"
		p=$((p + cp))
		f=$((f + cf + (cp + cf == 0)))
		[ "$rc" = 0 ] || f=$((f + 1))
	else
		log "$1: the power-cut boot failed ($dir/console-1.log, $dir/results-1.log)"
		f=$((f + 2))
	fi
	rm -f "$dir"/disk-*.img
	echo "$p $f"
}

stock_args() {
	# $1: release of a stock kernel unpacked by deps.sh
	local root=$DMR_CACHE/kernels/$1/root
	index_modules "$root" "$1"
	echo "/lib/modules/$1/build $root/boot/vmlinuz-$1 $root"
}

if [ "${1:-}" = --bench ]; then
	# Figures measured in one boot of the stock 6.1 kernel, with fio in the
	# initramfs (tests/bench/bench.sh). DMR_BENCH_REPEATS and the other
	# DMR_BENCH_* settings reach the VM through run-vm.sh.
	ver=$(stock_kernels | head -n 1)
	read -r kdir image modroot <<<"$(stock_args "$ver")"
	rc=0
	vm_timeout=${DMR_VM_TIMEOUT:-4800}
	DMR_INITRAMFS_BENCH=1 boot bench "$kdir" "$image" "$modroot" "$ver" bench || rc=$?
	res=$build/bench/vm/results.log
	sed -n '/^dm-replica bench/,/^BENCHJSON/p' "$res" | tr -d '\r' | grep -v '^BENCHJSON'
	sed -n 's/^BENCHJSON //p' "$res" | tr -d '\r' >"$build/bench.json"
	if [ "$rc" != 0 ] || [ ! -s "$build/bench.json" ]; then
		tr -d '\r' <"$res" | tail -n 20 >&2
		die "the bench did not finish (see $build/bench/vm/)"
	fi
	log "figures saved in $build/bench.json"
	exit 0
fi

if [ "${1:-}" = --demo ]; then
	ver=$(stock_kernels | head -n 1)
	read -r kdir image modroot <<<"$(stock_args "$ver")"
	DMR_VM_SHOW=1 boot demo "$kdir" "$image" "$modroot" "$ver" demo
	exit
fi

kunit_kdir=$(bash "$here/kunit/build-kernel.sh")
kunit_ver=$(cat "$kunit_kdir/include/config/kernel.release")

kernels=${DMR_KERNELS:-"$(stock_kernels | tr '\n' ' ') kunit"}
total_pass=0
total_fail=0
summary=()

# count FILE SECTION INDENT: print "passed failed skipped planned" for
# the KTAP lines of SECTION in FILE at the given indentation.
count() {
	awk -v sect="$2" -v ind="$3" '
		{ sub(/\r$/, "") }
		/^# dmr-section: / { in_s = ($3 == sect); next }
		!in_s { next }
		{
			line = $0
			if (substr(line, 1, length(ind)) != ind) next
			line = substr(line, length(ind) + 1)
			if (line ~ /^1\.\.[0-9]+/) { split(line, a, "."); plan += a[3] }
			else if (line ~ /^not ok [0-9]+/) f++
			else if (line ~ /^ok [0-9]+.*# SKIP/) s++
			else if (line ~ /^ok [0-9]+/) p++
		}
		END { printf "%d %d %d %d\n", p, f, s, plan }' "$1"
}

# run_kernel K: every test on kernel K; writes "passed failed" and the
# summary line to build/<name>/summary.
run_kernel() {
	local k=$1 name modes args vm_rc=0 results line sect p f s plan missing cp cf rel
	local tp=0 tf=0
	if [ "$k" = kunit ]; then
		name=kunit modes=kunit,selftest
		args=("$kunit_kdir" "$kunit_kdir/arch/x86/boot/bzImage" - "$kunit_ver")
	else
		name=$k modes=selftest
		read -r kdir image modroot <<<"$(stock_args "$k")"
		args=("$kdir" "$image" "$modroot" "$k")
	fi
	log "booting $name ($modes)"
	boot "$name" "${args[@]}" "$modes" || vm_rc=$?
	results=$build/$name/vm/results.log
	touch "$results"

	line="$name:"
	rel=$(release_check "$name" "${args[0]}")
	if [ "$rel" = ok ]; then
		tp=$((tp + 1))
		line+=" release module without KUnit;"
	else
		log "$name: the module built for use has KUnit in it: $rel"
		tf=$((tf + 1))
		line+=" RELEASE MODULE HAS KUNIT;"
	fi
	for sect in ${modes//,/ }; do
		if [ "$sect" = kunit ]; then
			# KUnit cases are the indented lines of each suite.
			read -r p f s plan <<<"$(count "$results" kunit "    ")"
			[ "$plan" -gt 0 ] || { log "$name: no KUnit results"; f=$((f + 1)); }
		else
			read -r p f s plan <<<"$(count "$results" selftest "")"
			[ "$plan" -gt 0 ] || { log "$name: no selftest results"; f=$((f + 1)); }
		fi
		# Tests planned but never reported (the VM died) count as failed.
		missing=$((plan - p - f - s))
		[ "$missing" -le 0 ] || f=$((f + missing))
		tp=$((tp + p))
		tf=$((tf + f))
		line+=" $sect $p passed, $f failed, $s skipped;"
	done
	cp=0 cf=0
	if [ "${DMR_CRASH:-1}" = 1 ]; then
		log "power cut test on $name"
		read -r cp cf <<<"$(crash "$name" "${args[1]}")"
	fi
	tp=$((tp + cp))
	tf=$((tf + cf))
	line+=" power cut $cp passed, $cf failed;"
	case $vm_rc in
	0) line+=" kernel log clean" ;;
	1) line+=" KERNEL REPORTS (see $build/$name/vm/console.log)"
	   tf=$((tf + 1)) ;;
	*) line+=" VM DID NOT FINISH (see $build/$name/vm/console.log)"
	   tf=$((tf + 1)) ;;
	esac
	grep -E '^(not ok|ok .*# SKIP)|^    not ok' "$results" | sed "s/^/[$name] /" >&2 || true
	failed_output "$results" | sed "s/^/[$name] /" >&2
	printf '%s %s\n%s\n' "$tp" "$tf" "$line" >"$build/$name/summary"
}

# failed_output RESULTS: what each failed selftest printed about its
# failures (its FAIL lines and its last lines), so that a CI log names the
# check that failed without the VM's files. A test's output comes before
# its "ok"/"not ok" line.
failed_output() {
	awk '{ sub(/\r$/, "") }
	/^(not )?ok [0-9]+ / {
		if ($1 == "not") {
			print "--- " $0
			for (i = 0; i < n; i++)
				if (buf[i] ~ /FAIL/ || i >= n - 8)
					print buf[i]
		}
		n = 0
		next
	}
	/^# / { buf[n++] = $0 }' "$1"
}

run_chain() {
	local k
	for k in "$@"; do
		run_kernel "$k"
	done
}

# The stock kernels one after the other, and the slower KUnit kernel at
# the same time (DMR_PARALLEL=0: everything in turn).
stock=()
with_kunit=0
for k in $kernels; do
	name=$k
	rm -f "$build/$name/summary"
	if [ "$k" = kunit ]; then with_kunit=1; else stock+=("$k"); fi
done
pids=()
if [ "${DMR_PARALLEL:-1}" = 1 ]; then
	[ ${#stock[@]} = 0 ] || { run_chain "${stock[@]}" & pids+=($!); }
	[ "$with_kunit" = 0 ] || { run_chain kunit & pids+=($!); }
	for pid in "${pids[@]}"; do
		wait "$pid" || true
	done
else
	# shellcheck disable=SC2086 # a list of words
	run_chain $kernels
fi

for k in $kernels; do
	if [ -f "$build/$k/summary" ]; then
		{ read -r p f; read -r line; } <"$build/$k/summary"
	else
		p=0 f=1 line="$k: DID NOT RUN"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$line")
done

echo
echo "Summary:"
printf '  %s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
