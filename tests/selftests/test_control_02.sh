#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Malformed requests on the control device (sizes, pointers, reserved
# fields, unknown commands, no privilege) get errors, never a kernel
# report (the runner fails the test on any).
# shellcheck source=tests/selftests/common.sh
. ./common.sh
require_module

check "every malformed request gets the right answer" dmr_ioctl /dev/dm-replica
dmr_ioctl /dev/dm-replica | sed 's/^/  /'
finish
