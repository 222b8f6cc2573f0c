#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the VM: dm-replica measured with fio against the raw
# device, the stock kernel's dm-snapshot (persistent exception store, same
# chunk size) and dm-thin (a thin volume and thin snapshots, same block
# size), and its clones against dd and dm-clone (same region size), all in
# this one boot and on the same devices. Prints a table and, on one line
# starting with BENCHJSON, every sample as JSON.
#
# Three device models, one after the other:
#   brd    memory disks (no write cache: a flush costs nothing)
#   flush  memory-backed null_blk with a volatile write cache, under
#          dm-delay with a delay on flushes only (FLUSH_MS): every
#          REQ_PREFLUSH costs a timer tick and the cache's write-back.
#          The device has FUA: a write with PREFLUSH and FUA costs one.
#   nofua  the flush model's devices under loop devices, which have a
#          write cache without FUA (as virtio-blk and many disks do): the
#          block layer turns a FUA write into the write and a flush
#          after it, and each flush reaches dm-delay below.
# Each model has two devices: A holds the origins, B the stores (the
# dm-replica pool, the dm-snapshot exception stores, the thin pool).
#
# Every contender is set up fresh for each measurement (a new pool, a new
# exception store, a new thin pool, a new dm-clone metadata device), so
# that each first-write figure
# writes to chunks no earlier measurement copied. Each figure is measured
# REPEATS times, the contenders taking turns, and reported as the median
# with the smallest and largest sample.
#
# Settings (kernel command line, see tests/vm/run-vm.sh):
#   dmr.bench_repeats=N          repeats of each figure (default 3)
#   dmr.bench_figures=A,B...     figures to run: flush idle first seq snaps
#                                stall clone clone-write tracked (default
#                                all)
#   dmr.bench_models=A,B         brd, flush, nofua (default all)
cd /selftests || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
modprobe -q dm-snapshot
modprobe -q dm-thin-pool
modprobe -q dm-delay
modprobe -q loop
# Debian's kernels lack dm-clone: tests/vm/deps.sh builds it, when it can.
modprobe -q dm-clone || echo "# no dm-clone module: its figures are absent"

# setting NAME DEFAULT: dmr.bench_NAME from the kernel command line.
setting() {
	_v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^dmr\.bench_$1=//p")
	echo "${_v:-$2}" | tr ',' ' '
}
REPEATS=$(setting repeats 3)
FIGURES=$(setting figures "flush idle first seq snaps stall clone clone-write tracked")
MODELS=$(setting models "brd flush nofua")

CHUNK=128		# sectors: 64 KiB chunks and thin blocks everywhere
REGION_MB=128		# the origin every single-device figure writes in
REGION_S=$((REGION_MB * 2048))
CHUNKS=$((REGION_S / CHUNK))
A_MB=$REGION_MB		# the origin device
B_MB=640		# the store device: 16 exception stores of 40 MiB
THIN_META_S=16384	# 8 MiB of thin pool metadata at the start of B
TIMED_S=3		# seconds of the idle and rewrite figures
FIRST_S=3		# longest a first-write figure runs (fewer when every
			# fresh chunk its stores can hold is written)
STALL_S=8		# seconds of the writer of the stall figures
STALL_AT_S=2		# ... and when the snapshots are created
SMALL_S=8192		# sectors of each of the 16 small sources
STALL_COW_S=16384	# sectors of each of their exception stores
FLUSH_MS=1		# dm-delay's delay on flushes (flush model)
NULLB_CACHE_MB=32	# null_blk's volatile write cache
CLONE_META_S=16384	# 8 MiB of dm-clone metadata at the start of B
CLONE_MAX_S=300		# longest a hydration is waited for

samples=/tmp/bench.samples
: >"$samples"
work=/tmp/bench
rm -rf "$work" && mkdir -p "$work"

wanted() {
	case " $FIGURES " in *" $1 "*) return 0 ;; esac
	return 1
}

# sample MODEL QD FIGURE CONTENDER VALUE: one measurement. VALUE is a
# number, or a word (refused:RC, invalid, error) when there is none.
sample() {
	echo "$1 $2 $3 $4 $5" >>"$samples"
	echo "# $1 qd$2 $3 $4: $5 (at $(($(date +%s) - start)) s)"
}

# fio_value FILE PATH: a value of fio's JSON output, by its path of keys
# (the one job's object has no key: /jobs/write/iops).
fio_value() {
	awk -v want="$2" '
	{
		line = $0
		key = ""
		if (match(line, /^[ \t]*"[^"]*"[ \t]*:/)) {
			key = substr(line, RSTART, RLENGTH)
			sub(/^[ \t]*"/, "", key)
			sub(/"[ \t]*:$/, "", key)
			line = substr(line, RSTART + RLENGTH)
		}
		gsub(/^[ \t]+|[ \t,]+$/, "", line)
		if (line == "{" || line == "[") {
			path[++depth] = key
			next
		}
		if (line ~ /^[]}]/) {
			depth--
			next
		}
		if (key == "")
			next
		p = ""
		for (i = 1; i <= depth; i++)
			if (path[i] != "")
				p = p "/" path[i]
		if (p "/" key == want) {
			print line
			exit
		}
	}' "$1"
}

# fio_run OUT QD FIO-ARGS...: one fio job (libaio, O_DIRECT, queue depth
# QD), its JSON in OUT. Fails on an I/O error.
fio_run() {
	_out=$1 _qd=$2
	shift 2
	fio --name=w --ioengine=libaio --direct=1 --iodepth="$_qd" \
		--lat_percentiles=1 --output-format=json --output="$_out" "$@" \
		>"$work/fio.log" 2>&1 || { cat "$work/fio.log"; return 1; }
	[ "$(fio_value "$_out" /jobs/error)" = 0 ]
}

# iops FILE, mibps FILE, lat_us FILE KEY: figures of a fio run.
iops() { awk -v v="$(fio_value "$1" /jobs/write/iops)" 'BEGIN { printf "%.0f", v }'; }
mibps() { awk -v v="$(fio_value "$1" /jobs/write/bw_bytes)" 'BEGIN { printf "%.1f", v / 1048576 }'; }
lat_us() { awk -v v="$(fio_value "$1" "$2")" 'BEGIN { printf "%.0f", v / 1000 }'; }

# The workloads, on DEV at queue depth QD. Each prints its figure, or
# "error" when fio failed.
# rand4k_timed DEV QD: 4 KiB random writes over the region for TIMED_S.
rand4k_timed() {
	fio_run "$work/o.json" "$2" --filename="$1" --rw=randwrite --bs=4k \
		--size="${REGION_MB}m" --norandommap --time_based --runtime="$TIMED_S" &&
		iops "$work/o.json" || echo error
}
# first4k DEV QD: the 4 KiB writes of the write log $LOG, one per fresh
# chunk, for FIRST_S at most.
first4k() {
	fio_run "$work/o.json" "$2" --filename="$1" --read_iolog="$LOG" \
		--replay_redirect="$1" --replay_no_stall=1 --runtime="$FIRST_S" &&
		iops "$work/o.json" || echo error
}
# seq1m DEV QD: the region once, in 1 MiB writes, for FIRST_S at most.
# How many MiB it wrote goes to $work/seq1m.mib, for rewrite4k.
seq1m() {
	echo 0 >"$work/seq1m.mib"
	fio_run "$work/o.json" "$2" --filename="$1" --rw=write --bs=1m \
		--size="${REGION_MB}m" --runtime="$FIRST_S" || { echo error; return; }
	awk -v v="$(fio_value "$work/o.json" /jobs/write/io_bytes)" \
		'BEGIN { printf "%d\n", v / 1048576 }' >"$work/seq1m.mib"
	mibps "$work/o.json"
}
# rewrite4k DEV QD: 4 KiB random writes for TIMED_S over what seq1m wrote
# just before (on a slow device it may not cover the region in FIRST_S:
# the writes beyond would be first writes, not rewrites).
rewrite4k() {
	_mib=$(cat "$work/seq1m.mib" 2>/dev/null)
	[ "${_mib:-0}" -ge 1 ] || { echo error; return; }
	fio_run "$work/o.json" "$2" --filename="$1" --rw=randwrite --bs=4k \
		--size="${_mib}m" --norandommap --time_based --runtime="$TIMED_S" &&
		iops "$work/o.json" || echo error
}

# write_log SEED N PASSES: a write log of 4 KiB writes, one to each of N
# chunks of the region in a random order (the same order for every
# contender of a repeat), each at a random 4 KiB block of its chunk; the
# same writes PASSES times (the raw device, which has no chunks to copy,
# gets more than FIRST_S worth of them). Sets LOG.
write_log() {
	LOG=$work/first-$2-$3.iolog
	[ -f "$LOG" ] && return
	awk -v seed="$1" -v n="$2" -v passes="$3" -v chunks="$CHUNKS" \
		-v cb=$((CHUNK * 512)) 'BEGIN {
		srand(seed)
		for (i = 0; i < chunks; i++)
			c[i] = i
		for (i = chunks - 1; i > 0; i--) {
			j = int(rand() * (i + 1))
			t = c[i]; c[i] = c[j]; c[j] = t
		}
		for (i = 0; i < n; i++)
			off[i] = c[i] * cb + int(rand() * cb / 4096) * 4096
		print "fio version 2 iolog"
		print "dev add"
		print "dev open"
		for (p = 0; p < passes; p++)
			for (i = 0; i < n; i++)
				printf "dev write %d 4096\n", off[i]
		print "dev close"
	}' >"$LOG"
}

# first_log K CONTENDER: the write log for K snapshots: as many fresh
# chunks as the region has, or as K dm-snapshot stores on B can hold
# (with room for their metadata).
first_log() {
	_n=$((B_S / $1 / CHUNK - 8))
	[ "$_n" -le "$CHUNKS" ] || _n=$CHUNKS
	_p=1
	[ "$2" = raw ] && _p=16
	write_log "$rep" "$_n" "$_p"
}

# ---- device models: set A and B -------------------------------------

# fill DEV: write all of DEV once, so that no figure pays for the memory
# disk's first touch of a page.
fill() {
	fio_run "$work/fill.json" 4 --filename="$1" --rw=write --bs=1m >/dev/null ||
		echo "# filling $1 failed"
}

model_up() {
	case $1 in
	brd)
		# rd_size is in KiB and the same for every disk: both get B's.
		modprobe brd rd_nr=2 rd_size=$((B_MB * 1024)) || return 1
		dm_create bA "0 $((A_MB * 2048)) linear /dev/ram0 0" || return 1
		A=/dev/mapper/bA B=/dev/ram1
		;;
	flush | nofua)
		modprobe null_blk nr_devices=0 || return 1
		grep -q configfs /proc/mounts ||
			mount -t configfs configfs /sys/kernel/config || return 1
		for _n in 0 1; do
			_d=/sys/kernel/config/nullb/nullb$_n
			mkdir "$_d" || return 1
			echo 1 >"$_d/memory_backed"
			echo 4096 >"$_d/blocksize"
			echo "$NULLB_CACHE_MB" >"$_d/cache_size"
			if [ "$_n" = 0 ]; then echo "$A_MB" >"$_d/size"; else echo "$B_MB" >"$_d/size"; fi
			echo 1 >"$_d/power" || return 1
			_s=$(sectors "/dev/nullb$_n")
			# reads and writes pass; a flush waits FLUSH_MS
			dm_create "fl$_n" "0 $_s delay /dev/nullb$_n 0 0 /dev/nullb$_n 0 0 /dev/nullb$_n 0 $FLUSH_MS" ||
				return 1
		done
		A=/dev/mapper/fl0 B=/dev/mapper/fl1
		if [ "$1" = nofua ]; then
			losetup /dev/loop0 "$A" && losetup /dev/loop1 "$B" || return 1
			A=/dev/loop0 B=/dev/loop1
		fi
		;;
	esac
	B_S=$(sectors "$B")
	fill "$A"
	fill "$B"
}

model_down() {
	case $1 in
	brd)
		dmsetup remove bA
		rmmod brd
		;;
	flush | nofua)
		if [ "$1" = nofua ]; then
			losetup -d /dev/loop0
			losetup -d /dev/loop1
		fi
		dmsetup remove fl0 fl1
		rmdir /sys/kernel/config/nullb/nullb0 /sys/kernel/config/nullb/nullb1
		rmmod null_blk
		;;
	esac
}

# ---- contenders: each setup leaves the device to write in $DEV -------

# snaps_raw K: no snapshot, the raw device (the region of A).
setup_raw() { DEV=$A; }
teardown_raw() { :; }

# setup_replica K: a source over the region; with K > 0 a fresh pool on B
# and K snapshot groups of the source. A refused group ends the setup
# with REFUSED set to the exit status of replicactl.
setup_replica() {
	source_create src "$A" "$REGION_S" || return 1
	DEV=/dev/mapper/src
	[ "$1" -gt 0 ] || return 0
	pool_create pool "$B" "$CHUNK" || return 1
	_i=1
	while [ "$_i" -le "$1" ]; do
		_rc=0
		_msg=$(replicactl create-group-replica --relationship-name "s$_i" \
			--target-pool /dev/mapper/pool --source-elements /dev/mapper/src \
			--wait-for-copy-state synchronized --no-replica-devices 2>&1) || _rc=$?
		if [ "$_rc" != 0 ]; then
			echo "# dm-replica snapshot $_i of 1 source: exit $_rc: $_msg"
			REFUSED=$_rc
			return 0
		fi
		_i=$((_i + 1))
	done
}
teardown_replica() {
	for _g in $(replicactl --json group list | grep -o '"id": [0-9]*' | awk '{ print $2 }'); do
		replicactl group delete "$_g" >/dev/null
	done
	dmsetup remove src
	dmsetup info pool >/dev/null 2>&1 && dmsetup remove pool
	return 0
}

# setup_dmsnap K: a snapshot-origin over the region and K persistent
# snapshots, each with its exception store on its own slice of B.
setup_dmsnap() {
	dm_create origin "0 $REGION_S snapshot-origin $A" || return 1
	DEV=/dev/mapper/origin
	[ "$1" -gt 0 ] || return 0
	_len=$((B_S / $1 / CHUNK * CHUNK))
	_i=0
	while [ "$_i" -lt "$1" ]; do
		dm_create "cow$_i" "0 $_len linear $B $((_i * _len))" || return 1
		# a zeroed header: a new store
		dmr_io zeroout "/dev/mapper/cow$_i" 0 64k >/dev/null || return 1
		_i=$((_i + 1))
	done
	dmsetup suspend origin
	_i=0
	while [ "$_i" -lt "$1" ]; do
		dm_create "snap$_i" "0 $REGION_S snapshot $A /dev/mapper/cow$_i P $CHUNK" ||
			{ dmsetup resume origin; return 1; }
		_i=$((_i + 1))
	done
	dmsetup resume origin
}
teardown_dmsnap() {
	_i=0
	while dmsetup info "snap$_i" >/dev/null 2>&1; do
		dmsetup remove "snap$_i" "cow$_i"
		_i=$((_i + 1))
	done
	dmsetup remove origin
}
# check_dmsnap: every snapshot still valid (none overflowed).
check_dmsnap() {
	! dmsetup status | grep -qE '^snap[0-9]+: .* snapshot (Invalid|Overflow)'
}

# setup_thin K: a fresh thin pool on B, a thin volume the size of the
# region that owns all its blocks (a thin snapshot shares only blocks
# that exist), and K thin snapshots of it.
setup_thin() {
	dm_create tmeta "0 $THIN_META_S linear $B 0" || return 1
	dm_create tdata "0 $((B_S - THIN_META_S)) linear $B $THIN_META_S" || return 1
	dmr_io zeroout /dev/mapper/tmeta 0 4k >/dev/null || return 1
	dm_create tpool "0 $((B_S - THIN_META_S)) thin-pool /dev/mapper/tmeta /dev/mapper/tdata $CHUNK 0" ||
		return 1
	dmsetup message tpool 0 "create_thin 0" || return 1
	dm_create thin "0 $REGION_S thin /dev/mapper/tpool 0" || return 1
	DEV=/dev/mapper/thin
	fio_run "$work/fill.json" 4 --filename="$DEV" --rw=write --bs=1m >/dev/null || return 1
	[ "$1" -gt 0 ] || return 0
	dmsetup suspend thin
	_i=1
	while [ "$_i" -le "$1" ]; do
		dmsetup message tpool 0 "create_snap $_i 0" || { dmsetup resume thin; return 1; }
		_i=$((_i + 1))
	done
	dmsetup resume thin
}
teardown_thin() { dmsetup remove thin tpool tdata tmeta; }
check_thin() {
	! dmsetup status tpool | grep -qE 'out_of_data_space|Fail| ro '
}

# setup_tracked K: a source over the region, a fresh pool on B and K
# clone groups of it, each Synchronized (copied whole) before the figure:
# what its first writes then cost is the change tracking, each first
# write to a chunk held until its bit in the clone's change map is
# durable (one map write with FUA per batch of them), and no copy.
setup_tracked() {
	setup_replica 0 || return 1
	pool_create pool "$B" "$CHUNK" || return 1
	_i=1
	while [ "$_i" -le "$1" ]; do
		clone_create 3 || return 1
		_i=$((_i + 1))
	done
}
teardown_tracked() { teardown_replica; }

# measure MODEL QD FIGURE CONTENDER SNAPS WORKLOAD [WORKLOAD2 FIGURE2]:
# set the contender up fresh with SNAPS snapshots, run WORKLOAD on it
# (and then WORKLOAD2, on the same set-up), record, tear down.
measure() {
	_m=$1 _q=$2 _f=$3 _c=$4 _k=$5 _w=$6 _w2=${7:-} _f2=${8:-}
	REFUSED=
	[ "$_w" = first4k ] && first_log "$_k" "$_c"
	if ! "setup_$_c" "$_k"; then
		sample "$_m" "$_q" "$_f" "$_c" error
		"teardown_$_c" >/dev/null 2>&1
		return
	fi
	if [ -n "$REFUSED" ]; then
		sample "$_m" "$_q" "$_f" "$_c" "refused:$REFUSED"
		"teardown_$_c"
		return
	fi
	_v=$("$_w" "$DEV" "$_q")
	[ -n "$_w2" ] && _v2=$("$_w2" "$DEV" "$_q")
	# A broken snapshot store would make any figure meaningless.
	case $_c in
	dmsnap) check_dmsnap || { _v=invalid; _v2=invalid; } ;;
	thin) check_thin || { _v=invalid; _v2=invalid; } ;;
	esac
	sample "$_m" "$_q" "$_f" "$_c" "$_v"
	[ -n "$_w2" ] && sample "$_m" "$_q" "$_f2" "$_c" "$_v2"
	"teardown_$_c"
}

# ---- the stall figures -----------------------------------------------
# A writer of 4 KiB random writes spread over 16 small devices runs for
# STALL_S seconds; STALL_AT_S seconds in, the 16 are snapshotted together
# (or not, for the idle figures). Kept: the largest latency and the p99
# of the whole run (with a creation, these include the copies of the first
# writes after it), the largest latency of the writes in flight during the
# creation (the stall the creation itself caused), and how long the
# creation took.

small_up() {
	_i=0
	while [ "$_i" -lt 16 ]; do
		dm_create "l$_i" "0 $SMALL_S linear $A $((_i * SMALL_S))" || return 1
		_i=$((_i + 1))
	done
}
small_down() {
	_i=0
	while [ "$_i" -lt 16 ]; do
		dmsetup remove "l$_i"
		_i=$((_i + 1))
	done
}

# stall_devs PREFIX: the 16 devices, joined as fio wants them.
stall_devs() {
	seq 0 15 | sed "s|^|/dev/mapper/$1|" | tr '\n' ':' | sed 's/:$//'
}

# now_ms: milliseconds since boot (to 10 ms).
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# writes_done DEV: writes completed on a dm device so far.
writes_done() {
	awk '{ print $5 }' "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "${1#/dev/mapper/}")/stat"
}

# stall_run MODEL QD CONTENDER PREFIX CREATE: the writer on PREFIX0..15;
# CREATE (a function, or "none") runs once the writer is under way.
stall_run() {
	_m=$1 _q=$2 _c=$3 _p=$4 _create=$5
	rm -f "$work"/stall_*.log
	# Every write's latency is logged with its completion time on the
	# clock of /proc/uptime (CLOCK_MONOTONIC: the VM never sleeps).
	fio_run "$work/stall.json" "$_q" --filename="$(stall_devs "$_p")" --rw=randwrite \
		--bs=4k --size=$((16 * SMALL_S / 2048))m --norandommap --time_based \
		--runtime="$STALL_S" --write_lat_log="$work/stall" --log_avg_msec=0 \
		--log_alternate_epoch=1 --log_alternate_epoch_clock_id=1 &
	_pid=$!
	_fig=idle
	if [ "$_create" != none ]; then
		_fig=create
		# The writer is under way once its first writes are done.
		while [ "$(writes_done "/dev/mapper/${_p}0")" -lt 16 ]; do
			sleep 0.1
		done
		sleep "$STALL_AT_S"
		_t0=$(now_ms)
		"$_create" || echo "# $_create failed"
		_t1=$(now_ms)
		kill -0 "$_pid" 2>/dev/null ||
			echo "# the writer ended before $_create did: raise STALL_S"
		sample "$_m" "$_q" stall_create_ms "$_c" $((_t1 - _t0))
	fi
	if wait "$_pid"; then
		# The writes in flight at some time during the creation (a
		# 10 ms margin for the clock's grain): the stall it caused.
		[ "$_fig" = create ] && sample "$_m" "$_q" stall_during_max_us "$_c" \
			"$(awk -F', *' -v t0="$_t0" -v t1="$_t1" '
				$1 + 10 >= t0 && $1 - $2 / 1e6 <= t1 + 10 && $2 > max { max = $2; n++ }
				END { if (n) printf "%.0f", max / 1000; else print "none" }' \
				"$work/stall_lat.1.log")"
		sample "$_m" "$_q" "stall_${_fig}_max_us" "$_c" "$(lat_us "$work/stall.json" /jobs/write/lat_ns/max)"
		sample "$_m" "$_q" "stall_${_fig}_p99_us" "$_c" \
			"$(lat_us "$work/stall.json" /jobs/write/lat_ns/percentile/99.000000)"
	else
		sample "$_m" "$_q" "stall_${_fig}_max_us" "$_c" error
		sample "$_m" "$_q" "stall_${_fig}_p99_us" "$_c" error
	fi
}

replica16() {
	replicactl create-group-replica --relationship-name g16 --target-pool /dev/mapper/pool \
		--source-elements "$(seq 0 15 | sed 's|^|/dev/mapper/s|' | tr '\n' ',' | sed 's/,$//')" \
		--wait-for-copy-state synchronized --no-replica-devices >/dev/null
}
# The dm-snapshot way to a consistent set: suspend every origin, create
# the snapshots, resume.
dmsnap16() {
	for _i in $(seq 0 15); do dmsetup suspend "o$_i"; done
	for _i in $(seq 0 15); do
		dm_create "n$_i" "0 $SMALL_S snapshot /dev/mapper/l$_i /dev/mapper/c$_i P $CHUNK"
	done
	for _i in $(seq 0 15); do dmsetup resume "o$_i"; done
}

stall_figures() {
	_m=$1 _q=$2
	small_up || { echo "# small devices failed"; return; }
	stall_run "$_m" "$_q" raw l none

	for _create in none replica16; do
		pool_create pool "$B" "$CHUNK" || return
		for _i in $(seq 0 15); do source_create "s$_i" "/dev/mapper/l$_i"; done
		stall_run "$_m" "$_q" replica s "$_create"
		teardown_replica >/dev/null 2>&1
		for _i in $(seq 0 15); do dmsetup remove "s$_i"; done
	done

	for _create in none dmsnap16; do
		for _i in $(seq 0 15); do
			dm_create "c$_i" "0 $STALL_COW_S linear $B $((_i * STALL_COW_S))"
			dmr_io zeroout "/dev/mapper/c$_i" 0 64k >/dev/null
			dm_create "o$_i" "0 $SMALL_S snapshot-origin /dev/mapper/l$_i"
		done
		stall_run "$_m" "$_q" dmsnap o "$_create"
		dmsetup status | grep -qE '^n[0-9]+: .* snapshot (Invalid|Overflow)' &&
			echo "# a dm-snapshot store of the stall figure overflowed"
		for _i in $(seq 0 15); do
			dmsetup info "n$_i" >/dev/null 2>&1 && dmsetup remove "n$_i"
			dmsetup remove "o$_i" "c$_i"
		done
	done
	small_down
}

# flush_figure MODEL: what one flush costs on the device model: the
# mean latency of an fdatasync after each 4 KiB write.
flush_figure() {
	if fio_run "$work/o.json" 1 --filename="$A" --rw=write --bs=4k --size=4m \
		--fdatasync=1 --time_based --runtime=2; then
		sample "$1" 1 flush_us raw "$(lat_us "$work/o.json" /jobs/sync/lat_ns/mean)"
	else
		sample "$1" 1 flush_us raw error
	fi
}

# ---- the clone figures ----------------------------------------------
# Hydration: how fast a clone of the filled region becomes a full copy on
# B, against dd of the region onto B and against dm-clone with its region
# size the pool's chunk size and its default hydration threshold and batch
# size. dm-replica's copy runs at CopyPriority High (3) with no copy_rate:
# the call that creates the group, waiting for Synchronized, is timed.
# dm-clone is timed from its table load until its status counts every
# region hydrated. Every copy ends durable: dd with an fsync, dm-replica
# and dm-clone with the metadata commit that records the last copy. With
# the flush models, the flushes that reached B's null_blk during each
# copy are counted too (the flush model makes each one cost).
#
# The write overhead: the 4 KiB random writer of the idle figures on the
# source, its IOPS counted from its write log over the time a clone of
# the source is created and copied (at the default CopyPriority, Same),
# against the same writer on the same source with no clone, counted over
# CLONE_IDLE_S; and with dm-clone, the writer on dm-clone's source while
# it hydrates. dm-clone does not keep the point in time of a source that
# is written (its source must not change): that figure is only what its
# copy's reads cost the writer, where dm-replica's also holds each first
# write to a chunk not yet copied until the chunk is. How fast each copy
# went under the writer is kept with it.

CLONE_IDLE_S=3		# the window of the writer with no clone

# now_ns: nanoseconds since boot on CLOCK_MONOTONIC, fio's log clock
# (/proc/uptime has only 10 ms).
now_ns() { awk '/^now at/ { print $3; exit }' /proc/timer_list; }

# region_mibps T0 T1: MiB/s of a copy of the region from T0 to T1 (now_ns).
region_mibps() {
	awk -v a="$1" -v b="$2" -v mb="$REGION_MB" \
		'BEGIN { if (b > a) printf "%.1f", mb / ((b - a) / 1e9); else print "error" }'
}

# clone_create PRIORITY: a clone group of /dev/mapper/src in the pool,
# with CopyPriority PRIORITY, the call waiting until it is Synchronized.
# Fails with the message; a group Synchronized with less than every chunk
# copied fails too, so that no figure counts it.
clone_create() {
	_cc_out=$(replicactl --json create-group-replica --sync-type clone \
		--relationship-name c1 --target-pool /dev/mapper/pool \
		--source-elements /dev/mapper/src --replication-setting-data "copy_priority=$1" \
		--wait-for-copy-state synchronized --no-replica-devices 2>&1) || {
		echo "# dm-replica clone: $_cc_out"
		return 1
	}
	_cc_g=$(echo "$_cc_out" | json_get group_id)
	_cc_n=$(replicactl --json group show "$_cc_g" | json_get copied_chunks)
	[ "$_cc_n" = "$CHUNKS" ] || {
		echo "# dm-replica clone Synchronized with $_cc_n of $CHUNKS chunks copied"
		return 1
	}
}

dmclone_loaded() { [ -d /sys/module/dm_clone ]; }

# dmclone_devs: dm-clone's metadata (its superblock zeroed: a new clone)
# and destination devices on B.
dmclone_devs() {
	dm_create cmeta "0 $CLONE_META_S linear $B 0" &&
		dm_create cdst "0 $REGION_S linear $B $CLONE_META_S" &&
		dmr_io zeroout /dev/mapper/cmeta 0 4k >/dev/null
}
dmclone_down() {
	dmsetup info dclone >/dev/null 2>&1 && dmsetup remove dclone
	dm_cleanup cdst cmeta
}
# dmclone_copy: dm-clone of the region of A onto cdst, waited for until
# every region is hydrated. The status is read every 10 ms without the
# metadata commit each read otherwise makes (which would slow the copy),
# then once with it. Bounded: CLONE_MAX_S.
dmclone_copy() {
	dm_create dclone "0 $REGION_S clone /dev/mapper/cmeta /dev/mapper/cdst $A $CHUNK" ||
		return 1
	_dc_n=0
	while [ "$_dc_n" -lt $((CLONE_MAX_S * 100)) ]; do
		_dc_s=$(dmsetup status --noflush dclone | awk '
			$4 == "Fail" { print "fail"; exit }
			{ split($7, r, "/"); if (r[2] > 0 && r[1] == r[2]) print "done" }')
		case $_dc_s in
		"done") break ;;
		fail) echo "# dm-clone failed"; return 1 ;;
		esac
		sleep 0.01
		_dc_n=$((_dc_n + 1))
	done
	[ "$_dc_s" = "done" ] || { echo "# dm-clone not hydrated in $CLONE_MAX_S s"; return 1; }
	dmsetup status dclone | grep -q ' rw' || { echo "# dm-clone not read-write"; return 1; }
}

# b_flushes: flushes B's null_blk has done (the flush models), else "-".
b_flushes() {
	if [ -r /sys/block/nullb1/stat ]; then
		awk '{ print $16 }' /sys/block/nullb1/stat
	else
		echo -
	fi
}

# hydrate_sample CONTENDER T0 T1 FLUSHES0: the figures of one copy that
# went from T0 to T1 (now_ns), B having done FLUSHES0 flushes before.
hydrate_sample() {
	sample "$_m" - clone_hydrate_mibps "$1" "$(region_mibps "$2" "$3")"
	_hs_f=$(b_flushes)
	[ "$_hs_f" = - ] || sample "$_m" - clone_hydrate_flushes "$1" $((_hs_f - $4))
}

# dd_copy CONTENDER BS: the region of A copied onto B by dd in BS blocks.
dd_copy() {
	_f0=$(b_flushes)
	_t0=$(now_ns)
	if dd if="$A" of="$B" bs="$2" count=$((REGION_MB * 1024 / ${2%k})) iflag=direct \
		oflag=direct conv=fsync 2>"$work/dd.log"; then
		_t1=$(now_ns)
		hydrate_sample "$1" "$_t0" "$_t1" "$_f0"
	else
		cat "$work/dd.log"
		sample "$_m" - clone_hydrate_mibps "$1" error
	fi
}

# clone_hydrate MODEL: the copies of the region, once each: dd in 1 MiB
# blocks (the reference), dd in blocks of a chunk (what copying a chunk
# at a time may cost on this machine: no reference, no ratio), dm-replica,
# dm-clone.
clone_hydrate() {
	_m=$1
	dd_copy raw 1024k
	dd_copy ddchunk $((CHUNK / 2))k

	_ok=0
	if source_create src "$A" "$REGION_S" && pool_create pool "$B" "$CHUNK"; then
		_f0=$(b_flushes)
		_t0=$(now_ns)
		clone_create 3 && _ok=1
		_t1=$(now_ns)
	fi
	if [ "$_ok" = 1 ]; then
		hydrate_sample replica "$_t0" "$_t1" "$_f0"
	else
		sample "$_m" - clone_hydrate_mibps replica error
	fi
	teardown_replica >/dev/null 2>&1

	if ! dmclone_loaded; then
		sample "$_m" - clone_hydrate_mibps dmclone absent
		return
	fi
	_ok=0
	if dmclone_devs; then
		_f0=$(b_flushes)
		_t0=$(now_ns)
		dmclone_copy && _ok=1
		_t1=$(now_ns)
	fi
	if [ "$_ok" = 1 ]; then
		hydrate_sample dmclone "$_t0" "$_t1" "$_f0"
	else
		sample "$_m" - clone_hydrate_mibps dmclone error
	fi
	dmclone_down
}

# clone_writer MODEL QD CONTENDER: the writer on the source; once it is
# under way, a fresh clone of the source is made and copied (replica: a
# dm-replica clone group, dmclone: dm-clone) or, for raw (A) and source
# (the dm-replica source, no group), CLONE_IDLE_S pass. Kept: the IOPS of
# the writer in that window and how fast the copy went.
clone_writer() {
	_m=$1 _q=$2 _c=$3
	_fig=clone_write_rand4k_iops _v=error _cw_rate=error
	case $_c in
	raw)
		_fig=clone_idle_rand4k_iops
		DEV=$A
		;;
	source)
		_fig=clone_idle_rand4k_iops
		source_create src "$A" "$REGION_S" || { sample "$_m" "$_q" "$_fig" replica error; return; }
		DEV=/dev/mapper/src
		;;
	replica)
		{ source_create src "$A" "$REGION_S" && pool_create pool "$B" "$CHUNK"; } || {
			sample "$_m" "$_q" "$_fig" replica error
			teardown_replica >/dev/null 2>&1
			return
		}
		DEV=/dev/mapper/src
		;;
	dmclone)
		if ! dmclone_loaded; then
			sample "$_m" "$_q" "$_fig" dmclone absent
			return
		fi
		dmclone_devs || { sample "$_m" "$_q" "$_fig" dmclone error; dmclone_down; return; }
		DEV=$A
		;;
	esac
	rm -f "$work"/cw_*.log
	_w0=$(stat_field "$DEV" 5)
	# The writer (fio itself, so that it gets the signal that stops it)
	# runs until stopped, CLONE_MAX_S at most; every write is logged with
	# its completion time on CLOCK_MONOTONIC.
	fio --name=w --ioengine=libaio --direct=1 --iodepth="$_q" --filename="$DEV" \
		--rw=randwrite --bs=4k --size="${REGION_MB}m" --norandommap --time_based \
		--runtime="$CLONE_MAX_S" --write_lat_log="$work/cw" --log_avg_msec=0 \
		--log_alternate_epoch=1 --log_alternate_epoch_clock_id=1 \
		--output-format=json --output="$work/cw.json" >"$work/fio.log" 2>&1 &
	_pid=$!
	_w=0
	while [ "$(stat_field "$DEV" 5)" -lt $((_w0 + 16)) ] && [ "$_w" -lt 1000 ]; do
		sleep 0.01
		_w=$((_w + 1))
	done
	_t0=$(now_ns)
	_ok=0
	case $_c in
	raw | source) sleep "$CLONE_IDLE_S" && _ok=1 ;;
	replica) clone_create 2 && _ok=1 ;;
	dmclone) dmclone_copy && _ok=1 ;;
	esac
	_t1=$(now_ns)
	if ! kill -0 "$_pid" 2>/dev/null; then
		echo "# the writer on $DEV ended before its window did"
		cat "$work/fio.log"
		_ok=0
	fi
	kill -INT "$_pid" 2>/dev/null
	wait "$_pid"
	if [ "$_ok" = 1 ] && [ -s "$work/cw_lat.1.log" ]; then
		_v=$(awk -F', *' -v t0="$_t0" -v t1="$_t1" '
			$1 * 1e6 >= t0 && $1 * 1e6 <= t1 { n++ }
			END { printf "%.0f", n / ((t1 - t0) / 1e9) }' "$work/cw_lat.1.log")
		_cw_rate=$(region_mibps "$_t0" "$_t1")
	fi
	case $_c in
	raw) sample "$_m" "$_q" "$_fig" raw "$_v" ;;
	source)
		sample "$_m" "$_q" "$_fig" replica "$_v"
		dmsetup remove src
		;;
	replica)
		sample "$_m" "$_q" "$_fig" replica "$_v"
		sample "$_m" "$_q" clone_write_copy_mibps replica "$_cw_rate"
		teardown_replica >/dev/null 2>&1
		;;
	dmclone)
		sample "$_m" "$_q" "$_fig" dmclone "$_v"
		sample "$_m" "$_q" clone_write_copy_mibps dmclone "$_cw_rate"
		dmclone_down
		;;
	esac
}

# ---- the run --------------------------------------------------------

contenders="raw replica dmsnap thin"
start=$(date +%s)
for model in $MODELS; do
	echo "# device model $model"
	model_up "$model" || { echo "# device model $model failed"; continue; }
	rep=1
	while [ "$rep" -le "$REPEATS" ]; do
		echo "# $model repeat $rep ($(($(date +%s) - start)) s)"
		rm -f "$work"/first-*.iolog
		wanted flush && flush_figure "$model"
		for qd in 1 16; do
			if wanted idle; then
				for c in $contenders; do
					measure "$model" "$qd" idle_rand4k_iops "$c" 0 rand4k_timed
				done
			fi
			if wanted first; then
				for c in $contenders; do
					measure "$model" "$qd" first_rand4k_iops "$c" 1 first4k
				done
			fi
			if wanted seq; then
				for c in $contenders; do
					measure "$model" "$qd" first_seq1m_mibps "$c" 1 seq1m \
						rewrite4k rewrite_rand4k_iops
				done
			fi
			if wanted snaps; then
				for k in 4 16; do
					for c in replica dmsnap thin; do
						measure "$model" "$qd" "snap${k}_rand4k_iops" "$c" "$k" first4k
					done
				done
			fi
			wanted stall && stall_figures "$model" "$qd"
			if wanted clone-write; then
				for c in raw source replica dmclone; do
					clone_writer "$model" "$qd" "$c"
				done
			fi
			# First writes on a source with a Synchronized clone.
			wanted tracked && measure "$model" "$qd" first_rand4k_iops tracked 1 first4k
		done
		wanted clone && clone_hydrate "$model"
		rep=$((rep + 1))
	done
	model_down "$model"
done
echo "# done in $(($(date +%s) - start)) s"

# ---- the table and the JSON ------------------------------------------

echo "dm-replica bench on Linux $(uname -r): $((CHUNK / 2)) KiB chunks, ${REGION_MB} MiB origins, $REPEATS repeat(s), median and min..max"
echo "devices: brd memory disks; flush = null_blk with a ${NULLB_CACHE_MB} MiB write cache (FUA) under dm-delay, ${FLUSH_MS} ms asked per flush (what one costs: the flush latency figure); nofua = loop devices (write cache, no FUA) over the flush model"
awk -v kernel="$(uname -r)" -v repeats="$REPEATS" -v chunk_kib=$((CHUNK / 2)) \
	-v flush_ms="$FLUSH_MS" -v region_mb="$REGION_MB" '
function isnum(v) { return v ~ /^[0-9.]+$/ }
# Figures with a dm-clone contender, compared with it.
function withclone(f) { return f ~ /^clone_(hydrate|write)_/ && f != "clone_hydrate_flushes" }
# Lower is better for latencies and times.
function lower(f) { return f ~ /_(us|ms|flushes)$/ }
function unit(f) {
	if (f ~ /_iops$/) return "IOPS"
	if (f ~ /_mibps$/) return "MiB/s"
	if (f ~ /_us$/) return "us"
	if (f ~ /_flushes$/) return "flushes"
	return "ms"
}
function title(f) {
	if (f == "flush_us") return "flush (fdatasync) latency"
	if (f == "idle_rand4k_iops") return "idle, 4k random write"
	if (f == "first_rand4k_iops") return "first write 4k, 1 snapshot"
	if (f == "first_seq1m_mibps") return "first write 1M sequential"
	if (f == "rewrite_rand4k_iops") return "rewrite 4k of copied chunks"
	if (f == "snap4_rand4k_iops") return "first write 4k, 4 snapshots"
	if (f == "snap16_rand4k_iops") return "first write 4k, 16 snapshots"
	if (f == "stall_idle_max_us") return "writer, no creation: max"
	if (f == "stall_idle_p99_us") return "writer, no creation: p99"
	if (f == "stall_during_max_us") return "writer, during creation: max"
	if (f == "stall_create_max_us") return "writer, run with creation: max"
	if (f == "stall_create_p99_us") return "writer, run with creation: p99"
	if (f == "stall_create_ms") return "creation of 16 snapshots"
	if (f == "clone_hydrate_mibps") return "clone hydration"
	if (f == "clone_hydrate_flushes") return "clone hydration, B"
	if (f == "clone_idle_rand4k_iops") return "4k write, no clone"
	if (f == "clone_write_rand4k_iops") return "4k write, clone copying"
	if (f == "clone_write_copy_mibps") return "clone copy under the writer"
	return f
}
function cname(c, f) {
	if (c == "replica") return "dm-replica"
	if (c == "dmsnap") return "dm-snapshot"
	if (c == "thin") return "dm-thin"
	if (c == "dmclone") return "dm-clone"
	if (c == "tracked") return "dm-replica, a clone"
	# The reference of the hydration figure is a copy with dd.
	if (c == "raw" && f ~ /^clone_hydrate_/) return "dd 1M"
	if (c == "ddchunk") return "dd " chunk_kib "k"
	return c
}
# ratio F KEY OTHER: how many times better KEY is than OTHER.
function ratio(f, a, b) {
	if (!(a in med) || !(b in med) || med[a] == "" || med[b] == "" || med[a] == 0 || med[b] == 0)
		return ""
	return sprintf("%.2f", lower(f) ? med[b] / med[a] : med[a] / med[b])
}
function median(list,   n, v, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	lo = v[1]; hi = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
	key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	if (!(key in seen)) {
		seen[key] = 1
		order[++nk] = key
	}
	if (isnum($5))
		nums[key] = nums[key] " " $5
	else {
		words[key] = $5
		if ($5 == "absent")
			absent = 1
	}
	all[key] = all[key] (all[key] == "" ? "" : ", ") (isnum($5) ? $5 : "\"" $5 "\"")
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (nums[k] != "") {
			med[k] = median(nums[k])
			mn[k] = lo; mx[k] = hi
		} else
			med[k] = ""
	}
	printf "%-6s %-3s %-34s %-12s %9s %-19s %8s %8s %8s %8s %10s %11s\n", "device", "qd", "figure",
		"contender", "median", "min..max", "vs raw", "vs dmsnap", "vs thin", "vs 1 snap",
		"vs dmclone", "vs no clone"
	json = ""
	noise = 0
	for (i = 1; i <= nk; i++) {
		k = order[i]
		split(k, p, SUBSEP)
		m = p[1]; q = p[2]; f = p[3]; c = p[4]
		# The reference figures: the idle writer for the stall ones.
		rf = f
		if (f ~ /^stall_(create|during)_(max|p99)_us$/) {
			rf = f
			sub(/create|during/, "idle", rf)
		}
		if (f == "clone_write_rand4k_iops")
			rf = "clone_idle_rand4k_iops"
		rraw = (c == "raw" || c == "ddchunk" || f == "clone_hydrate_flushes") ? "" : ratio(f, k, m SUBSEP q SUBSEP rf SUBSEP "raw")
		rsnap = (c == "dmsnap" || c == "raw") ? "" : ratio(f, k, m SUBSEP q SUBSEP f SUBSEP "dmsnap")
		rthin = (c == "thin" || c == "raw") ? "" : ratio(f, k, m SUBSEP q SUBSEP f SUBSEP "thin")
		r1 = ""
		if (f ~ /^snap[0-9]+_rand4k_iops$/)
			r1 = ratio(f, k, m SUBSEP q SUBSEP "first_rand4k_iops" SUBSEP c)
		rclone = (c == "dmclone" || c == "raw" || c == "ddchunk" || !withclone(f)) ? "" : ratio(f, k, m SUBSEP q SUBSEP f SUBSEP "dmclone")
		# The writer while a clone copies against the same writer on
		# the same source with no clone (dm-clone'"'"'s source is A).
		rnone = ""
		if (f == "clone_write_rand4k_iops")
			rnone = ratio(f, k, m SUBSEP q SUBSEP rf SUBSEP (c == "dmclone" ? "raw" : c))
		mark = ""
		# A clone copying many chunks at a time may beat dd'"'"'s one.
		if (rraw != "" && rraw + 0 > 1.0 && f != "clone_hydrate_mibps") {
			mark = "!"
			noise = 1
		}
		if (med[k] != "") {
			v = sprintf(med[k] >= 100 ? "%.0f" : "%.1f", med[k])
			sp = sprintf(mn[k] >= 100 ? "%.0f..%.0f" : "%.1f..%.1f", mn[k], mx[k])
		} else {
			v = words[k]
			sp = "-"
		}
		printf "%-6s %-3s %-34s %-12s %9s %-19s %8s %8s %8s %8s %10s %11s\n", m, q, title(f) " " unit(f),
			cname(c, f), v, sp, rraw == "" ? "-" : rraw "x" mark, rsnap == "" ? "-" : rsnap "x",
			rthin == "" ? "-" : rthin "x", r1 == "" ? "-" : r1 "x",
			rclone == "" ? "-" : rclone "x", rnone == "" ? "-" : rnone "x"
		# qd "-": a figure without a queue depth of its own
		json = json (json == "" ? "" : ", ") sprintf("{\"device\": \"%s\", \"qd\": %s, \"figure\": \"%s\", \"unit\": \"%s\", \"contender\": \"%s\", \"samples\": [%s]", m, q == "-" ? "null" : q + 0, f, unit(f), cname(c, f), all[k])
		if (med[k] != "")
			json = json sprintf(", \"median\": %s, \"min\": %s, \"max\": %s", med[k], mn[k], mx[k])
		else
			json = json sprintf(", \"median\": null, \"result\": \"%s\"", words[k])
		if (rraw != "") json = json ", \"vs_raw\": " rraw ", \"noise\": " (mark == "!" ? "true" : "false")
		if (rsnap != "") json = json ", \"vs_dm_snapshot\": " rsnap
		if (rthin != "") json = json ", \"vs_dm_thin\": " rthin
		if (r1 != "") json = json ", \"vs_1_snapshot\": " r1
		if (rclone != "") json = json ", \"vs_dm_clone\": " rclone
		if (rnone != "") json = json ", \"vs_no_clone\": " rnone
		if (f == "clone_hydrate_mibps" && c == "replica") {
			json = json ", \"aim_vs_dd\": 0.9, \"aim_vs_dm_clone\": 1.0"
			aims = aims sprintf("%s: dm-replica %s of dd (aim 0.9x: %s), %s of dm-clone (aim 1.0x: %s)\n", m,
				rraw == "" ? "-" : rraw "x", rraw == "" ? "-" : (rraw + 0 >= 0.9 ? "met" : "not met"),
				rclone == "" ? "-" : rclone "x", rclone == "" ? "-" : (rclone + 0 >= 1.0 ? "met" : "not met"))
		}
		json = json "}"
	}
	print "Ratios: how many times better than the other contender (throughput over"
	print "theirs, or their latency over this one): above 1.0x is faster."
	if (noise)
		print "! above 1.0x against the raw device: emulation noise, to be read as 1.0x."
	print "refused:N: dm-replica refused the snapshot (replicactl exit status N)."
	if (absent)
		print "absent: this kernel has no dm-clone module."
	if (aims != "") {
		print "Clone hydration against its aims (reported, not checked):"
		printf "%s", aims
	}
	# The stall above the same writer when nothing is created.
	for (i = 1; i <= nk; i++) {
		k = order[i]
		split(k, p, SUBSEP)
		if (p[3] != "stall_during_max_us" || med[k] == "")
			continue
		idle = p[1] SUBSEP p[2] SUBSEP "stall_idle_max_us" SUBSEP p[4]
		if (!(idle in med) || med[idle] == "")
			continue
		printf "%s qd%s %s: largest write during the creation %+.1f ms against the idle writer'"'"'s largest\n", p[1], p[2],
			cname(p[4]), (med[k] - med[idle]) / 1000
	}
	printf "BENCHJSON {\"kernel\": \"%s\", \"repeats\": %d, \"chunk_kib\": %d, \"flush_delay_ms\": %d, \"region_mib\": %d, \"figures\": [%s]}\n", kernel, repeats, chunk_kib, flush_ms, region_mb, json
}' "$samples"
