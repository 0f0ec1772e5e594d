# The two set-up commands of the README: `make demo` and `make test`. Both start from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := demo
# About thirty dossiers of the two 2022 calls, checked against the FINESS extract the generator writes for each call (a case id that exists in both calls is generated in both): clean ones in several layouts, and faulty ones.
DEMO_CASES := clean-workbook,clean-separate-csv,clean-zip,clean-ds,clean-pdf-structures,PIE-01,PIE-02,GRP-01,GRP-03,GRP-04-regional,GRP-05,GRP-06,BUD-02,BUD-03,BUD-07,PLA-01,PLA-03,COH-01,PRO-02,LOT-01-premier,LOT-01-second,clean-national-55,BUD-03-national,GRP-04-national,REF-01,GRP-06-repertoire
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect
# Playwright drives Debian's chromium (make browser): never download a browser at pip install.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo test test-server clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO)
	$(PY) -m fixtures $(DEMO)/input --calls ars-ara-2022-regional,cnsa-2022-national --only $(DEMO_CASES)
	@for call in ars-ara-2022-regional cnsa-2022-national; do \
	  echo; echo "== $$call"; \
	  $(VENV)/bin/esmsnum finess importer $(DEMO)/input/$$call/finess/etalab-*.csv --finess $(DEMO)/finess/$$call || exit $$?; \
	  $(VENV)/bin/esmsnum run $(DEMO)/input/$$call/dossiers --call $$call --out $(DEMO)/reports/$$call --finess $(DEMO)/finess/$$call || exit $$?; \
	done
	@echo; echo "Rapports écrits sous $(DEMO)/reports/<appel>/ : ouvrir summary.html, puis le report.html de chaque dossier."

# Debian's chromium for tests/test_browser.py, installed with apt-get when absent (CI runs as root).
.PHONY: browser
browser:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium; \
	}

test: $(STAMP) browser
	$(PY) -m pytest -q

# Server mode (docs/operations.md): a throw-away PostgreSQL and Prefect server on loopback,
# a call run through the deployment served by `esmsnum serve`. Not part of `make test`.
test-server: $(STAMP)
	PY=$(CURDIR)/$(PY) .ci/server-test

clean:
	rm -rf $(VENV) $(DEMO) .prefect test-output
