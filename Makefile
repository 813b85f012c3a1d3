# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench screenshots clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Serve the demo site (MPP Kota Cilegon) on http://127.0.0.1:8000 with SQLite and a fake ticket printer.
run: $(STAMP)
	@mkdir -p instance/printed
	$(BIN)/python -m printers.fakeserver --host 127.0.0.1 --port 9100 --out-dir instance/printed & \
	  FAKE=$$!; trap "kill $$FAKE 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/mpp-queue --config config.toml serve --host 127.0.0.1 --port 8000

## Lint and run the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/issue_tickets.py

## Refresh docs/screenshots/: the overview the README shows, then each surface's (its browser tests write them
## only when MPP_QUEUE_SCREENSHOTS is set, so an ordinary test run leaves the tracked PNGs alone).
screenshots: $(STAMP)
	$(BIN)/python -m tests.e2e.screenshots
	MPP_QUEUE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -m browser tests/browser tests/e2e

clean:
	rm -rf $(VENV) instance .pytest_cache
