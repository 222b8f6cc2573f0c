# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Shared helpers of the dm-replica selftests. Sourced by every test_*.sh;
# runs under busybox sh in the test VM.
#
# A test prints diagnostics, checks outcomes with check/expect_*, and ends
# with "finish": exit 0 when every check passed, 1 otherwise. skip() exits
# 4, the KTAP convention for a requirement that is missing.

export DM_DISABLE_UDEV=1
export PATH="/selftests:$PATH"

KSFT_SKIP=4

# A seeded test takes its seed from DMR_SEED, which the host's DMR_SEED
# sets through the kernel command line (dmr.seed=N), to replay a run.
if [ -z "${DMR_SEED:-}" ] && [ -r /proc/cmdline ]; then
	DMR_SEED=$(sed -n 's/.*dmr\.seed=\([0-9]*\).*/\1/p' /proc/cmdline)
	[ -n "$DMR_SEED" ] && export DMR_SEED
fi
_failed=0
_checks=0

diag() { echo "$*"; }

skip() {
	echo "SKIP: $*"
	exit "$KSFT_SKIP"
}

fail() {
	echo "FAIL: $*"
	_failed=$((_failed + 1))
}

# check DESCRIPTION COMMAND...: run COMMAND, count a failure if it fails.
check() {
	_desc=$1
	shift
	_checks=$((_checks + 1))
	if _out=$("$@" 2>&1); then
		echo "ok: $_desc"
	else
		fail "$_desc: $_out"
	fi
}

# check_do DESCRIPTION COMMAND...: like check, but COMMAND runs in this
# shell (so that the variables it sets stay) and its output is not kept.
check_do() {
	_desc=$1
	shift
	_checks=$((_checks + 1))
	if "$@"; then
		echo "ok: $_desc"
	else
		fail "$_desc"
	fi
}

# check_fails DESCRIPTION COMMAND...: COMMAND must fail.
check_fails() {
	_desc=$1
	shift
	_checks=$((_checks + 1))
	if _out=$("$@" 2>&1); then
		fail "$_desc: succeeded but must fail"
	else
		echo "ok: $_desc"
	fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	_checks=$((_checks + 1))
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		fail "$1: got '$2', expected '$3'"
	fi
}

# end_if_failed: end the test now (exit 1) when a check has failed, for a
# step that the rest of the test cannot do without.
end_if_failed() {
	[ "$_failed" -eq 0 ] && return 0
	echo "ending the test at the first failure"
	finish
}

finish() {
	[ "$_checks" -gt 0 ] || { echo "FAIL: the test checked nothing"; exit 1; }
	[ "$_failed" -eq 0 ] || exit 1
	exit 0
}

require_module() {
	[ -c /dev/dm-replica ] || modprobe dm-replica ||
		skip "cannot load dm-replica"
}

# disk SERIAL: the /dev path of the virtio disk with that serial.
disk() {
	for _d in /sys/block/vd*; do
		[ "$(cat "$_d/serial" 2>/dev/null)" = "$1" ] &&
			{ echo "/dev/${_d##*/}"; return 0; }
	done
	return 1
}

# The scratch disks the VM runner attaches (see tests/vm/run-vm.sh).
require_disks() {
	DISK_A=$(disk dmr-a) || skip "no scratch disk dmr-a"
	DISK_B=$(disk dmr-b) || skip "no scratch disk dmr-b"
	DISK_C=$(disk dmr-c) || skip "no scratch disk dmr-c"
	export DISK_A DISK_B DISK_C
}

sectors() { blockdev --getsz "$1"; }

# sysblk DEV: the /sys/block directory of a /dev path (dm devices
# included: without udev, /dev/mapper/NAME is a node, not a link).
sysblk() {
	case $1 in
	/dev/mapper/*) echo "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "${1#/dev/mapper/}")" ;;
	*) _r=$(readlink -f "$1"); echo "/sys/block/${_r##*/}" ;;
	esac
}

# stat_field DEV N: field N (1-based) of /sys/block/DEV/stat.
stat_field() {
	awk -v n="$2" '{ print $n }' "$(sysblk "$1")/stat"
}

dm_create() {
	dmsetup create "$1" --table "$2"
}

# Remove the dm devices this test made; used from an EXIT trap.
dm_cleanup() {
	for _n in "$@"; do
		dmsetup info "$_n" >/dev/null 2>&1 && dmsetup remove "$_n"
	done
	return 0
}

# dmesg_has TEXT: TEXT was logged since the test started.
dmesg_has() {
	dmesg | grep -qF -- "$1"
}

# json_get KEY: the first value of "KEY" (a number or a string without
# quotes or commas) in the JSON on stdin, as replicactl prints it.
json_get() {
	awk -v k="\"$1\":" '{
		i = index($0, k)
		if (!i)
			next
		s = substr($0, i + length(k))
		sub(/^ *"?/, "", s)
		match(s, /^[^",}]*/)
		print substr(s, 1, RLENGTH)
		exit
	}'
}

# meta_len DEV [GROUPS]: the sectors a pool format of DEV with GROUPS
# group slots (256, the default, when not given) may write: the
# superblock's 8 sectors, 128 per slot, an owner table of at most one
# sector per 136 (8-sector chunks), rounding up to a 2048-sector chunk;
# all of a device smaller than that.
meta_len() {
	_n=$(sectors "$1")
	_len=$((4096 + ${2:-256} * 128 + _n / 128))
	[ "$_len" -le "$_n" ] || _len=$_n
	echo "$_len"
}

# blank DEV [GROUPS]: zero all that a pool format may write (superblock,
# group records, owner table; see meta_len).
blank() {
	dmr_io zeroout "$1" 0 "$(meta_len "$1" "${2:-}")s" >/dev/null
}

# pool_create NAME DEV CHUNK_SECTORS [GROUPS]: a pool on a blanked device,
# with GROUPS group slots (the module's default when not given).
pool_create() {
	blank "$2" "${4:-}" || return 1
	if [ -n "${4:-}" ]; then
		dm_create "$1" "0 $(sectors "$2") replica-pool $2 4 format $3 groups $4"
	else
		dm_create "$1" "0 $(sectors "$2") replica-pool $2 2 format $3"
	fi
}

# pool_max_groups NAME: the group slots, from the pool's status line.
pool_max_groups() {
	dmsetup status "$1" | awk '{ print $8 }'
}

# source_create NAME DEV [SECTORS]: with a dm UUID, which a group records
# as the source's identity.
source_create() {
	dmsetup create "$1" --uuid "DMR-SOURCE-$1" --table "0 ${3:-$(sectors "$2")} replica-source $2"
}

# group_create REL POOL SOURCE...: a snapshot group, waited for; sets
# GROUP_ID. Extra options go in $GROUP_OPTS.
group_create() {
	_rel=$1 _pool=$2
	shift 2
	_srcs=$(echo "$@" | tr ' ' ',')
	# shellcheck disable=SC2086
	_out=$(replicactl --json create-group-replica --relationship-name "$_rel" \
		--target-pool "/dev/mapper/$_pool" --source-elements "$_srcs" \
		--wait-for-copy-state synchronized $GROUP_OPTS) || {
		echo "create-group-replica failed: $_out"
		return 1
	}
	GROUP_ID=$(echo "$_out" | json_get group_id)
	[ -n "$GROUP_ID" ]
}

# group_field ID KEY: a field of replicactl group show --json.
group_field() {
	replicactl --json group show "$1" | json_get "$2"
}

# pool_used NAME: chunks in use, from the pool's status line.
pool_used() {
	dmsetup status "$1" | awk '{ split($5, a, "/"); print a[1] }'
}

# md_held NAME: owner table blocks the pool holds in memory; md_blocks
# NAME: how many the table has.
md_held() {
	dmsetup status "$1" | awk '{ split($9, a, "/"); print a[1] }'
}
md_blocks() {
	dmsetup status "$1" | awk '{ split($9, a, "/"); print a[2] }'
}

# md_blocks_used DEV: owner table blocks (136 entries each) with an entry
# in use, read from the pool device DEV.
md_blocks_used() {
	dmr_io owner-list "$1" | awk '$1 != "data_start" {
		k = int($1 / 136); if (!(k in b)) { b[k] = 1; n++ } } END { print n + 0 }'
}

# json_valid: stdin is one well-formed JSON value and nothing else. The
# VM has no JSON parser, so this is a small recursive-descent one in awk.
json_valid() {
	awk '
	function ws() {
		while (pos <= n && index(" \t\r\n", substr(s, pos, 1)))
			pos++
	}
	function lit(re) {
		if (!match(substr(s, pos), re))
			return 0
		pos += RLENGTH
		return 1
	}
	function str() {
		return lit("^\"([^\"\\\\]|\\\\[\"\\\\/bfnrtu])*\"")
	}
	function value(   c) {
		ws()
		c = substr(s, pos, 1)
		if (c == "{")
			return members("}", 1)
		if (c == "[")
			return members("]", 0)
		if (c == "\"")
			return str()
		return lit("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?") ||
			lit("^(true|false|null)")
	}
	function members(endc, keyed,   c) {
		pos++
		ws()
		if (substr(s, pos, 1) == endc) {
			pos++
			return 1
		}
		for (;;) {
			ws()
			if (keyed) {
				if (!str())
					return 0
				ws()
				if (substr(s, pos, 1) != ":")
					return 0
				pos++
			}
			if (!value())
				return 0
			ws()
			c = substr(s, pos++, 1)
			if (c == endc)
				return 1
			if (c != ",")
				return 0
		}
	}
	{ s = s $0 "\n" }
	END {
		n = length(s)
		pos = 1
		ok = value()
		ws()
		exit !(ok && pos > n)
	}'
}

# dev_md5 DEV: the md5 of all of DEV, read with O_DIRECT (the page cache
# cannot hide what is on the device).
dev_md5() {
	dd if="$1" bs=64k iflag=direct 2>/dev/null | md5sum | awk '{ print $1 }'
}

# verify_chunks DEV WORD...: DEV holds, chunk after chunk (64 KiB, or
# $CHUNK_KIB KiB), the dmr_io pattern of the seed each WORD names, and is
# exactly that long. A WORD is SEED; SEED*COUNT for COUNT chunks of it;
# "-" (or -*COUNT) for a chunk not checked; or SEED/OFF:LEN:SEED2[/...]:
# SEED2 for LEN KiB at OFF KiB into the chunk (in increasing OFF), SEED
# around. Adjacent ranges of one seed are checked in one read.
verify_chunks() {
	_dev=$1
	shift
	echo "$*" | awk -v ck="${CHUNK_KIB:-64}" '
	function emit(off, len, seed) {
		if (len <= 0)
			return
		if (n && seed == ps && off == po + pl) {
			pl += len
			return
		}
		if (n)
			print po "k", pl "k", ps
		po = off
		pl = len
		ps = seed
		n = 1
	}
	{
		for (i = 1; i <= NF; i++) {
			w = $i
			rep = 1
			if (split(w, r, "*") == 2) {
				w = r[1]
				rep = r[2]
			}
			k = split(w, p, "/")
			for (j = 0; j < rep; j++) {
				if (w != "-") {
					at = 0
					for (m = 2; m <= k; m++) {
						split(p[m], o, ":")
						emit(c * ck + at, o[1] - at, p[1])
						emit(c * ck + o[1], o[2], o[3])
						at = o[1] + o[2]
					}
					emit(c * ck + at, ck - at, p[1])
				}
				c++
			}
		}
	}
	END {
		if (n)
			print po "k", pl "k", ps
		print "size", c * ck * 1024
	}' >/tmp/verify_chunks || return 1
	while read -r _off _len _seed; do
		if [ "$_off" = size ]; then
			_size=$(blockdev --getsize64 "$_dev") || return 1
			[ "$_size" = "$_len" ] ||
				{ echo "$_dev: $_size bytes, expected $_len"; return 1; }
		else
			dmr_io verify "$_dev" "$_off" "$_len" "$_seed" || return 1
		fi
	done </tmp/verify_chunks
}

# shuffle SEED N: the numbers 1..N in a random order that SEED fixes.
shuffle() {
	awk -v seed="$1" -v n="$2" 'BEGIN {
		srand(seed)
		for (i = 1; i <= n; i++)
			a[i] = i
		for (i = n; i > 1; i--) {
			j = int(rand() * i) + 1
			t = a[i]
			a[i] = a[j]
			a[j] = t
		}
		for (i = 1; i <= n; i++)
			printf "%d%s", a[i], i < n ? " " : "\n"
	}'
}

# dwc_wait SEQ: read the output of a "dmr_dwc write" from file descriptor
# 3 until it reports record SEQ or later as written: every record up to
# it is then on the devices. Fails when the writer stops, or after 60 s
# without a line.
dwc_wait() {
	# shellcheck disable=SC3045 # busybox sh, the VM's shell, has read -t
	while read -r -t 60 _w _s <&3; do
		[ "$_w" = seq ] && [ "$_s" -ge "$1" ] && return 0
	done
	echo "the dependent-write writer stopped before record $1"
	return 1
}

# ended PID: the background process PID has exited (reaped or a zombie).
ended() {
	[ ! -e "/proc/$1/stat" ] && return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" = Z ]
}

# wait_ended SECONDS PID...: poll until every PID has exited or SECONDS
# have passed; true when all have exited. (A task asleep in the kernel
# cannot be killed, so "timeout" alone would not bound the test.)
wait_ended() {
	_end=$(($(date +%s) + $1))
	shift
	while :; do
		_all=1
		for _p in "$@"; do
			ended "$_p" || { _all=0; break; }
		done
		[ "$_all" = 1 ] && return 0
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
}

# in_ioctl PID DEV: PID sleeps in an ioctl on DEV.
in_ioctl() {
	# shellcheck disable=SC2034 # the arguments after the fd are not used
	read -r _nr _fd _rest <"/proc/$1/syscall" 2>/dev/null || return 1
	[ "$_nr" = 16 ] || return 1
	[ "$(readlink "/proc/$1/fd/$((_fd))")" = "$2" ]
}

# Clone groups (SyncType 8).

# clone_create REL POOL SOURCE...: a clone group, returned once its point
# in time is taken (WaitForCopyState Unsynchronized) while its background
# copy runs on in its job; sets GROUP_ID and CLONE_JOB. Extra options
# (--replication-setting-data copy_rate=N) go in $GROUP_OPTS.
clone_create() {
	_rel=$1 _pool=$2
	shift 2
	_srcs=$(echo "$@" | tr ' ' ',')
	# shellcheck disable=SC2086
	_out=$(replicactl --json create-group-replica --sync-type clone \
		--relationship-name "$_rel" --target-pool "/dev/mapper/$_pool" \
		--source-elements "$_srcs" --wait-for-copy-state unsynchronized $GROUP_OPTS) || {
		echo "create-group-replica failed: $_out"
		return 1
	}
	GROUP_ID=$(echo "$_out" | json_get group_id)
	CLONE_JOB=$(echo "$_out" | json_get job_id)
	[ -n "$GROUP_ID" ] && [ -n "$CLONE_JOB" ] && [ "$CLONE_JOB" != 0 ]
}

# job_field JOB KEY: a field of replicactl job show --json.
job_field() {
	replicactl --json job show "$1" | json_get "$2"
}

# clone_progress ID: "COPIED TOTAL" for group ID: the chunks of its
# members held in the pool, and all their chunks (a member has
# ceil(sectors / chunk_sectors) of them), from one group show.
clone_progress() {
	replicactl --json group show "$1" | awk '
	function get(s, k,   i) {
		i = index(s, "\"" k "\": ")
		if (!i)
			return -1
		s = substr(s, i + length(k) + 4)
		match(s, /^[0-9]+/)
		return RLENGTH > 0 ? substr(s, 1, RLENGTH) + 0 : -1
	}
	{
		m = "{\"n\": "
		s = $0
		i = index(s, m)
		if (!i)
			exit 1
		cs = get(substr(s, 1, i), "chunk_sectors")
		if (cs <= 0)
			exit 1
		s = substr(s, i + length(m))
		while (s != "") {
			i = index(s, m)
			one = i ? substr(s, 1, i) : s
			s = i ? substr(s, i + length(m)) : ""
			c = get(one, "copied_chunks")
			n = get(one, "sectors")
			if (c < 0 || n < 0)
				exit 1
			copied += c
			total += int((n + cs - 1) / cs)
		}
		print copied, total
		ok = 1
		exit
	}
	END { exit !ok }'
}

# clone_percent ID: the copied fraction of group ID, in whole percent
# (rounded down).
clone_percent() {
	clone_progress "$1" | awk '$2 > 0 { print int($1 * 100 / $2); ok = 1 } END { exit !ok }'
}

# member_states ID: the CopyState of each member of group ID, in order.
member_states() {
	replicactl --json group show "$1" | awk '{
		m = "{\"n\": "
		k = "\"copy_state\": "
		s = $0
		out = ""
		while ((i = index(s, m))) {
			s = substr(s, i + length(m))
			j = index(s, k)
			if (!j)
				exit 1
			t = substr(s, j + length(k))
			match(t, /^[0-9]+/)
			out = out (out == "" ? "" : " ") substr(t, 1, RLENGTH)
		}
		print out
	}'
}

# wait_copied ID LO HI SECONDS: poll until the copied fraction of group ID
# is LO to HI percent; fails when it is past HI when first seen in time,
# or SECONDS pass. Leaves the last fraction in COPIED_PCT.
wait_copied() {
	_end=$(($(date +%s) + $4))
	while :; do
		COPIED_PCT=$(clone_percent "$1") || { echo "group $1: no copied fraction"; return 1; }
		[ "$COPIED_PCT" -gt "$3" ] &&
			{ echo "group $1: $COPIED_PCT% copied, past $3% before it was seen"; return 1; }
		[ "$COPIED_PCT" -ge "$2" ] && return 0
		[ "$(date +%s)" -ge "$_end" ] &&
			{ echo "group $1: $COPIED_PCT% copied after $4 s, not $2%"; return 1; }
		sleep 0.1
	done
}

# changed_runs ID MEMBER: the runs of replicactl group changed-chunks, as
# "START COUNT SIDE" each, then "known" or "unknown", on one line.
changed_runs() {
	replicactl group changed-chunks "$1" "$2" | awk '{
		s = $0
		while ((i = index(s, "{\"start_chunk\":"))) {
			s = substr(s, i + 15)
			split(s, f, /[,:}"]+/)
			# f: start, chunk_count, n, offset, n, length, n, changed_on, side
			print f[1], f[3], f[9]
		}
		print (index($0, "\"known\":true") ? "known" : "unknown")
	}' | tr '\n' ' ' | sed 's/ $//'
}
