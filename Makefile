# OpenIOP developer commands. Needs only make and Python >= 3.12: scripts/uv finds the
# interpreter and installs uv into .tools/ when it is missing.
#
#   make demo                 the demo clinic on http://127.0.0.1:8000 (make demo ARGS=--reset)
#   make test                 everything CI runs: lint, migrations, SQLite, browser, PostgreSQL
#   make lint | migrations-check | test-sqlite | test-e2e | test-postgres

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The steps of `make test` share one database server and one browser: run them in order.
.NOTPARALLEL:

# uv must use a local Python, never download one (these machines reach package registries only).
export UV_PYTHON_DOWNLOADS := never

# Scripts run through bash, so they work even where a checkout lost their executable bit.
UV := bash scripts/uv
PYTEST := bash scripts/run-pytest
LINT_PATHS := $(wildcard openiop tests bench)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/openiop
# Extra arguments for `make demo`, e.g. ARGS=--reset.
ARGS ?=
# Extra arguments for every pytest run, e.g. PYTEST_ARGS="-x -k audit".
PYTEST_ARGS ?=

section = @printf '\n==> %s\n' "$(1)"

.PHONY: help sync demo test lint migrations-check test-sqlite test-e2e test-postgres \
	test-postgres-when-reachable

help:
	@sed -n '1,7p' Makefile | sed 's/^# \{0,1\}//'

sync:
	$(call section,uv sync --frozen)
	$(UV) sync --frozen

demo: sync
	$(UV) run --frozen openiop demo $(ARGS)

test: sync lint migrations-check test-sqlite test-e2e test-postgres-when-reachable
	$(call section,all checks passed)

lint: sync
	$(call section,ruff check $(LINT_PATHS))
	$(UV) run --frozen ruff check $(LINT_PATHS)

migrations-check: sync
	$(call section,migrations match the models)
	env -u DATABASE_URL OPENIOP_TESTING=1 $(UV) run --frozen openiop makemigrations --check --dry-run

# --dist loadgroup: tests marked xdist_group (the demo clinic's checks, which share one build)
# run on one worker; every other test is spread over the workers as usual.
test-sqlite: sync
	$(call section,tests on SQLite (parallel, without browser tests))
	env -u DATABASE_URL $(PYTEST) -n auto --dist loadgroup -m "not e2e" $(PYTEST_ARGS)

test-e2e: sync
	$(call section,browser tests (Chromium at /usr/bin/chromium))
	env -u DATABASE_URL $(PYTEST) -m e2e $(PYTEST_ARGS)

test-postgres: sync
	$(call section,tests on PostgreSQL (parallel, without browser tests))
	DATABASE_URL=$(POSTGRES_URL) $(PYTEST) -n auto --dist loadgroup -m "not e2e" $(PYTEST_ARGS)

# Part of `make test`: PostgreSQL is optional on a laptop, but CI sets
# OPENIOP_REQUIRE_POSTGRES=1 so that a server that failed to start fails the build.
test-postgres-when-reachable: sync
	@if bash scripts/postgres-is-up; then \
		$(MAKE) --no-print-directory --old-file=sync test-postgres; \
	elif [ "$${OPENIOP_REQUIRE_POSTGRES:-0}" = 1 ]; then \
		echo "PostgreSQL is not reachable at 127.0.0.1:5432, and OPENIOP_REQUIRE_POSTGRES=1." >&2; \
		exit 1; \
	else \
		printf '\n==> PostgreSQL not reachable at 127.0.0.1:5432: PostgreSQL tests skipped\n'; \
	fi
