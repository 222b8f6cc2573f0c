# SPDX-License-Identifier: GPL-2.0
#
# dm-replica: build the module and the tool, check the code, and run the
# tests and the demo in QEMU. See README.md.

# Kernel build directory: the running kernel's when it has one, else the
# headers of the first stock Debian kernel the test VM boots (6.1).
KVER ?= $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(KVER)/build/Makefile),)
KDIR ?= /lib/modules/$(KVER)/build
else
KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64)))
endif

DMR_CACHE ?= /var/cache/dm-replica
export DMR_CACHE

# checkpatch.pl comes with Debian's kernel source package (make deps).
CHECKPATCH_DIR = $(DMR_CACHE)/checkpatch
CHECKPATCH ?= $(CHECKPATCH_DIR)/scripts/checkpatch.pl

SHELL_SCRIPTS = $(shell git ls-files '*.sh' 2>/dev/null) tests/vm/init .ci/run
KERNEL_FILES = $(shell git ls-files 'module/*.[ch]' 'uapi/*.h' 2>/dev/null)

.PHONY: all module tools clean check checkpatch sparse shellcheck wcheck \
	deps test demo bench install install-module install-tools kunit-kernel fuzz

all: module tools

module:
	@test -n "$(KDIR)" || { echo "no kernel build directory: run make deps or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/replicactl

# Where "make install" puts the tool and the systemd unit that runs
# "replicactl activate" at boot (tools/systemd/).
PREFIX ?= /usr/local
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
UNIT = dm-replica-activate.service

install: install-module install-tools

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

install-tools: tools
	$(MAKE) -C tools/replicactl install PREFIX=$(PREFIX)
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)/etc/dm-replica
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' tools/systemd/$(UNIT).in \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$(UNIT)
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$(UNIT)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/replicactl clean
	$(MAKE) -C tests/selftests clean
	rm -rf build

deps:
	bash tests/vm/deps.sh

kunit-kernel: deps
	bash tests/kunit/build-kernel.sh

# Static checks: checkpatch, sparse, W=1, shellcheck.
check: deps checkpatch sparse shellcheck

$(CHECKPATCH_DIR)/scripts/checkpatch.pl:
	mkdir -p $(CHECKPATCH_DIR)
	tar -C $(CHECKPATCH_DIR) --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		$(addprefix linux-source-6.1/scripts/,checkpatch.pl spelling.txt const_structs.checkpatch)

checkpatch: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $(KERNEL_FILES)

# One build with sparse (C=2) and W=1: both must be silent.
sparse wcheck:
	@mkdir -p build
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" W=1 modules 2>&1 | tee build/check.log
	@! grep -E 'warning|error' build/check.log

shellcheck:
	shellcheck -x -P SCRIPTDIR $(SHELL_SCRIPTS)

# The whole test suite: KUnit on the KUnit kernel, selftests on every
# stock Debian kernel and on the KUnit kernel, with the kernel logs scanned.
test: deps check
	bash tests/run.sh

# The ioctl fuzzer run long, by default on the KUnit kernel (KASAN,
# lockdep): every request's answer a row of the errno table. FUZZ_COUNT
# requests, or as many as fit in the selftest timeout (on the KUnit kernel
# in QEMU without KVM, some 600 a second; on a stock kernel, 2500).
FUZZ_COUNT ?= 200000
FUZZ_KERNELS ?= kunit
fuzz: deps
	DMR_KERNELS='$(FUZZ_KERNELS)' DMR_CRASH=0 DMR_SELFTESTS='test_control_04*' \
		DMR_FUZZ=$(FUZZ_COUNT) bash tests/run.sh

# Benchmarks in the VM with fio (tests/bench/bench.sh): a table, and
# build/bench.json. DMR_BENCH_REPEATS sets the repeats of each figure.
bench: deps
	bash tests/run.sh --bench

# Boot the demo VM on the stock 6.1 kernel.
demo: deps
	bash tests/run.sh --demo
