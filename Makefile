# Every install step lives here: CI runs `make test` in a fresh clone on a clean machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	bash scripts/demo.sh $(BIN)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check ics2b24 tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# Four workers on two cores: the suite mostly waits on loopback HTTP and on the processes it
# starts, so they cut its time about 2.5 times (8.5 min to 3.5). The corpus tests keep to one
# worker (tests/ical/test_corpus.py says why; it needs pytest<9.2, setup.cfg).
pytest: $(VENV)/.installed-test
	$(BIN)/pytest -n 4 --dist loadgroup

test: lint typecheck pytest

# The speed and robustness figures of bench/RESULTS.md (not part of `make test`; about 75 minutes on 2 cores, 45 of them
# bench.company's one-webhook run at its default scale, which its docstring explains). Each script prints
# its own section; bench/RESULTS.md keeps the last run's figures.
# Every script runs even when an earlier one misses its target; the target fails at the end.
BENCH_SCRIPTS := machine "convert_speed --profile" migration company rerun verify generations fuzz \
	soak "sync_machine --examples 100"

bench: $(VENV)/.installed-bench
	@status=0; for script in $(BENCH_SCRIPTS); do \
		echo "+ python -m bench.$$script"; \
		$(BIN)/python -m bench.$$script || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
