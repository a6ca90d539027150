# CareerLadder. `make run` and `make test` prepare everything they need and are idempotent.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Tests run on this many processes (pytest-xdist); 0 runs them in this one.
PYTEST_WORKERS ?= 2
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: run test prepare deps assets migrate demo lint schema contract clean bench load

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

deps: $(STAMP)
assets: $(NPM_STAMP)

migrate: deps
	$(PY) manage.py migrate --noinput -v 0

prepare: deps assets migrate
	$(PY) manage.py collectstatic --noinput -v 0

demo: prepare
	$(PY) manage.py seed_demo --if-empty

## Run the app on the embedded default (SQLite, tasks in process) with demo data.
run: demo
	@echo ""
	@echo "CareerLadder is starting on http://127.0.0.1:$(PORT)/  (Ctrl+C to stop)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

## Run the whole test suite (DATABASE_URL selects Postgres; browser tests run when Chromium exists).
test: prepare
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run -v 1
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

schema: deps
	@mkdir -p build
	$(PY) manage.py spectacular --format openapi-json --file build/schema.json

## Benchmark at health-system scale (docs/benchmarks.md): needs Postgres and Redis; replaces the
## content of BENCH_DATABASE_URL (created when missing). BENCH_ARGS="--full" for 100,000 technicians.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/careerladder_bench
BENCH_ARGS ?=
bench: deps assets
	$(PY) -c "from benchmarks.run import ensure_database; ensure_database('$(BENCH_DATABASE_URL)')"
	DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false $(PY) manage.py collectstatic --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false $(PY) -m benchmarks.run $(BENCH_ARGS)

## Mixed-traffic load test (technicians, managers, hr at once; zero errors required): needs
## Postgres and Redis (one cache for the workers, LOAD_CACHE_URL); seeds the scratch database
## LOAD_DATABASE_URL (created when missing) and writes its table into docs/benchmarks.md.
## LOAD_ARGS="--users 50 --seconds 120" for a longer run.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/careerladder_load
LOAD_ARGS ?=
load: deps assets
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) -m benchmarks.load_mixed --database-url $(LOAD_DATABASE_URL) $(LOAD_ARGS)

clean:
	rm -rf build var/staticfiles
