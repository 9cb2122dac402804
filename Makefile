# The two commands: `make run` (develop) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint layers format migrations-check test-deps bench clean

# Fresh venv whenever the pinned requirements change.
$(STAMP): requirements/base.txt requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SMS Office needs Python >= 3.11: make PYTHON=python3.12 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data
	$(BIN)/python -m smsoffice.devrun

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The house rules of docs/architecture.md: import layers, and ORM writes only in services.
layers: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_orm_writes.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=smsoffice.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

test-deps:
	@sh scripts/ensure-test-packages.sh

test: $(STAMP) lint layers migrations-check test-deps
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/contacts_search.py
	$(BIN)/python bench/credit_holds.py
	$(BIN)/python bench/credit_history.py
	$(BIN)/python bench/sms_pipeline.py
	$(BIN)/python bench/sms_pages.py
	$(BIN)/python bench/reminders_tick.py
	$(BIN)/python bench/messages_tool.py
	$(BIN)/python bench/mail_alerts.py
	$(BIN)/python bench/incoming_sms.py
	$(BIN)/python bench/load_test.py
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
