# Two commands do everything on a fresh machine:
#   make demo   set up, then run the real pipeline on the built-in fictional demo web
#   make test   set up, then check formatting and lint, then run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# axe-core for the browser tests (tests/test_browser.py), from package-lock.json.
NODE_STAMP := node_modules/.package-lock.json

.PHONY: demo test lint serve setup clean

demo: $(STAMP)
	$(BIN)/cllr demo

test: lint $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# Formatting and lint (ruff, configured in pyproject.toml); `ruff format .` fixes the first.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

serve: $(STAMP)
	$(BIN)/cllr serve

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Where npm is missing or fails, the browser tests' audit skips (axe-core missing), and
# fails in CI. The browser tests also need Debian's chromium: .ci/run installs it, and
# elsewhere they skip without it (docs/browser-tests.md).
$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm not found: the browser tests' accessibility audit will skip (axe-core missing)"; \
	elif ! npm ci --no-audit --no-fund --loglevel=error; then \
	  echo "npm ci failed: the browser tests' accessibility audit will skip (axe-core missing)"; \
	fi

clean:
	rm -rf var .pytest_cache
