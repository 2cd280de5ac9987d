# Set-up and everyday commands. `make test` and `make serve` start from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: test serve check fmt schema export clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files record which extras are installed, so repeated runs skip pip.
$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test]'
	touch $@

$(VENV)/.site-installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

test: $(VENV)/.test-installed
	$(PY) -m pytest

serve: $(VENV)/.site-installed
	$(PY) -m survey check
	$(PY) -m survey export

check: $(VENV)/.site-installed
	$(PY) -m survey check

fmt: $(VENV)/.site-installed
	$(PY) -m survey fmt
	$(PY) -m survey schema

clean:
	rm -rf $(VENV) build site docs/generated
