# The README's commands. Each installs what it needs and is safe to run twice.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DISTS := core plugin_sdk $(sort $(wildcard plugins/*))
PYPROJECTS := $(foreach d,$(DISTS),$(d)/pyproject.toml)
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: all install node services test demo lint bench clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Every dist editable with its test extras; re-run when a pyproject changes.
$(STAMP): $(BIN)/python $(PYPROJECTS) examples/requirements.txt Makefile
	$(BIN)/pip install -q hatchling editables ruff mypy types-PyYAML -r examples/requirements.txt
	$(BIN)/pip install -q --no-build-isolation $(foreach d,$(DISTS),-e "$(d)[test]")
	touch $(STAMP)

install: $(STAMP)

# Pinned npm packages for the Prisma engine, installed once into the cache directory.
node: install
	$(BIN)/prisma-infra prisma install

services:
	bash scripts/services.sh

test: install node services
	$(BIN)/pytest $(PYTEST_ARGS)

demo: install node
	$(BIN)/python examples/blog/demo.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy core/src plugin_sdk/src $(foreach p,$(sort $(wildcard plugins/*)),$(p)/src)

# Measurements written to bench-results/latest.{json,md}; BENCH_ARGS=engine (or cache, ...) runs some.
bench: install node services
	$(BIN)/pip install -q --no-build-isolation -e "plugins/prisma[bench]"
	$(BIN)/pip install -q "sqlalchemy[asyncio]>=2"  # the HTTP baseline (benchmarks/http/handwritten.py)
	command -v wrk >/dev/null || apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
