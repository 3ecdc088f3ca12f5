# Vellum: `make build` then `make test`. Everything else is installed on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_TOOLS := node_modules/.installed

.PHONY: build test serve bench clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,cluster,examples]'
	touch $@

$(NODE_TOOLS): package.json
	npm install --no-audit --no-fund --silent
	touch $@

STARTED := $(shell date +%s)

build: $(INSTALLED)
	$(PY) -m generator build $(if $(FRESH),--fresh)
	@echo "make build: $$(( $$(date +%s) - $(STARTED) )) s in all, install included$(if $(FRESH), (FRESH=1: freeze and cache ignored, draft quality))"

test: $(INSTALLED) $(NODE_TOOLS)
	$(PY) -m pytest -q -p no:cacheprovider

serve: $(INSTALLED)
	$(PY) -m generator serve

bench: $(INSTALLED) $(NODE_TOOLS)
	$(PY) -m benchmarks

clean:
	rm -rf build .cache
