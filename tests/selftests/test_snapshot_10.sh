#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Many snapshots of the same sources: eight snapshot groups of two
# sources, taken one after the other while a dependent-write writer runs
# on both, with writes of known data between them. Each group is
# consistent (dmr_dwc check), holds outside the writer's records what the
# sources held at its creation, and keeps the checksums taken at its
# creation through the later snapshots and writes, a write to one of its
# replicas (a writable snapshot) and the deletion of the others, done in
# a random order (seeded, the seed printed; DMR_SEED sets it). After each
# round and each delete the pool holds the chunks the sharing rules give
# (see model below); a delete never grows its use, and the last leaves
# it empty.
#
# Layout of each 2 MiB source (32 chunks of 64 KiB): chunks 0-3 hold the
# writer's records (dmr_dwc: 64 slots of 4 KiB per device), chunks 4-31
# the fill (seed 1000 + I for source I) and the round writes: after
# snapshot K, chunks 2K+2..2K+5 of source I get seed 1000 + 10K + I, so
# that each chunk is written in one or two rounds.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

NSNAP=8
WRITABLE=4
st=/tmp/ms
rm -rf $st && mkdir -p $st
wpid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	# Closing the pipe ends a writer blocked on it.
	exec 3<&-
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid"
	for f in "$st"/*.gid; do
		[ -f "$f" ] && replicactl group delete "$(cat "$f")" >/dev/null 2>&1
	done
	dm_cleanup ms-s1 ms-s2 dmr-pool
}
trap cleanup EXIT

S1=/dev/mapper/ms-s1 S2=/dev/mapper/ms-s2
check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source 1 (2 MiB)" source_create ms-s1 "$DISK_A" 4096
check "source 2 (2 MiB)" source_create ms-s2 "$DISK_B" 4096
check "fill source 1" dmr_io write $S1 0 2m 1001
check "fill source 2" dmr_io write $S2 0 2m 1002
check "clear the records of source 1" dmr_io zeroout $S1 0 256k
check "clear the records of source 2" dmr_io zeroout $S2 0 256k
end_if_failed

# area I K [writable]: the verify_chunks words of source I after the
# writes of rounds 1..K, the records not checked; with "writable", with
# the replica writes below on top.
area() {
	_w='-*4'
	for _c in $(seq 4 31); do
		_s=$((1000 + $1))
		for _j in $(seq 1 "$2"); do
			[ "$_c" -ge $((2 * _j + 2)) ] && [ "$_c" -le $((2 * _j + 5)) ] &&
				_s=$((1000 + 10 * _j + $1))
		done
		if [ "${3:-}" = writable ]; then
			case $_c in
			16) _s="$_s/4:8:4001" ;;
			24) _s=4002 ;;
			esac
		fi
		_w="$_w $_s"
	done
	echo "$_w"
}

# model ROUNDS [DELETED...]: the chunks the pool must hold after rounds
# 1..ROUNDS with the snapshots DELETED deleted, by the sharing rules:
#  - the writer overwrites all four chunks of records of each source
#    after each snapshot K: 8 copies that serve K alone;
#  - round J writes chunks 2J+2..2J+5 of each source: a chunk's copy in
#    round J serves the snapshots since its previous copy (round J-1) or
#    since the first (1..J); it is freed when none of them is left;
#  - snapshot WRITABLE has 2 chunks of its own (chunk 16, partly written,
#    and chunk 24) from before round WRITABLE; so the copy of chunk 16 of
#    source 1 made in a later round does not serve it.
# With nothing deleted, that is 16 per round, and 2 more from round
# WRITABLE on: 130 after round 8.
model() {
	awk -v rounds="$1" -v del=" $* " -v w=$WRITABLE 'BEGIN {
		sub(/^ [0-9]+/, "", del)
		for (k = 1; k <= rounds; k++)
			if (!index(del, " " k " "))
				n += 8
		for (src = 1; src <= 2; src++) {
			for (c = 4; c <= 31; c++) {
				prev = 0
				for (j = 1; j <= rounds; j++) {
					if (c < 2 * j + 2 || c > 2 * j + 5)
						continue
					live = 0
					for (k = prev + 1; k <= j; k++)
						if (!index(del, " " k " ") && !(src == 1 && c == 16 && k == w))
							live = 1
					n += live
					prev = j
				}
			}
		}
		if (rounds >= w && !index(del, " " w " "))
			n += 2
		print n
	}'
}

# same K: both replicas of snapshot K still have their checksums.
# shellcheck disable=SC2317 # called through check
same() {
	[ "$(dev_md5 "/dev/mapper/ms${1}_1")" = "$(cat "$st/$1.sum1")" ] &&
		[ "$(dev_md5 "/dev/mapper/ms${1}_2")" = "$(cat "$st/$1.sum2")" ]
}

# all_same WHEN: every snapshot not deleted still has its checksums.
all_same() {
	for _f in "$st"/*.gid; do
		[ -f "$_f" ] || continue
		_k=$(basename "$_f" .gid)
		check "$1: snapshot $_k as at its creation" same "$_k"
	done
}

mkfifo $st/dwc
dmr_dwc write $S1 $S2 >$st/dwc 2>$st/dwc.err &
wpid=$!
exec 3<$st/dwc
check "the writer filled its records once" dwc_wait 128
end_if_failed
prev=0

for k in $(seq 1 $NSNAP); do
	check_do "snapshot $k of the two sources under the writer" \
		group_create "ms$k" dmr-pool $S1 $S2
	end_if_failed
	echo "$GROUP_ID" >"$st/$k.gid"
	r1=/dev/mapper/ms${k}_1 r2=/dev/mapper/ms${k}_2
	out=$(dmr_dwc check "$r1" "$r2" 2>&1)
	check "snapshot $k consistent ($out)" test "${out%% at *}" = consistent
	seq=${out##* }
	case $seq in '' | *[!0-9]*) seq=0 ;; esac
	check "snapshot $k is later than the records the one before waited for" \
		test "$seq" -ge $((prev + 128))
	check "snapshot $k: replica 1 holds source 1 as it was" verify_chunks "$r1" "$(area 1 $((k - 1)))"
	check "snapshot $k: replica 2 holds source 2 as it was" verify_chunks "$r2" "$(area 2 $((k - 1)))"
	check_eq "snapshot $k Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
	dev_md5 "$r1" >"$st/$k.sum1"
	dev_md5 "$r2" >"$st/$k.sum2"
	echo "$seq" >"$st/$k.seq"

	if [ "$k" = $WRITABLE ]; then
		# A writable snapshot: 8 KiB inside chunk 16, all of chunk 24.
		check "write 8 KiB into chunk 16 of replica $k.1" dmr_io write "$r1" 1028k 8k 4001
		check "write chunk 24 of replica $k.1" dmr_io write "$r1" 1536k 64k 4002
		check "replica $k.1 reads them back, and the rest as before" \
			verify_chunks "$r1" "$(area 1 $((k - 1)) writable)"
		out=$(dmr_dwc check "$r1" "$r2" 2>&1)
		check_eq "snapshot $k's records are untouched" "$out" "consistent at $seq"
		check_eq "replica $k.2 is untouched" "$(dev_md5 "$r2")" "$(cat "$st/$k.sum2")"
		check "source 1 did not see them" verify_chunks $S1 "$(area 1 $((k - 1)))"
		check "source 2 did not see them" verify_chunks $S2 "$(area 2 $((k - 1)))"
		dev_md5 "$r1" >"$st/$k.sum1"
	fi

	check "round $k: write chunks $((2 * k + 2))-$((2 * k + 5)) of source 1" \
		dmr_io write $S1 $((128 * k + 128))k 256k $((1000 + 10 * k + 1))
	check "round $k: write chunks $((2 * k + 2))-$((2 * k + 5)) of source 2" \
		dmr_io write $S2 $((128 * k + 128))k 256k $((1000 + 10 * k + 2))
	# Every record since the point in time is overwritten.
	check "round $k: the writer went round its records" dwc_wait $((seq + 128))
	check "round $k: source 1 holds its writes" verify_chunks $S1 "$(area 1 "$k")"
	check "round $k: source 2 holds its writes" verify_chunks $S2 "$(area 2 "$k")"
	all_same "after round $k"
	check_eq "after round $k: the pool holds what the sharing rules say" \
		"$(pool_used dmr-pool)" "$(model "$k")"
	prev=$seq
	end_if_failed
done

seed=${DMR_SEED:-$(date +%s)}
order=$(shuffle "$seed" $NSNAP)
diag "delete order $order (seed $seed)"
deleted=''
for k in $order; do
	before=$(pool_used dmr-pool)
	check "delete snapshot $k" replicactl group delete "$(cat "$st/$k.gid")"
	rm -f "$st/$k.gid"
	check_fails "its replica 1 is gone" dmsetup info "ms${k}_1"
	check_fails "its replica 2 is gone" dmsetup info "ms${k}_2"
	after=$(pool_used dmr-pool)
	diag "deleting snapshot $k: $before -> $after chunks in use"
	check "deleting snapshot $k did not grow the pool's use" test "$after" -le "$before"
	deleted="$deleted $k"
	# shellcheck disable=SC2086 # one argument per snapshot
	check_eq "deleting snapshot $k freed what no other snapshot needs" \
		"$after" "$(model $NSNAP $deleted)"
	all_same "snapshot $k deleted"
done
check_eq "the pool is empty" "$(pool_used dmr-pool)" 0

kill -TERM "$wpid"
while read -r _ _ <&3; do :; done
wait "$wpid"
check_eq "the writer stopped cleanly" $? 0
wpid=''
exec 3<&-
out=$(dmr_dwc check $S1 $S2 2>&1)
check "the sources consistent ($out)" test "${out%% at *}" = consistent
check "and past the last snapshot's records" test "${out##* }" -ge $((seq + 128))
check "source 1 holds every round's writes" verify_chunks $S1 "$(area 1 $NSNAP)"
check "source 2 holds every round's writes" verify_chunks $S2 "$(area 2 $NSNAP)"
check_eq "source 1 passes through" "$(dmsetup status ms-s1 | awk '{ print $4 }')" passthrough
finish
