#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# replicactl pool create refuses a device where libblkid finds a signature,
# and names it, even when the first 4 KiB are zero: an md RAID member
# (1.2 metadata at 4 KiB, 1.0 metadata at the end) and btrfs (64 KiB).
# --force passes a signature only where the kernel finds the metadata
# range all zero; the device keeps every byte whenever it is refused.
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module
require_disks
command -v mdadm >/dev/null || skip "no mdadm"
command -v mkfs.btrfs >/dev/null || skip "no mkfs.btrfs"
# The md cases need the md driver (the stock kernels have it as modules;
# a kernel without it runs the btrfs case alone).
modprobe -q raid1 2>/dev/null
md=1
[ -e /sys/module/md_mod ] || { md=; diag "no md driver: md cases skipped"; }
mkdir -p /run/mdadm
trap 'mdadm --stop /dev/md90 >/dev/null 2>&1; dm_cleanup dmr-pool' EXIT

D=$DISK_B
n=$(sectors "$D")
sum() { dd if="$1" bs=1M 2>/dev/null | md5sum | cut -d' ' -f1; }

# create_md METADATA: a degraded RAID 1 with member $D, stopped again.
# shellcheck disable=SC2317 # called through check
create_md() {
	clear_all &&
		mdadm --create /dev/md90 --run --force --metadata="$1" --level=1 \
			--raid-devices=2 "$D" missing &&
		mdadm --stop /dev/md90
}

# shellcheck disable=SC2317 # called through check
make_btrfs() {
	blank "$D" && mkfs.btrfs -q -f --mixed "$D"
}

# shellcheck disable=SC2317 # called through check
clear_all() {
	blank "$D" && dmr_io zeroout "$D" -1m 1m
}

# refused RC WHAT TEXT [--force]: replicactl refuses $D with exit code
# RC and TEXT (the signature's name) in its message, and every byte of $D
# stays.
refused() {
	_want=$1 _what=$2 _type=$3
	shift 3
	_before=$(sum "$D")
	dmesg -c >/dev/null
	_out=$(replicactl pool create "$D" --name dmr-pool "$@" 2>&1)
	_rc=$?
	diag "replicactl $*: $_out"
	check_eq "$_what: refused (exit $_want)" "$_rc" "$_want"
	case $_out in
	*"$_type"*) check_eq "$_what: the message names $_type" 1 1 ;;
	*) check_eq "$_what: the message names $_type" "$_out" "... $_type ..." ;;
	esac
	check_fails "$_what: no pool device left" dmsetup info dmr-pool
	check_eq "$_what: every byte kept (checksum)" "$(sum "$D")" "$_before"
}

# md 1.2: the superblock at 4 KiB, inside the metadata range.
if [ "$md" ]; then
check "an md 1.2 member" create_md 1.2
check "its first 4 KiB are zero" dmr_io zero-verify "$D" 0 4k
refused 5 "md 1.2" linux_raid_member
refused 4 "md 1.2 with --force" "the kernel log says why" --force
check "the kernel refused: data at 4 KiB" \
	dmesg_has "non-zero data at byte offset 4096: refusing to format it as a pool"
dmesg -c >/dev/null
check_fails "a raw format is refused too" \
	dm_create dmr-pool "0 $n replica-pool $D 2 format 128"
check "logged: the offset" dmesg_has "non-zero data at byte offset 4096"
fi

# btrfs: the superblock at 64 KiB.
check "a btrfs filesystem" make_btrfs
check "its first 4 KiB are zero" dmr_io zero-verify "$D" 0 4k
refused 5 "btrfs" btrfs
refused 4 "btrfs with --force" "the kernel log says why" --force
check "the kernel refused: data at 64 KiB" dmesg_has "non-zero data at byte offset 65536"

# md 1.0: the superblock near the end, past the metadata range. Only
# --force formats it, and the kernel agrees: the range is zero.
if [ "$md" ]; then
check "an md 1.0 member" create_md 1.0
check "its metadata range is zero" dmr_io zero-verify "$D" 0 "$(meta_len "$D")s"
refused 5 "md 1.0" linux_raid_member
check "--force formats it" replicactl pool create "$D" --name dmr-pool --force
check_eq "a healthy pool" "$(dmsetup status dmr-pool | awk '{ print $7 }')" ok
check "remove" dmsetup remove dmr-pool
fi
check "leave the disk blank" clear_all
finish
