# msomodel — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench explore clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## Compare the operating models for every bundled scenario and render the reports into reports/.
demo: $(STAMP)
	@bash scripts/ensure-system-deps.sh report
	$(VENV)/bin/msomodel validate scenarios/*.yaml
	@for f in scenarios/*.yaml; do $(VENV)/bin/msomodel compare "$$f" || exit $$?; echo; done
	$(VENV)/bin/msomodel report scenarios/*.yaml -o reports/

## Run the whole test suite (lint included).
test: $(STAMP)
	$(VENV)/bin/ruff check msomodel tests benchmarks
	$(VENV)/bin/lint-imports
	bash scripts/ensure-system-deps.sh
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check msomodel tests benchmarks
	$(VENV)/bin/lint-imports

## Issue 17's goals table (about two minutes); BENCH="montecarlo report explorer goals" for more.
bench: $(STAMP)
	@bash scripts/ensure-system-deps.sh report
	$(PY) -m benchmarks $(if $(BENCH),$(BENCH),goals)

explore: $(STAMP)
	$(VENV)/bin/msomodel explore

clean:
	rm -rf $(VENV) reports/*/ reports/*.pdf reports/*.html reports/*.csv reports/*.ipynb .pytest_cache
