#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a test VM's kernel log for reports of kernel trouble: WARN, BUG,
# oops, KASAN, lockdep, kmemleak, hung tasks, panics. Prints each report's
# first line and exits 1 when there is any.

set -u
log=$1

patterns=(
	'WARNING: '			# WARN*(), and lockdep's reports
	'------------\[ cut here \]'
	'BUG: '				# BUG(), KASAN, sleeping in atomic, NULL deref
	'kernel BUG at'
	'Oops'
	'general protection fault'
	'KASAN'
	'UBSAN'
	'possible circular locking dependency'
	'possible recursive locking'
	'inconsistent lock state'
	'DEBUG_LOCKS_WARN_ON'
	'unreferenced object'		# kmemleak
	'suspected memory leak'
	'INFO: task .* blocked for more than'
	'Kernel panic'
	'Call Trace:'
)

re=$(printf '%s|' "${patterns[@]}")
re=${re%|}
if grep -nE "$re" "$log" >"$log.reports"; then
	echo "kernel reports in $log:" >&2
	head -n 20 "$log.reports" >&2
	exit 1
fi
rm -f "$log.reports"
exit 0
