# SPDX-License-Identifier: GPL-2.0
#
# Installing, the source tarball and the Debian packages; included by the
# top-level Makefile, which defines top, VM, KDIR, KDIR_AUTO and Q.
#
#   make install           everything below, into DESTDIR (default: the live
#                          system, then depmod and ldconfig run)
#   make install-module    mbx.ko into /lib/modules/<release>/$(MODULE_DIR),
#                          <release> being KDIR's kernel
#   make install-lib       libmailbox, its headers (with <linux/mbx.h>), its
#                          pkg-config file and man pages (lib/Makefile)
#   make install-tools     mailboxctl and mailboxctl(8) (tools/Makefile)
#   make install-udev      the udev rule that opens /dev/mailbox to every user
#   make install-sla       the SLA server: its programs, systemd units
#                          (UNITDIR, $(PREFIX)/lib/systemd/system) and
#                          example configuration (sla/Makefile)
#   make install-doc       the modules-load.d example, README, CHANGELOG, ...
#   make uninstall         removes what install put, with the same variables
#   make dist              build/mbx-$(VERSION).tar.gz, from git: the source
#                          that dkms and the Debian packages build
#   make deb               the Debian packages, from that tarball, into
#                          build/deb/ (DEBDIR; dpkg-buildpackage -us -uc -b,
#                          its log in build.log), then lintian (lintian.txt):
#                          an error fails
#
# Variables (as the GNU coding standards name them): DESTDIR, PREFIX
# (/usr/local), BINDIR, LIBDIR, INCLUDEDIR, MANDIR, DOCDIR, UDEVRULESDIR
# (/etc/udev/rules.d: udev reads no rules under /usr/local), MODULE_DIR
# (updates).

VERSION := $(shell cat $(top)/VERSION)

BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/mbx
UDEVRULESDIR ?= /etc/udev/rules.d
MODULE_DIR ?= updates
INSTALL ?= install
DEPMOD ?= depmod
LDCONFIG ?= ldconfig

install_vars = PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' LIBDIR='$(LIBDIR)' \
	INCLUDEDIR='$(INCLUDEDIR)' MANDIR='$(MANDIR)' DESTDIR='$(DESTDIR)' \
	INSTALL='$(INSTALL)' LDCONFIG='$(LDCONFIG)'

DOCS := README.md CHANGELOG CONTRIBUTING.md
DOCS := $(wildcard $(addprefix $(top)/,$(DOCS)))

# The kernel release of KDIR (the modules' vermagic), in the shell: $$kdir
# and $$krel.
define kernel_release
	kdir='$(KDIR)'; \
	$(if $(KDIR_AUTO),kdir=$$($(VM)/deps.sh kdir) || exit 1;) \
	krel=$$(sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
		"$$kdir/include/generated/utsrelease.h" 2>/dev/null); \
	[ -n "$$krel" ] || { echo "$$kdir: no kernel release in include/generated/utsrelease.h (is KDIR a kernel build tree?)" >&2; exit 1; }
endef

install: install-module install-lib install-tools install-udev install-doc install-sla

install-module: modules
	$(Q)$(kernel_release); \
	dest='$(DESTDIR)'/lib/modules/$$krel/$(MODULE_DIR); \
	echo "  INSTALL $$dest/mbx.ko"; \
	$(INSTALL) -d "$$dest" && $(INSTALL) -m 0644 $(top)/kmod/mbx.ko "$$dest/mbx.ko" || exit 1; \
	$(if $(DESTDIR),,$(DEPMOD) -a "$$krel")

install-lib: lib
	$(Q)$(MAKE) -C $(top)/lib install $(install_vars)

install-tools: tools
	$(Q)$(MAKE) -C $(top)/tools install $(install_vars)

install-sla: sla
	$(Q)$(MAKE) -C $(top)/sla install $(install_vars) $(if $(UNITDIR),UNITDIR='$(UNITDIR)')

install-udev:
	@echo "  INSTALL $(DESTDIR)$(UDEVRULESDIR)/60-mailbox.rules"
	$(Q)$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR)
	$(Q)$(INSTALL) -m 0644 $(top)/tools/60-mailbox.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(Q)$(if $(DESTDIR),,! command -v udevadm >/dev/null || udevadm control --reload || true)

install-doc:
	@echo "  INSTALL $(DESTDIR)$(DOCDIR)"
	$(Q)$(INSTALL) -d $(DESTDIR)$(DOCDIR)/examples
	$(Q)$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 $(top)/tools/modules-load.d/mbx.conf \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.d-mbx.conf

uninstall:
	$(Q)$(kernel_release); \
	dest='$(DESTDIR)'/lib/modules/$$krel/$(MODULE_DIR); \
	echo "  RM      $$dest/mbx.ko"; \
	rm -f "$$dest/mbx.ko"; \
	$(if $(DESTDIR),,$(DEPMOD) -a "$$krel")
	$(Q)$(MAKE) -C $(top)/lib uninstall $(install_vars)
	$(Q)$(MAKE) -C $(top)/tools uninstall $(install_vars)
	$(Q)$(MAKE) -C $(top)/sla uninstall $(install_vars) $(if $(UNITDIR),UNITDIR='$(UNITDIR)')
	@echo "  RM      $(DESTDIR)$(UDEVRULESDIR)/60-mailbox.rules $(DESTDIR)$(DOCDIR)"
	$(Q)rm -f $(DESTDIR)$(UDEVRULESDIR)/60-mailbox.rules
	$(Q)rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)) examples/modules-load.d-mbx.conf)
	$(Q)for d in $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR); do \
		! [ -d $$d ] || rmdir --ignore-fail-on-non-empty $$d || exit 1; \
	done

# dkms.conf carries the version, so it is made from dkms.conf.in.
$(top)/build/dkms.conf: $(top)/dkms.conf.in $(top)/VERSION
	@mkdir -p $(@D)
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $< >$@.$$$$ && mv $@.$$$$ $@

# The work tree's files that git does not ignore, as they are (committed or
# not: a temporary index, the real one is not touched), plus dkms.conf.
DIST := $(top)/build/mbx-$(VERSION).tar.gz
dist: $(top)/build/dkms.conf
	$(Q)cd $(top) && git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "make dist: $(top) is not a git work tree" >&2; exit 1; }
	$(Q)cd $(top) && idx=$$(mktemp) && trap 'rm -f "$$idx"' EXIT && \
		cp "$$(git rev-parse --git-path index)" "$$idx" && \
		GIT_INDEX_FILE=$$idx git add -A . && \
		tree=$$(GIT_INDEX_FILE=$$idx git write-tree) && \
		git archive --format=tar --prefix=mbx-$(VERSION)/ \
			--add-file=build/dkms.conf $$tree | gzip -n -9 >$(DIST).$$$$ && \
		mv $(DIST).$$$$ $(DIST)
	@echo "  DIST    $(DIST)"

# dpkg-buildpackage writes beside the source directory: build from the
# tarball in build/deb/, so that nothing lands outside the tree.
DEBDIR := $(top)/build/deb
deb: dist
	$(Q)$(top)/tools/pkg/deps.sh
	$(Q)rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)
	$(Q)tar -xzf $(DIST) -C $(DEBDIR)
	@echo "  DPKG    $(DEBDIR)"
	$(Q)cd $(DEBDIR)/mbx-$(VERSION) && \
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS dpkg-buildpackage -us -uc -b \
		>$(DEBDIR)/build.log 2>&1 || { tail -n 40 $(DEBDIR)/build.log; exit 1; }
	@echo "  LINTIAN $(DEBDIR)/*.changes"
	$(Q)lintian --fail-on error $(DEBDIR)/*.changes >$(DEBDIR)/lintian.txt 2>&1; \
		rc=$$?; grep -v 'running with root privileges' $(DEBDIR)/lintian.txt; exit $$rc
	$(Q)ls $(DEBDIR)/*.deb

# The packaging checks that boot a VM: dkms, the Debian packages, the README
# (make check runs them too, tools/vm/check.sh).
check-packaging:
	$(Q)$(VM)/deps.sh vm
	$(Q)$(top)/tools/pkg/deps.sh
	$(Q)$(MAKE) -j$(NPROC) all
	$(Q)$(top)/tools/pkg/check.sh

.PHONY: install install-module install-lib install-tools install-udev install-doc install-sla \
	uninstall dist deb check-packaging
