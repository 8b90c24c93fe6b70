# Two commands do all set-up on a fresh machine:
#   make demo   - creates .venv if missing, then runs the built-in demo
#   make test   - creates .venv and .venv-core if missing, then runs the test suite in each
PYTHON ?= python3
VENV ?= .venv
CORE_VENV ?= .venv-core
BIN = $(VENV)/bin
CORE_BIN = $(CORE_VENV)/bin

.PHONY: demo test test-full test-core test-fast bench bench-full clean

# The development install: every extra (MediaPipe pins numpy<2; dask for the cluster tests).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,video,dask]"
	touch $@

# The core install an app gets from `pip install formcheck`: no video or dask extra, numpy 2.
$(CORE_VENV)/.installed: pyproject.toml
	test -x $(CORE_BIN)/python || $(PYTHON) -m venv $(CORE_VENV)
	$(CORE_BIN)/python -m pip install --quiet --upgrade pip
	$(CORE_BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/formcheck demo

# What CI runs: the whole suite with every extra, then again on the core install,
# where the tests and doctests that need the video extra skip with the reason.
test: test-full test-core

test-full: $(VENV)/.installed
	$(BIN)/python -m pytest formcheck tests

test-core: $(CORE_VENV)/.installed
	$(CORE_BIN)/python -c "import numpy; print('core install, numpy', numpy.__version__)"
	$(CORE_BIN)/python -m pytest formcheck tests

# The edit-test loop: unit tests and doctests, without the slow and video tests (about five minutes).
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest formcheck tests -q -m "not slow and not video"

# Benchmarks (docs/benchmarks.md): quick takes under a minute, full about three on 2 cores.
bench: $(VENV)/.installed
	mkdir -p out
	FORMCHECK_BENCH=quick $(BIN)/python -m pytest benchmarks/bench_scaling.py benchmarks/bench_accuracy.py \
		-o addopts="" -ra --benchmark-json=out/bench-quick.json

bench-full: $(VENV)/.installed
	mkdir -p out
	FORMCHECK_BENCH=full $(BIN)/python -m pytest benchmarks/bench_scaling.py benchmarks/bench_accuracy.py \
		-o addopts="" -ra --benchmark-json=out/bench-full.json

clean:
	rm -rf $(VENV) $(CORE_VENV) .pytest_cache .benchmarks out
