# The README's contract: `make run` serves the console with demo data; `make test` passes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := console

.PHONY: run test lint setup assets translations db clean messages bench

run: setup db
	@$(BIN)/flask seed-demo --if-empty
	@$(BIN)/flask scripts load scripts_config/*.yaml
	@$(BIN)/flask calls generate
	@$(BIN)/flask seed-demo-activity
	@echo
	@$(BIN)/flask demo-logins
	@echo
	@echo "Serving the console on http://127.0.0.1:$(PORT)  (Ctrl+C stops it)"
	@$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 \
		--access-logfile - --log-level warning wsgi:app

test: setup $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks (bench/README.md): one JSON line per figure; BENCH_ARGS="--quick" for a smoke run.
bench: setup $(VENV)/.dev-installed
	@$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

setup: $(VENV)/.installed assets translations

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

assets: static/vendor/htmx.min.js

static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy -d console/translations --statistics 2>&1 | tail -1

db: $(VENV)/.installed
	$(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache

# After changing interface text: refresh the catalogs, then translate the new entries.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --project="QC Call Console" \
		-o console/translations/messages.pot .
	$(BIN)/pybabel update -i console/translations/messages.pot -d console/translations
