#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests in the test VM and print KTAP. Each test_*.sh runs
# under a timeout; its output becomes KTAP diagnostics; exit 0 is ok, 4 is
# a skip, anything else a failure. A kernel report logged while a test ran
# fails that test too.

cd "$(dirname "$0")" || exit 1
# shellcheck source=tests/selftests/common.sh
. ./common.sh

timeout=$(sed -n 's/^timeout=//p' settings)
reports='WARNING:|BUG:|Oops|KASAN|kernel BUG|general protection|Call Trace|unreferenced object|possible circular locking|possible recursive locking|inconsistent lock state|INFO: task .* blocked'

# dmr.tests=GLOB on the kernel command line picks some of the test files
# (test_pool_*, test_snapshot_0[12]*).
only=$(sed -n 's/.*dmr\.tests=\([^ ]*\).*/\1/p' /proc/cmdline)
# shellcheck disable=SC2086 # the glob is meant to expand
set -- ${only:-test_*.sh}
echo "KTAP version 1"
echo "1..$#"
i=0
for t in "$@"; do
	i=$((i + 1))
	name=${t%.sh}
	dmesg -c >/dev/null
	out=$(timeout "$timeout" sh "./$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if dmesg | grep -E "$reports" >/tmp/reports; then
		sed 's/^/# kernel: /' /tmp/reports
		echo "not ok $i $name # kernel report"
	elif [ "$rc" = 0 ]; then
		echo "ok $i $name"
	elif [ "$rc" = "$KSFT_SKIP" ]; then
		echo "ok $i $name # SKIP $(printf '%s\n' "$out" | sed -n 's/^SKIP: //p' | head -n 1)"
	elif [ "$rc" = 143 ] || [ "$rc" = 124 ]; then
		echo "not ok $i $name # timeout after ${timeout}s"
	else
		echo "not ok $i $name # exit $rc"
	fi
done
