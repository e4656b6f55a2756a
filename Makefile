# One command to serve the demo site, one to run the whole test suite (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test test-sqlite test-postgres test-mariadb test-browser lint docs demo venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,postgres,docs,lint]"

## make test: the whole suite (SQLite always; with CI=true also PostgreSQL, MariaDB and the browser tests)
test: venv lint test-sqlite
ifeq ($(CI),true)
test: test-postgres test-mariadb test-browser docs
test: test-multiserver
endif

test-sqlite:
	$(BIN)/python -m pytest -q -m "not browser"

test-postgres:
	DATABASE=postgres $(BIN)/python -m pytest -q -m "not browser and not multiserver"

# Two app servers, a deployer and visitors on one PostgreSQL database and one Redis cache
# (tests/test_multiserver.py); .ci/run starts Redis on 127.0.0.1:6379 when it is not running.
.PHONY: test-multiserver
test-multiserver: venv
	$(BIN)/pip install --quiet -e ".[multiserver]"
	RV_MULTISERVER=1 DATABASE=postgres $(BIN)/python -m pytest -q -m multiserver tests/test_multiserver.py

# MariaDB on 127.0.0.1:3306: scripts/setup-mariadb starts the server if needed, loads its
# time-zone tables and creates the test user (rv_test) before the suite runs. The dvsite test
# builds its own SQLite/PostgreSQL sites: it runs in the other two stages.
test-mariadb: venv
	./scripts/setup-mariadb
	$(BIN)/pip install --quiet -e ".[mariadb]"
	DATABASE=mariadb MYSQL_USER=rv_test MYSQL_PASSWORD=rv_test $(BIN)/python -m pytest -q -m "not browser and not dvsite"

test-browser:
	./scripts/install-browser
	$(BIN)/python -m pytest -q -m browser tests/e2e

# Update the German and French catalogs after changing a translatable string (needs GNU
# gettext: apt install gettext); translate the new entries, run it again, commit .po and .mo.
.PHONY: messages
messages:
	$(BIN)/python scripts/makemessages

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs:
	$(BIN)/sphinx-build -q -n -W -b html docs docs/_build/html

## make demo: create, seed and serve the demo site on http://127.0.0.1:8000/ (make demo PORT=8001: another port)
PORT ?= 8000
demo: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[demo]"
	PORT=$(PORT) $(BIN)/python demo/manage.py setup_demo
	$(BIN)/python demo/manage.py runserver 127.0.0.1:$(PORT)
