# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check-production install lint bench-health bench-ingest bench-tickets bench-freshness bench-webhooks \
	clean-data

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run.py

test: $(STAMP)
	$(PY) scripts/test.py $(ARGS)

# collectstatic + check --deploy with DEBUG=0, then one page and a static file served by gunicorn.
check-production: $(STAMP)
	$(PY) scripts/check_production.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench-health: $(STAMP)
	$(PY) manage.py bench health --accounts 20000 --days 90

bench-ingest: $(STAMP)
	$(PY) manage.py bench usage-ingest

bench-tickets: $(STAMP)
	$(PY) manage.py bench tickets --tickets 1000000 --open 50000

# Freshness: usage batch accepted -> affected accounts' scores updated, p95 under 60 s at 20,000 accounts.
bench-freshness: $(STAMP)
	$(PY) manage.py bench freshness --accounts 20000

# Webhooks: 10,000 events to a loopback receiver by one worker (< 60 s), then exactly-once against a flaky one.
bench-webhooks: $(STAMP)
	$(PY) manage.py bench webhooks --events 10000 --flaky-events 10000

clean-data:
	-$(PY) -m config.embedded_db stop
	rm -rf .data
