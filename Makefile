# The two commands of the README: `make run` (demo on SQLite, tasks in-process) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv migrate demo lint bench browser worker beat clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=True $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=True $(PY) manage.py seed_demo --if-empty
	DJANGO_DEBUG=True $(PY) manage.py demo_logins
	DJANGO_DEBUG=True $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	DJANGO_DEBUG=True $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	DJANGO_DEBUG=True $(PY) -m bench.run_all

# Debian's Chromium for the browser tests (never `playwright install`: no internet here).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

worker: $(STAMP)
	$(VENV)/bin/celery -A renewal_desk worker -l info

beat: $(STAMP)
	$(VENV)/bin/celery -A renewal_desk beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 var media staticfiles
