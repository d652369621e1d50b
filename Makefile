# Two commands for a fresh machine: `make demo` and `make test`. Each installs what is missing first.
VENV ?= .venv
OUT ?= demo-out

.PHONY: demo test test-quick bootstrap bench lint

bootstrap:
	@./scripts/bootstrap.sh

demo: bootstrap
	$(VENV)/bin/rollready demo --out $(OUT)

test: bootstrap lint
	ROLLREADY_TEST_POSTGRES=required $(VENV)/bin/python -m pytest -q

# The quick tier while working: every test but those marked slow (> 5 s each); `make test` runs all.
test-quick: bootstrap lint
	$(VENV)/bin/python -m pytest -q -m "not slow"

lint: bootstrap
	$(VENV)/bin/ruff check scanner bench
	$(VENV)/bin/mypy

bench: bootstrap
	$(VENV)/bin/python bench/engine.py
	$(VENV)/bin/python bench/report.py
	$(VENV)/bin/python bench/collect.py
	$(VENV)/bin/python bench/startup.py
	$(VENV)/bin/python bench/history.py 1000 500
