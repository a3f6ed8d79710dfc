# SPDX-License-Identifier: GPL-2.0
#
# mbx: a kernel module (kmod/), its uAPI header (include/uapi/linux/mbx.h),
# a library (lib/), tools (tools/) and selftests (selftests/).
#
#   make                  the module against KDIR, then lib, tools, selftests
#   make check            the selftests in QEMU on Debian's 6.1, 6.12 and
#                         6.12-rt kernels and on the debug kernel (built once
#                         and cached); KERNELS="6.1 6.12" narrows it,
#                         TESTS="mbx_call_test" runs only those selftests;
#                         then the SLA scenario on 6.1 and 6.12 (not with
#                         TESTS= unless MBX_SLA=1; MBX_SLA=0 leaves it out)
#   make check-debug      the selftests in QEMU on a debug kernel built from
#                         linux-source-6.1 (lockdep, KASAN, kmemleak, ...)
#   make run              the SLA server's scenario in QEMU (KERNEL=6.12):
#                         fio in two cgroups on null_blk, the processes over
#                         three mailboxes, a report; the web page on
#                         127.0.0.1:8080 (SLA_PORT=) while it runs;
#                         SLA_CONF=FILE runs the server on this host instead
#                         (the module loaded) against that configuration,
#                         SLA_DRY_RUN=1 only observing (sla/run-host.sh)
#   make sla-soak         the scenario with 20 sla-core kills (KERNEL=6.12)
#   make sla-pg           the scenario with its database on a PostgreSQL
#                         server on the host (KERNEL=6.12)
#   make vm-shell         a root shell in QEMU, module loaded (KERNEL=6.12)
#   make bench            mailbox-bench in QEMU on each kernel
#   make stress           the stress test for STRESS_SECONDS (600) per kernel
#   make fuzz             the fuzzers for FUZZ_OPS (1,000,000) per kernel
#   make coverage         line and branch coverage of kmod/ after the suite on
#                         the debug kernel: a table, and build/coverage/html
#   make install-headers  the uAPI header into $(DESTDIR)$(PREFIX)/include/linux
#   make install          the module, library, headers, mailboxctl, man pages,
#                         udev rule (DESTDIR, PREFIX, LIBDIR, MANDIR, ...:
#                         mk/install.mk); make uninstall removes them
#   make dist             build/mbx-<version>.tar.gz, for dkms and packages
#   make deb              the Debian packages into build/deb/, then lintian
#   make check-packaging  dkms, the Debian packages and the README's example,
#                         in QEMU (make check runs them too)
#   make clean
#
# KDIR: the kernel build tree; by default the running kernel's, and on a host
# without one (a container, a VM) the 6.1 test kernel's headers, fetched into
# MBX_CACHE (tools/vm/deps.sh).  Missing Debian packages are installed with
# apt-get.  V=1 shows the commands.
#
# A userspace directory (lib, tools, examples, selftests) takes part once it
# has a Makefile with `all` and `clean`; lib is built first.  The VM runner
# copies every ELF program and shared library that lib/, tools/ and examples/
# leave in their directories into the VM, and runs selftests/Makefile's
# TEST_GEN_PROGS.

top := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VM := $(top)/tools/vm

KDIR ?= /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),file)
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR_AUTO := 1
endif
endif

PREFIX ?= /usr/local
NPROC := $(shell nproc)
KERNEL ?= 6.12
# KERNELS: empty runs tools/vm/lib.sh's DEFAULT_KERNELS

SUBDIRS := $(patsubst %/Makefile,%,$(wildcard $(addsuffix /Makefile,lib tools examples selftests sla)))

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

all: modules userspace

deps:
	$(Q)$(VM)/deps.sh build

modules: | deps
	$(Q)kdir='$(KDIR)'; \
	$(if $(KDIR_AUTO),kdir=$$($(VM)/deps.sh kdir) || exit 1;) \
	$(MAKE) -C "$$kdir" M=$(top) W=1 $(if $(filter 1,$(V)),V=1) modules

userspace: $(SUBDIRS)

$(SUBDIRS): | deps
	$(Q)$(MAKE) $(if $(Q),-s) -C $@

$(filter-out lib,$(SUBDIRS)): $(filter lib,$(SUBDIRS))

check: export MBX_VM_TESTS = $(TESTS)
check:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(top)/tools/pkg/deps.sh
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/check.sh $(KERNELS)

# SLA_CONF=FILE: on this host (the module loaded), against that file
run:
ifneq ($(SLA_CONF),)
	$(Q)$(MAKE) -j$(NPROC) userspace
	$(Q)SLA_DRY_RUN=$(SLA_DRY_RUN) $(top)/sla/run-host.sh $(SLA_CONF)
else
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/sla-check.sh --run $(KERNEL)
endif

sla-soak:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)MBX_VM_TIMEOUT=600 $(VM)/sla-check.sh $(KERNEL) 20

sla-pg:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/sla-check.sh --pg $(KERNEL)

vm-shell:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/vm.sh shell $(KERNEL)

# The suite on a kernel built with lockdep, KASAN, kmemleak, DEBUG_LIST and
# DEBUG_ATOMIC_SLEEP (tools/vm/debug-kernel.sh; built once, then cached).
check-debug:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/debug-kernel.sh check

# The suite on the debug kernel with the module built for gcov, then the
# per-file line and branch coverage of kmod/ (tools/vm/coverage.sh; TESTS
# narrows it).  Figures: Documentation/userspace-api/mbx-testing.rst.
coverage: export MBX_VM_TESTS = $(TESTS)
coverage:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(VM)/coverage.sh

# The benchmark in the VM on each kernel (KERNELS narrows it; BENCH_ARGS
# replaces the arguments), then the price list of single system calls
# (mailbox-syscost). Figures: Documentation/userspace-api/mbx-bench.rst.
BENCH_ARGS ?= --case pingpong,inflight,solo,sweep \
	--mech pipe,eventfd,futex,sysv,mailbox,mailbox-batch,mailbox-uring \
	--repeat 3 --iters 10000 --detail
bench:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)set -e; for k in $(or $(KERNELS),6.1 6.12 6.12-rt); do \
		echo "# mailbox-bench on $$k"; \
		MBX_VM_TIMEOUT=$${MBX_VM_TIMEOUT:-1200} \
			$(VM)/vm.sh exec $$k "mailbox-bench $(BENCH_ARGS) && mailbox-syscost"; \
	done

# The long runs, in the VM on each kernel (KERNELS narrows it): the stress
# test for STRESS_SECONDS (32 processes, 4 mailboxes), the fuzzers
# (mbx_fuzz_test, then mbx_statefuzz_test) for FUZZ_OPS operations each
# (FUZZ_SEED replays a run; on the debug kernel the module is built for
# kcov, which guides the state fuzzer). Each fails on a failed check, a
# failed rmmod or a kernel log report, as make check does.
STRESS_SECONDS ?= 600
FUZZ_OPS ?= 1000000
stress fuzz:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)set -e; for k in $(or $(KERNELS),6.1 6.12 6.12-rt); do \
		echo "# $@ on $$k"; \
		if [ $@ = stress ]; then \
			MBX_VM_TIMEOUT=$$(($(STRESS_SECONDS) + 900)) $(VM)/vm.sh exec $$k \
				"MBX_STRESS_SECONDS=$(STRESS_SECONDS) /selftests/mbx_stress_test"; \
		else \
			MBX_VM_KCOV=$$([ $$k != debug ] || echo 1) \
			MBX_VM_TIMEOUT=7200 $(VM)/vm.sh exec $$k \
				"export MBX_FUZZ_OPS=$(FUZZ_OPS) $(if $(FUZZ_SEED),MBX_FUZZ_SEED=$(FUZZ_SEED) MBX_FUZZ_KEY=$(FUZZ_SEED)); \
				/selftests/mbx_fuzz_test && /selftests/mbx_statefuzz_test"; \
		fi; \
	done

install-headers:
	$(Q)install -D -m 0644 $(top)/include/uapi/linux/mbx.h \
		$(DESTDIR)$(PREFIX)/include/linux/mbx.h

clean:
	$(Q)for d in $(SUBDIRS); do $(MAKE) -C $$d clean || exit 1; done
	$(Q)rm -rf $(top)/build
	$(Q)cd $(top) && rm -f Module.symvers modules.order .*.cmd .module-common.o \
		kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/modules.order

include $(top)/mk/install.mk

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' $(top)/Makefile

.PHONY: all deps modules userspace $(SUBDIRS) check run sla-soak sla-pg vm-shell bench stress fuzz \
	check-debug coverage install-headers clean help
