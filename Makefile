# SPDX-License-Identifier: GPL-2.0
#
# ftp-portmap top-level Makefile.
#
#   make                 module (against KDIR), portmapctl, the netlink fuzzer
#   make check           install test dependencies, build, run every suite
#                        on Debian's 6.1 and alg+stream on 6.12
#                        (tests/run-all.sh)
#   make check-debug     the same plus the debug-6.1 stage (KASAN, kmemleak,
#                        lockdep: builds the debug kernel when not cached)
#   make check-quick     unit, short fuzz, the suites on Debian's 6.1
#   make debug-kernel    build or reuse the debug-6.1 kernel; the last two
#                        lines are KERNEL=<image> and KDIR=<tree>
#   make kmod K=NAME     ftp_portmap.ko for kernel NAME (debian-6.1,
#                        debian-6.12, debug-6.1) in build/kmod/NAME/
#   make demo            FTP through NAT on a non-standard port, narrated
#   make unit | fuzz FUZZ_SECONDS=N | spec-check | bench-parser | bench |
#        checkpatch
#   make install         module, portmapctl, man page, bash completion,
#                        systemd unit and modules-load.d entry; honours
#                        DESTDIR and INSTALL_MOD_PATH (no depmod then)
#   make deb             ftp-portmap-dkms and portmapctl .debs in build/deb/

# Kernel build directory (scripts/kernels.sh default-kdir): the running
# kernel's if it has one, else that of Debian's default flavour (the
# version linux-headers-amd64 depends on: 6.1 on Debian 12), else the
# only one installed; never "whatever sorts last".  KDIR=DIR overrides.
KDIR ?= $(shell $(CURDIR)/scripts/kernels.sh default-kdir 2>/dev/null)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
MODULESLOADDIR ?= /usr/lib/modules-load.d
# A staged install (DESTDIR or INSTALL_MOD_PATH) runs no depmod.
INSTALL_MOD_PATH ?= $(DESTDIR)
FUZZ_SECONDS ?= 30
export KDIR

.PHONY: all module cli fuzznl unit fuzz spec-check bench-parser bench check check-quick check-debug \
	debug-kernel kmod demo deps install install-module install-cli \
	install-systemd install-modules-load checkpatch clean deb

all: module cli fuzznl

module:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		scripts/kernels.sh default-kdir >/dev/null; \
		echo "error: no kernel build directory; install linux-headers or pass KDIR=DIR" >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli:
	$(MAKE) -C tools/portmapctl

# the generic netlink fuzzer of tests/netns/fuzznl.sh
fuzznl:
	$(MAKE) -C tests/fuzznl

unit:
	$(MAKE) -C tests/unit run

fuzz:
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C tests/fuzz coverage

# include/uapi/ftp_portmap.h against the genetlink spec
# (Documentation/netlink/specs/ftp_portmap.yaml); the running module's
# policies are checked against it by tests/netns/cli.sh.
spec-check:
	tests/spec/fpm_spec.py uapi

bench-parser:
	$(MAKE) -C tests/bench parser

bench: all
	$(MAKE) -C tests/bench all

deps:
	scripts/install-deps.sh

check: deps
	$(MAKE) all
	tests/run-all.sh

check-quick: deps
	$(MAKE) all
	tests/run-all.sh --quick

check-debug: deps
	$(MAKE) all
	tests/run-all.sh --debug

debug-kernel:
	@tests/vm/build-kernel.sh

kmod:
	@if [ -z "$(K)" ]; then echo "usage: make kmod K=debian-6.1|debian-6.12|debug-6.1" >&2; exit 2; fi
	@scripts/kernels.sh kmod $(K)

demo: deps
	$(MAKE) all
	tests/demo.sh

install: install-module install-cli install-systemd install-modules-load

install-module: module
ifeq ($(strip $(INSTALL_MOD_PATH)),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(notdir $(patsubst %/build,%,$(KDIR))) 2>/dev/null || depmod -a
else
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install \
		INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH)) DEPMOD=/bin/true
endif

install-cli: cli
	$(MAKE) -C tools/portmapctl install PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) \
		DESTDIR=$(DESTDIR)

# The unit (paths filled in from SBINDIR) and the modules-load.d entry
# (which goes with the module: the ftp-portmap-dkms package).
install-systemd:
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		-e 's|@CONFFILE@|$(SYSCONFDIR)/ftp-portmap.conf|g' \
		packaging/ftp-portmap.service.in \
		>$(DESTDIR)$(UNITDIR)/ftp-portmap.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ftp-portmap.service

install-modules-load:
	install -d $(DESTDIR)$(MODULESLOADDIR)
	install -m 0644 packaging/modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/ftp-portmap.conf

# The .debs, built from a copy of the tree (dpkg-buildpackage writes to
# the parent directory of the source).
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} build/deb/src/ || \
		tar --exclude=./build --exclude=./.git -cf - . | tar -C build/deb/src -xf -
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	ls -l build/deb/*.deb

checkpatch:
	scripts/checkpatch.sh

clean:
	-[ -n "$(KDIR)" ] && [ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/portmapctl clean
	rm -rf build/deb build/kmod
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzznl clean
	$(MAKE) -C tests/fuzz clean
	$(MAKE) -C tests/bench clean
