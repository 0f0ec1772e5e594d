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

.PHONY: install demo test lint test-server clean web-assets web

# DSFR (système de design de l'État) for `esmsnum web`, vendored at build time from the npm
# registry (pinned version and checksum), served by the app from its own origin: the browser
# never fetches it from elsewhere. Without npm the app still works, in a plain style.
DSFR_VERSION := 1.15.3
DSFR_SHA512 := R9AALZc1LfZjtytWZMOaUIOHWTkllBZ/sZlsL8TpKZVgF3qUKXt/uNYh+L1D1Fh4p92ZqWxbtNcebsigBZe5pQ==
DSFR_DIR := web/static/dsfr
# The stamp names what is extracted: a new list of files (here the JavaScript of the header's
# menu on a phone) extracts again over an older install.
DSFR_STAMP := $(DSFR_DIR)/.version-$(DSFR_VERSION)-js

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

web-assets: $(DSFR_STAMP)

$(DSFR_STAMP):
	@rm -rf build/dsfr && mkdir -p build/dsfr
	@if ! (cd build/dsfr && npm pack --silent @gouvfr/dsfr@$(DSFR_VERSION) >/dev/null); then \
	  echo "DSFR non installé (npm indisponible) : esmsnum web gardera son style simple."; exit 0; fi; \
	test "$$($(PYTHON) -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' build/dsfr/gouvfr-dsfr-$(DSFR_VERSION).tgz)" = "$(DSFR_SHA512)" \
	  || { echo "DSFR : somme de contrôle inattendue, fichiers refusés."; exit 1; }; \
	tar -xzf build/dsfr/gouvfr-dsfr-$(DSFR_VERSION).tgz -C build/dsfr package/LICENSE.md package/dist/dsfr.min.css \
	  package/dist/dsfr.module.min.js package/dist/dsfr.nomodule.min.js package/dist/fonts package/dist/icons package/dist/favicon package/dist/utility/icons/icons.min.css; \
	rm -rf $(DSFR_DIR) && mkdir -p $(DSFR_DIR) && cp -r build/dsfr/package/dist/. $(DSFR_DIR)/ \
	  && cp build/dsfr/package/LICENSE.md $(DSFR_DIR)/ && touch $@ && echo "DSFR $(DSFR_VERSION) installé dans $(DSFR_DIR)."

demo: $(STAMP) web-assets
	rm -rf $(DEMO)
	$(PY) -m fixtures $(DEMO)/input --calls ars-ara-2022-regional,cnsa-2022-national --only $(DEMO_CASES)
	@for call in ars-ara-2022-regional cnsa-2022-national; do \
	  echo; echo "== $$call"; \
	  $(VENV)/bin/esmsnum finess importer $(DEMO)/input/$$call/finess/etalab-*.csv --finess $(DEMO)/finess/$$call || exit $$?; \
	  $(VENV)/bin/esmsnum analyser $(DEMO)/input/$$call/dossiers --appel $$call --sortie $(DEMO)/reports/$$call --finess $(DEMO)/finess/$$call || exit $$?; \
	done
	@echo; echo "Rapports écrits sous $(DEMO)/reports/<appel>/ : ouvrir summary.html, puis le report.html de chaque dossier."
	@echo "Espace d'instruction : créer un compte (README, « Espace d'instruction »), puis « make web »."

# The instruction workspace over the demo's two calls (accounts in the first one's database).
web: $(STAMP) web-assets
	$(VENV)/bin/esmsnum web $(DEMO)/reports/ars-ara-2022-regional $(DEMO)/reports/cnsa-2022-national

# Debian's chromium for tests/test_browser.py, and the DejaVu font of the letters' PDF
# (reports/letter_pdf.py), installed with apt-get when absent (CI runs as root).
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
.PHONY: browser
browser:
	@test -x $(CHROMIUM) -a -f $(FONT) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core; \
	}

# Lint, format and layers (.importlinter): part of `make test`, so of CI.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Two workers, a test module never split between them (its fixtures are built once): the suite
# fits the CI machine's two cores, where one worker alone leaves one of them idle.
TEST_WORKERS ?= 2
test: $(STAMP) browser web-assets lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# Server mode (docs/operations.md): a throw-away PostgreSQL and Prefect server on loopback,
# a call run through the deployment served by `esmsnum servir`. Not part of `make test`.
test-server: $(STAMP)
	PY=$(CURDIR)/$(PY) .ci/server-test

clean:
	rm -rf $(VENV) $(DEMO) .prefect test-output
