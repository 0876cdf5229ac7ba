# Quick start: `make demo` and `make test`. Both set up .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# every Python folder: ruff lints and checks the format of these (docs/architecture.md, Habits)
RUFF_PATHS := wire server client tests bench tools

.PHONY: demo test venv bench lint docs clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[client,scale,metrics,test,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m client.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/tick.py
	$(BIN)/python bench/matcher.py
	$(BIN)/python bench/client_frames.py
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/ruff format --check $(RUFF_PATHS)
	$(BIN)/mypy
	$(BIN)/peerspace scenario lint scenarios/
	$(BIN)/python tools/lint_dockerfile.py Dockerfile

docs: $(STAMP)
	$(BIN)/python tools/import_graph.py --write
	$(BIN)/python tools/protocol_tables.py --write

clean:
	rm -rf $(VENV) var out .pytest_cache .mypy_cache .ruff_cache
