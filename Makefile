# The two set-up commands of the README: `make demo` and `make test`. Both start from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := demo
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: install demo test clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO)
	$(PY) -m fixtures $(DEMO)/input --calls ars-ara-2022-regional,cnsa-2022-national
	@for call in ars-ara-2022-regional cnsa-2022-national; do \
	  echo; echo "== $$call"; \
	  $(VENV)/bin/esmsnum run $(DEMO)/input/$$call/dossiers --call $$call --out $(DEMO)/reports/$$call || exit $$?; \
	done
	@echo; echo "Rapports écrits sous $(DEMO)/reports/<appel>/ : ouvrir summary.html, puis le report.html de chaque dossier."

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO) .prefect test-output
