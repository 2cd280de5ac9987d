# Set-up and everyday commands. `make test` and `make serve` start from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
CHROMIUM := /usr/bin/chromium
export NO_MKDOCS_2_WARNING := 1

.PHONY: test serve site check fmt schema export clean browser

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files record which extras are installed, so repeated runs skip pip.
# Playwright drives Debian's chromium in the site's browser tests (it downloads no browser of its own).
# torch comes first as the local CPU wheel (an unpinned torch would pull GBs of CUDA packages), and
# deepspeed is built against it without build isolation, which would otherwise fetch another torch.
$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q --no-build-isolation deepspeed==0.19.8
	$(PIP) install -q -e '.[train,eval,test,site]'
	touch $@

$(VENV)/.site-installed: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[site]'
	touch $@

# The browser tests use Debian's chromium (and CJK fonts, so screenshots show Chinese text).
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

test: $(VENV)/.test-installed browser
	$(PY) -m pytest

# Live preview of both languages (Chinese at /, English at /en/): the site is rebuilt whenever a card
# changes and open pages reload. ADDRESS=127.0.0.1:8001 make serve picks another port.
serve: $(VENV)/.site-installed
	-$(PY) -m survey check
	-$(PY) -m survey export
	$(PY) -m survey.site serve --address $(or $(ADDRESS),127.0.0.1:8000)

# The static site: site/ (Chinese) and site/en/ (English).
site: $(VENV)/.site-installed
	$(PY) -m survey.site build

check: $(VENV)/.site-installed
	$(PY) -m survey check

fmt: $(VENV)/.site-installed
	$(PY) -m survey fmt
	$(PY) -m survey schema

clean:
	rm -rf $(VENV) build site docs/generated
