#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the VM: dm-replica measured against the raw device and
# against the stock kernel's dm-snapshot (persistent store, same chunk
# size) and dm-thin snapshots, all in this one boot. Prints a table and,
# on one line starting with BENCHJSON, the same figures as JSON.
#
# Disks (see tests/vm/run-vm.sh): dmr-a holds the origins, dmr-b the
# dm-snapshot exception stores and the thin pool's metadata, dmr-c the
# dm-replica pool and the thin pool's data.
cd /selftests || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
modprobe -q dm-snapshot
modprobe -q dm-thin-pool
export PATH="/bench:$PATH"

CHUNK=128		# sectors: 64 KiB chunks everywhere
SPAN=128m		# the region the first-write figures write in
NRAND=1000		# 4 KiB random first writes
SEQ=64m			# sequential figures write this much in 1 MiB blocks
SPAN_S=262144		# $SPAN in sectors

json=""
table=""

# record KEY VALUE UNIT: one figure.
record() {
	json="$json${json:+, }\"$1\": $2"
	table="$table$(printf '%-44s %12s %s' "$1" "$2" "$3")
"
}

# ratio KEY A B: A / B with two decimals.
ratio() {
	r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	record "$1" "$r" x
}

mbps() { dmr_bench seq "$1" "$SEQ" 1m | awk '{ print $1 }'; }
iops() { dmr_bench rand "$1" "$SPAN" 4k "$NRAND" | awk '{ print $2 }'; }

# median3 COMMAND...: the median of three runs of a measurement.
median3() {
	{ "$@"; "$@"; "$@"; } | sort -n | sed -n 2p
}

# The three snapshot set-ups on a fresh origin; each leaves the origin at
# /dev/mapper/origin with a snapshot of it taken just now.
setup_replica() {
	blank "$DISK_C"
	dm_create pool "0 $(sectors "$DISK_C") replica-pool $DISK_C 2 format $CHUNK"
	source_create origin "$DISK_A" $SPAN_S
	replicactl create-group-replica --relationship-name snap --target-pool /dev/mapper/pool \
		--source-elements /dev/mapper/origin --wait-for-copy-state synchronized >/dev/null
}
teardown_replica() {
	replicactl group delete "$(replicactl --json group list | json_get id)" >/dev/null
	dmsetup remove origin pool
}
setup_dmsnap() {
	blank "$DISK_B"
	dm_create origin "0 $SPAN_S snapshot-origin $DISK_A"
	dmsetup suspend origin
	dm_create snap "0 $SPAN_S snapshot $DISK_A $DISK_B P $CHUNK"
	dmsetup resume origin
}
teardown_dmsnap() { dmsetup remove snap origin; }
setup_thin() {
	blank "$DISK_B"
	dm_create tmeta "0 32768 linear $DISK_B 0"
	dmr_io zeroout /dev/mapper/tmeta 0 4k >/dev/null
	dm_create tpool "0 $(sectors "$DISK_C") thin-pool /dev/mapper/tmeta $DISK_C $CHUNK 0"
	dmsetup message tpool 0 "create_thin 0"
	dm_create origin "0 $SPAN_S thin /dev/mapper/tpool 0"
	# A thin origin must own its blocks before a snapshot can share them.
	dmr_bench seq /dev/mapper/origin "$SPAN" 1m >/dev/null
	dmsetup suspend origin
	dmsetup message tpool 0 "create_snap 1 0"
	dmsetup resume origin
}
teardown_thin() { dmsetup remove origin tpool tmeta; }

# Every disk written once first, so that no figure pays for the first
# touch of the disk images on the host.
for d in "$DISK_A" "$DISK_B" "$DISK_C"; do
	dmr_bench seq "$d" "$(($(sectors "$d") / 2048))m" 1m >/dev/null
done

# Pass-through when idle.
raw=$(median3 mbps "$DISK_A")
record raw_seq_write_MBps "$raw" MB/s
source_create origin "$DISK_A" $SPAN_S
src=$(median3 mbps /dev/mapper/origin)
record passthrough_seq_write_MBps "$src" MB/s
ratio passthrough_vs_raw "$src" "$raw"
raw_i=$(median3 iops "$DISK_A")
src_i=$(median3 iops /dev/mapper/origin)
record raw_rand4k_IOPS "$raw_i" IOPS
record passthrough_rand4k_IOPS "$src_i" IOPS
ratio passthrough_rand4k_vs_raw "$src_i" "$raw_i"
dmsetup remove origin

# First writes after a snapshot (each run on a fresh one), and rewrites
# of chunks already copied.
first_rand() { "setup_$1"; iops /dev/mapper/origin; "teardown_$1"; }
first_seq() { "setup_$1"; mbps /dev/mapper/origin; "teardown_$1"; }
rewrite() { "setup_$1"; mbps /dev/mapper/origin >/dev/null; median3 mbps /dev/mapper/origin; "teardown_$1"; }
for kind in replica dmsnap thin; do
	record "${kind}_first_rand4k_IOPS" "$(median3 first_rand $kind)" IOPS
	record "${kind}_first_seq1m_MBps" "$(median3 first_seq $kind)" MB/s
	record "${kind}_rewrite_seq1m_MBps" "$(rewrite $kind)" MB/s
done
get() { printf '%s' "$json" | tr ',' '\n' | awk -F': ' -v k="\"$1\"" '$1 ~ k { print $2 }'; }
ratio first_rand4k_vs_dmsnapshot "$(get replica_first_rand4k_IOPS)" "$(get dmsnap_first_rand4k_IOPS)"
ratio first_rand4k_vs_thin "$(get replica_first_rand4k_IOPS)" "$(get thin_first_rand4k_IOPS)"
ratio first_seq1m_vs_dmsnapshot "$(get replica_first_seq1m_MBps)" "$(get dmsnap_first_seq1m_MBps)"
ratio first_seq1m_vs_thin "$(get replica_first_seq1m_MBps)" "$(get thin_first_seq1m_MBps)"
ratio rewrite_vs_raw "$(get replica_rewrite_seq1m_MBps)" "$raw"

# The write stall while 16 devices are snapshotted together.
for i in $(seq 0 15); do
	dm_create "l$i" "0 8192 linear $DISK_A $((i * 8192))"
	dm_create "c$i" "0 8192 linear $DISK_B $((i * 8192))"
done
stall() {
	# stall SETUP DEVS...: the longest write while SETUP runs
	mkfifo /tmp/stall
	_setup=$1
	shift
	# shellcheck disable=SC2068
	dmr_bench stall $@ >/tmp/stall &
	_pid=$!
	exec 5</tmp/stall
	read -r _ <&5
	$_setup
	kill -TERM $_pid
	read -r _writes _max <&5
	wait $_pid
	exec 5<&-
	rm -f /tmp/stall
	echo "$_max"
}
devs=
for i in $(seq 0 15); do devs="$devs /dev/mapper/s$i"; done
idle() { :; }

blank "$DISK_C"
dm_create pool "0 $(sectors "$DISK_C") replica-pool $DISK_C 2 format $CHUNK"
for i in $(seq 0 15); do source_create "s$i" "/dev/mapper/l$i"; done
# shellcheck disable=SC2086
record idle_max_write_latency_us "$(stall idle $devs)" us
group16() {
	# shellcheck disable=SC2086
	replicactl create-group-replica --relationship-name g16 --target-pool /dev/mapper/pool \
		--source-elements "$(echo $devs | tr ' ' ',')" --wait-for-copy-state synchronized \
		--no-replica-devices >/dev/null
}
# shellcheck disable=SC2086
rep=$(stall group16 $devs)
record replica_group16_max_write_latency_us "$rep" us
gid=$(replicactl --json group list | json_get id)
record replica_group16_barrier_hold_us \
	"$(($(replicactl --json group show "$gid" | json_get barrier_hold_ns) / 1000))" us
replicactl group delete "$gid" >/dev/null
for i in $(seq 0 15); do dmsetup remove "s$i"; done
dmsetup remove pool

for i in $(seq 0 15); do dm_create "s$i" "0 8192 snapshot-origin /dev/mapper/l$i"; done
dmsnap16() {
	for i in $(seq 0 15); do dmsetup suspend "s$i"; done
	for i in $(seq 0 15); do
		dm_create "n$i" "0 8192 snapshot /dev/mapper/l$i /dev/mapper/c$i P $CHUNK"
	done
	for i in $(seq 0 15); do dmsetup resume "s$i"; done
}
# shellcheck disable=SC2086
snap=$(stall dmsnap16 $devs)
record dmsnap_group16_max_write_latency_us "$snap" us
ratio group16_stall_dmsnapshot_vs_replica "$snap" "$rep"
for i in $(seq 0 15); do dmsetup remove "n$i" "s$i" "l$i" "c$i"; done

echo "dm-replica bench on Linux $(uname -r), chunks of $((CHUNK / 2)) KiB"
printf '%s' "$table"
echo "BENCHJSON {\"kernel\": \"$(uname -r)\", $json}"
