# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency pinned (pip-compile of setup.cfg with the [dev] extra); `make lock` refreshes it
LOCK := requirements/constraints.txt
LOCK_FLAGS ?=

.PHONY: run test lint lock bench screenshots clean

# Installs exactly the pinned versions, so two machines (or CI and a laptop) test the same code.
# The project itself is built without isolation, with the pinned setuptools just installed.
$(STAMP): setup.cfg setup.py pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(LOCK) --no-build-isolation -e '.[dev]'
	touch $(STAMP)

## Re-pin $(LOCK) from setup.cfg (pins kept where still allowed). LOCK_FLAGS=--upgrade moves every pin to
## the newest allowed; LOCK_FLAGS="--upgrade-package flask" one. Needs no working install, only the venv.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet 'pip-tools>=7.4'
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-trusted-host --no-emit-find-links $(LOCK_FLAGS) --output-file $(LOCK) setup.cfg

## Serve the demo site (MPP Kota Cilegon) on http://127.0.0.1:8000 with SQLite, a fake ticket printer and a fake
## WhatsApp gateway (its messages: http://127.0.0.1:9200/ and instance/messages/).
## `make run DEMO_OPEN=1` ignores the demo's opening hours and holidays for that run, to try it at any hour.
DEMO_OPEN ?=
run: $(STAMP)
	@mkdir -p instance/printed instance/messages
	$(BIN)/python -m printers.fakeserver --host 127.0.0.1 --port 9100 --out-dir instance/printed --config config.toml & \
	  FAKE=$$!; \
	  $(BIN)/python -m fakegateway --host 127.0.0.1 --port 9200 --out-dir instance/messages --config config.toml \
	    --webhook http://127.0.0.1:8000/api/notify/whatsapp & \
	  GATEWAY=$$!; trap "kill $$FAKE $$GATEWAY 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/mpp-queue --config config.toml serve --host 127.0.0.1 --port 8000 $(if $(DEMO_OPEN),--demo-open,)

## Lint and run the whole test suite: in parallel (one worker per core; tests that share a Redis pub/sub
## channel in one worker), then the few that stop PostgreSQL or Redis, alone.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not stops_services"
	$(BIN)/python -m pytest -q -m stops_services

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/issue_tickets.py

## Refresh docs/screenshots/: the overview the README shows, then each surface's (its browser tests write them
## only when MPP_QUEUE_SCREENSHOTS is set, so an ordinary test run leaves the tracked PNGs alone).
screenshots: $(STAMP)
	$(BIN)/python -m tests.e2e.screenshots
	MPP_QUEUE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -m browser tests/browser tests/e2e

clean:
	rm -rf $(VENV) instance .pytest_cache
