# SPDX-License-Identifier: GPL-2.0
#
# ftp-portmap top-level Makefile.
#
#   make                 module (against KDIR) and portmapctl
#   make check           install test dependencies, build, run every suite
#                        on every test kernel (tests/run-all.sh)
#   make check-quick     unit, short fuzz, the suites on Debian's 6.1
#   make debug-kernel    build or reuse the debug-6.1 kernel; the last two
#                        lines are KERNEL=<image> and KDIR=<tree>
#   make kmod K=NAME     ftp_portmap.ko for kernel NAME (debian-6.1,
#                        debian-6.12, debug-6.1) in build/kmod/NAME/
#   make demo            FTP through NAT on a non-standard port, narrated
#   make unit | fuzz FUZZ_SECONDS=N | bench-parser | bench | checkpatch
#   make install         module into /lib/modules, portmapctl into PREFIX

# Kernel build directory (scripts/kernels.sh default-kdir): the running
# kernel's if it has one, else that of Debian's default flavour (the
# version linux-headers-amd64 depends on: 6.1 on Debian 12), else the
# only one installed; never "whatever sorts last".  KDIR=DIR overrides.
KDIR ?= $(shell $(CURDIR)/scripts/kernels.sh default-kdir 2>/dev/null)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 30
export KDIR

.PHONY: all module cli unit fuzz bench-parser bench check check-quick \
	debug-kernel kmod demo deps install install-module install-cli \
	checkpatch clean

all: module cli

module:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		scripts/kernels.sh default-kdir >/dev/null; \
		echo "error: no kernel build directory; install linux-headers or pass KDIR=DIR" >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli:
	$(MAKE) -C tools/portmapctl

unit:
	$(MAKE) -C tests/unit run

fuzz:
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

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

debug-kernel:
	@tests/vm/build-kernel.sh

kmod:
	@if [ -z "$(K)" ]; then echo "usage: make kmod K=debian-6.1|debian-6.12|debug-6.1" >&2; exit 2; fi
	@scripts/kernels.sh kmod $(K)

demo: deps
	$(MAKE) all
	tests/demo.sh

install: install-module install-cli

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(notdir $(patsubst %/build,%,$(KDIR))) 2>/dev/null || depmod -a

install-cli: cli
	$(MAKE) -C tools/portmapctl install PREFIX=$(PREFIX)

checkpatch:
	scripts/checkpatch.sh

clean:
	-[ -n "$(KDIR)" ] && [ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/portmapctl clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean
	$(MAKE) -C tests/bench clean
