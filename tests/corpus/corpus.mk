# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The project's own corpus, for the Makefiles of tests/unit, tests/fuzz and
# tests/bench (include this after setting PROJECT_ROOT).
#
#   CORPUS_DIR      where tests/corpus/gen-corpus.py writes it
#                   (default build/corpus): session-client.txt,
#                   session-server.txt, variants.tsv
#   SHARED_CORPUS   the shared corpus beside the project
#                   (../shared/corpus), used only as an extra check when it
#                   is there; a clone of the repository alone needs nothing
#                   outside it.
#
# The corpus is generated (deterministically, seed in the script) when it is
# missing or the generator changed.

CORPUS_GEN := $(PROJECT_ROOT)/tests/corpus/gen-corpus.py
CORPUS_DIR ?= $(PROJECT_ROOT)/build/corpus
SHARED_CORPUS ?= $(abspath $(PROJECT_ROOT)/../shared/corpus)
CORPUS_STAMP := $(CORPUS_DIR)/.generated
CORPUS_FILES := $(CORPUS_DIR)/session-client.txt \
	$(CORPUS_DIR)/session-server.txt $(CORPUS_DIR)/variants.tsv
PYTHON3 ?= python3

$(CORPUS_STAMP): $(CORPUS_GEN)
	$(PYTHON3) $(CORPUS_GEN) $(CORPUS_DIR)
	@touch $@

$(CORPUS_FILES): $(CORPUS_STAMP)

.PHONY: corpus
corpus: $(CORPUS_STAMP)
