# Kelisim: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SYSTEM_PACKAGES := libharfbuzz-subset0 poppler-utils fonts-dejavu-core
export KELISIM_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test install translations extract-messages sysdeps bench fuzz lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP) translations

# WeasyPrint renders ~10x faster with HarfBuzz's subsetter; pdftotext makes PDFs testable.
sysdeps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "note: install these Debian packages for full speed and the PDF tests: $$missing"; fi; \
	fi

translations: $(STAMP)
	$(BIN)/pybabel compile -d web/translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l --no-location --sort-output -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching --no-wrap

run: install sysdeps
	$(BIN)/kelisim db upgrade
	$(BIN)/kelisim seed-demo
	$(BIN)/kelisim serve --host 127.0.0.1 --port 5000

# The suite runs on every core, a test file per worker (its server and fixtures stay together).
test: install sysdeps
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: install
	$(BIN)/python bench/speech_clearance.py
	$(BIN)/python bench/worker.py
	$(BIN)/python bench/uploads.py
	$(BIN)/python bench/policy_diff.py
	$(BIN)/python bench/policy_pdf.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/lists.py
	$(BIN)/python bench/diagrams.py

fuzz: install
	$(BIN)/pip install -q 'schemathesis>=4,<5'
	$(BIN)/python bench/fuzz.py

lint: install
	$(BIN)/ruff check processes storage forms web tests bench tools
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache
