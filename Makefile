# Two commands do all set-up on a fresh machine:
#   make demo   - creates .venv if missing, then runs the built-in demo
#   make test   - creates .venv if missing, then runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test bench bench-full clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,video]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/formcheck demo

test: $(VENV)/.installed
	$(BIN)/python -m pytest formcheck tests

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
	rm -rf $(VENV) .pytest_cache .benchmarks out
