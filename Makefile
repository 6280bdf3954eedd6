# Makker: `make run` serves the app with its watchdog; `make test` runs every test.
# Both do all set-up themselves on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PO_FILES := $(shell find app -path '*/translations/*/LC_MESSAGES/messages.po')
MO_FILES := $(PO_FILES:.po=.mo)
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast test-browser lint translations migrate browser oidc-provider bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=78.1.1"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	@$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null 2>&1 || $(BIN)/pybabel compile -i $< -o $@

translations: $(MO_FILES)

migrate: $(STAMP) translations
	$(FLASK) db upgrade heads

run: migrate
	MAKKER_DEMO=$${MAKKER_DEMO:-1} MAKKER_EMBEDDED_WATCHDOG=1 $(FLASK) serve

# The browser suite needs Debian's Chromium; as root we install it, elsewhere we say how.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium"; fi; \
	fi

# The single sign-on tests start a real OpenID provider (Node's oidc-provider, pinned by its lockfile).
OIDC_PROVIDER := tests/sso/oidc_provider
oidc-provider: $(OIDC_PROVIDER)/node_modules/.installed

$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null; then \
	  (cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error) && touch $@; \
	else echo "The OpenID Connect tests need Node.js 20+ and npm (they are skipped without)"; fi

test: $(STAMP) translations browser oidc-provider
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-fast: $(STAMP) translations oidc-provider
	$(BIN)/pytest -q -m "not browser and not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP) translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(MO_FILES) .pytest_cache
