# SPDX-License-Identifier: GPL-2.0
#
# ftp-portmap top-level Makefile.
#
#   make                 module (against KDIR), portmapctl, the netlink fuzzer
#   make check           install test dependencies, build, run every suite
#   make demo            FTP through NAT on a non-standard port, narrated
#   make unit | fuzz FUZZ_SECONDS=N | bench-parser | bench | checkpatch
#   make install         module into /lib/modules, portmapctl into PREFIX

# Kernel build directory: the running kernel's, else the newest installed.
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d "$$d" ]; then echo "$$d"; else \
	ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; fi)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 30
export KDIR

.PHONY: all module cli fuzznl unit fuzz bench-parser bench check demo deps \
	install install-module install-cli checkpatch clean

all: module cli fuzznl

module:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
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

bench-parser:
	$(MAKE) -C tests/bench parser

bench: all
	$(MAKE) -C tests/bench all

deps:
	scripts/install-deps.sh

check: deps
	$(MAKE) all
	tests/run-all.sh

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
	$(MAKE) -C tests/fuzznl clean
	$(MAKE) -C tests/fuzz clean
	$(MAKE) -C tests/bench clean
