#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Snapshots of one source share their copies, counted chunk by chunk.
#
# The rules: a write to a source chunk copies its old data once if no
# copy of the chunk was made since the newest snapshot, and that copy
# serves every snapshot taken since the chunk's previous copy; deleting a
# snapshot frees exactly the copies no remaining snapshot needs; a write
# to a replica (a writable snapshot) goes to a chunk private to it.
#
# One 1 MiB source of 16 chunks of 64 KiB, the writes of each step with a
# seed of their own (dmr_io's pattern), so that every chunk of every
# device is known at every step and is checked, and so is the pool's use
# (copies plus private chunks) after every step. Below, "cN vS {Sa,Sb}"
# is a copy of chunk N holding the data of seed S, serving Sa and Sb.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks

g1='' g2='' g3='' g4=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for g in $g1 $g2 $g3 $g4; do
		replicactl group delete "$g" >/dev/null 2>&1
	done
	dm_cleanup s1_1 s2_1 s3_1 s4_1 sh-src dmr-pool
}
trap cleanup EXIT

S=/dev/mapper/sh-src
check "pool (64 KiB chunks)" pool_create dmr-pool "$DISK_C" 128
check "source of 16 chunks" source_create sh-src "$DISK_A" 2048
check "fill it with seed 110" dmr_io write $S 0 1m 110
end_if_failed

# snap N: snapshot SN of the source; sets gN. Stops the test when it
# cannot be taken: all that follows needs it.
snap() {
	check_do "snapshot S$1" group_create "s$1" dmr-pool $S
	end_if_failed
	case $1 in
	1) g1=$GROUP_ID ;;
	2) g2=$GROUP_ID ;;
	3) g3=$GROUP_ID ;;
	4) g4=$GROUP_ID ;;
	esac
	check_eq "S$1 Synchronized" "$(group_field "$GROUP_ID" copy_state)" 4
}

# used N STEP: the pool holds N chunks after STEP.
used() {
	check_eq "$2: the pool holds $1 chunks" "$(pool_used dmr-pool)" "$1"
}

# Expected contents, one word per chunk (see verify_chunks in common.sh).
src="110*16"
s1='' s2='' s3='' s4=''

# state STEP: every device that exists reads what it should.
state() {
	check "$1: the source" verify_chunks $S "$src"
	[ -z "$s1" ] || check "$1: S1" verify_chunks /dev/mapper/s1_1 "$s1"
	[ -z "$s2" ] || check "$1: S2" verify_chunks /dev/mapper/s2_1 "$s2"
	[ -z "$s3" ] || check "$1: S3" verify_chunks /dev/mapper/s3_1 "$s3"
	[ -z "$s4" ] || check "$1: S4" verify_chunks /dev/mapper/s4_1 "$s4"
}

snap 1
s1=$src
used 0 "S1 taken"
state "S1 taken"

# W1: chunks 0-3 get seed 111. None was copied since S1: 4 copies,
# c0..c3 v110 {S1}.  4 in use.
check "W1: write chunks 0-3" dmr_io write $S 0 256k 111
src="111*4 110*12"
used 4 "W1"
state "W1"

snap 2
s2=$src
used 4 "S2 taken"
state "S2 taken"

# W2: chunks 2-5 get seed 112. Chunks 2 and 3 were copied before S2 but
# not since: copies c2 v111 {S2}, c3 v111 {S2}. Chunks 4 and 5 were never
# copied: c4 v110 {S1,S2}, c5 v110 {S1,S2}. 4 copies, 8 in use.
check "W2: write chunks 2-5" dmr_io write $S 128k 256k 112
src="111 111 112*4 110*10"
used 8 "W2"
state "W2"

# Two snapshots with no write between them.
snap 3
snap 4
s3=$src s4=$src
used 8 "S3 and S4 taken"
state "S3 and S4 taken"

# W3: chunks 0, 5 and 6 get seed 113. The newest snapshot is S4:
# chunk 0, last copied before S2: c0 v111 {S2,S3,S4};
# chunk 5, last copied before S3: c5 v112 {S3,S4};
# chunk 6, never copied: c6 v110 {S1,S2,S3,S4}.
# 3 copies, 11 in use.
check "W3: write chunk 0" dmr_io write $S 0 64k 113
check "W3: write chunks 5-6" dmr_io write $S 320k 128k 113
src="113 111 112 112 112 113 113 110*9"
used 11 "W3"
state "W3"

# W3b: chunk 5 again, whole, and 8 KiB of chunk 6, seed 114: both were
# copied since S4, so no copy. 11 in use.
check "W3b: rewrite chunk 5" dmr_io write $S 320k 64k 114
check "W3b: rewrite 8 KiB of chunk 6" dmr_io write $S 392k 8k 114
src="113 111 112 112 112 114 113/8:8:114 110*9"
used 11 "W3b"
state "W3b"

# X1: 4 KiB at 4 KiB into chunk 8 of S2's replica, seed 120. S2 read the
# chunk from the source: a private chunk p8 {S2}, 12 in use.
R2=/dev/mapper/s2_1
check "X1: write 4 KiB into chunk 8 of S2" dmr_io write $R2 516k 4k 120
s2="111*4 110*4 110/4:4:120 110*7"
used 12 "X1"
state "X1"

# X2: 4 KiB more in that chunk, at 32 KiB, seed 121: it is S2's already,
# no new chunk. 12 in use.
check "X2: write 4 KiB more into chunk 8 of S2" dmr_io write $R2 544k 4k 121
s2="111*4 110*4 110/4:4:120/32:4:121 110*7"
used 12 "X2"
state "X2"

# X3: 4 KiB at 4 KiB into chunk 0 of S2, seed 122. S2 read chunk 0 from
# c0 v111 {S2,S3,S4}, which S3 and S4 still need as it is: a private
# chunk p0 {S2}, and the copy now serves {S3,S4}. 13 in use.
check "X3: write 4 KiB into chunk 0 of S2" dmr_io write $R2 4k 4k 122
s2="111/4:4:122 111*3 110*4 110/4:4:120/32:4:121 110*7"
used 13 "X3"
state "X3"

# W4: chunk 8 of the source gets seed 115. Never copied; S2 has its own,
# S1, S3 and S4 need the old data: one copy c8 v110 {S1,S3,S4}. 14 in
# use:
#   c0 v110 {S1}   c1 v110 {S1}   c2 v110 {S1}   c3 v110 {S1}
#   c2 v111 {S2}   c3 v111 {S2}   c4 v110 {S1,S2}   c5 v110 {S1,S2}
#   c0 v111 {S3,S4}   c5 v112 {S3,S4}   c6 v110 {S1,S2,S3,S4}
#   c8 v110 {S1,S3,S4}   p8 {S2}   p0 {S2}
check "W4: write chunk 8" dmr_io write $S 512k 64k 115
src="113 111 112 112 112 114 113/8:8:114 110 115 110*7"
used 14 "W4"
state "W4"

# drop N: delete SN.
drop() {
	case $1 in
	1) _g=$g1 g1='' s1='' ;;
	2) _g=$g2 g2='' s2='' ;;
	3) _g=$g3 g3='' s3='' ;;
	4) _g=$g4 g4='' s4='' ;;
	esac
	check "delete S$1" replicactl group delete "$_g"
	check_fails "S$1's replica is gone" dmsetup info "s$1_1"
}

# D1: S3 shares both of its copies with S4: nothing is freed. 14.
drop 3
used 14 "S3 deleted"
state "S3 deleted"

# D2: S2 alone needed c2 v111, c3 v111 and its private p8 and p0: 4 are
# freed (c4, c5 still serve S1; c6 serves S1 and S4). 10.
drop 2
used 10 "S2 deleted"
state "S2 deleted"

# D3: S4 alone needed c0 v111 and c5 v112: 2 are freed (c6 and c8 still
# serve S1). 8.
drop 4
used 8 "S4 deleted"
state "S4 deleted"

# W5: chunks 1 and 9 get seed 116. The newest snapshot is now S1:
# chunk 1 was copied since S1, no copy; chunk 9 never was: c9 v110 {S1}.
# 9 in use.
check "W5: write chunk 1" dmr_io write $S 64k 64k 116
check "W5: write chunk 9" dmr_io write $S 576k 64k 116
src="113 116 112 112 112 114 113/8:8:114 110 115 116 110*6"
used 9 "W5"
state "W5"

# D4: S1 was the last: its 9 copies are freed. 0.
drop 1
used 0 "S1 deleted"
state "S1 deleted"
check_eq "the source passes through" "$(dmsetup status sh-src | awk '{ print $4 }')" passthrough
finish
