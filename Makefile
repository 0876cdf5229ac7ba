# Quick start: `make demo` and `make test`. Both set up .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# every Python folder: ruff lints and checks the format of these (docs/architecture.md, Habits)
RUFF_PATHS := wire server client tests bench tools

# the lock (docs/architecture.md, Habits: dependencies): every package pinned with its hashes, resolved by uv for
# every platform and Python >= 3.11; the venv installs the dev lock (a superset of the server's, same versions)
LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
# the extras a server deployment installs (requirements.txt); tools/lock.py LOCKS says the same
SERVER_EXTRAS := scale metrics postgresql fast
COMPILE = $(BIN)/uv pip compile -q pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

.PHONY: demo test venv catalogs bench lint docs lock upgrade clean bundle bundle-check

# the venv: exactly the locked packages (pip checks every hash), then the project itself without dependencies;
# tools/lock.py check fails here when pyproject asks for something the lock lacks (then: make lock). The build
# backend (setuptools) comes from the lock too (--no-build-isolation), and pip stays the one the Python came with
# (hash checking and editable installs need pip >= 21.3): nothing is downloaded that the lock does not pin
$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python tools/lock.py check
	touch $(STAMP)

# uv comes from the lock (the dev extra), so `make lock` runs where the check above has just failed
$(BIN)/uv:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(DEV_LOCK)

venv: $(STAMP)

# the translations: .po files are the source; gettext reads the .mo files compiled here (never committed)
catalogs: $(STAMP)
	$(BIN)/python tools/catalogs.py compile

demo: $(STAMP) catalogs
	$(BIN)/python -m client.demo

# the slowest tests are listed at the end: the suite stays under ~15 minutes on CI's 2 cores
test: $(STAMP) catalogs
	$(BIN)/python -m pytest -q --durations=20

bench: $(STAMP)
	$(BIN)/python bench/tick.py
	$(BIN)/python bench/matcher.py
	$(BIN)/python bench/start.py
	$(BIN)/python bench/client_frames.py
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/ruff format --check $(RUFF_PATHS)
	$(BIN)/mypy
	$(BIN)/peerspace scenario lint scenarios/
	$(BIN)/python -m server.scenarios lint scenarios/courses/openings/
	$(BIN)/python -m server.courses lint scenarios/courses/
	$(BIN)/python tools/lint_dockerfile.py Dockerfile
	$(BIN)/python tools/catalogs.py check

# the installable desktop client (tools/bundle.py, docs/deploy.md "Installing the client"): every platform's bundle
# into build/bundle/<platform>/; bundle-check (CI, after test) builds the Linux one only and runs it against a real
# server: sign in, join, screenshot (out/bundle/)
bundle: $(STAMP)
	$(BIN)/python tools/bundle.py build

bundle-check: $(STAMP)
	$(BIN)/python tools/bundle.py build --platform manylinux_2_28_x86_64
	$(BIN)/python tools/bundle.py check

docs: $(STAMP)
	$(BIN)/python tools/import_graph.py --write
	$(BIN)/python tools/protocol_tables.py --write

# after a change to pyproject's dependencies: re-resolve, keeping every pin that still fits
lock: $(BIN)/uv
	$(COMPILE) --all-extras -o $(DEV_LOCK)
	$(COMPILE) $(addprefix --extra ,$(SERVER_EXTRAS)) -c $(DEV_LOCK) -o $(LOCK)

# the newest releases pyproject's bounds allow; prints what changed (then run `make test` and commit the lock)
upgrade: $(BIN)/uv
	cp $(DEV_LOCK) $(VENV)/lock-before.txt
	$(COMPILE) --all-extras --upgrade -o $(DEV_LOCK)
	$(COMPILE) $(addprefix --extra ,$(SERVER_EXTRAS)) -c $(DEV_LOCK) -o $(LOCK)
	@echo "changed in $(DEV_LOCK) ($(LOCK) takes the same versions):"
	@$(BIN)/python tools/lock.py diff $(VENV)/lock-before.txt $(DEV_LOCK)

clean:
	rm -rf $(VENV) var out build .pytest_cache .mypy_cache .ruff_cache
