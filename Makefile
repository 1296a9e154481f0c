# Partner Copilot: `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DATA_DIR ?= .data/demo
HOST ?= 127.0.0.1
API_PORT ?= 8000
CHAT_PORT ?= 8001
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export UNSTRUCTURED_DISABLE_NOTICE := 1
export DO_NOT_TRACK := 1

.PHONY: install demo serve test test-fast lint bench eval clean

install: $(STAMP)

# torch first, pinned, so nothing resolves it to a multi-GB CUDA build; then the
# locked transitive set without re-resolution; then the project itself.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q setuptools==84.2.1
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q --no-deps -r requirements.lock
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/copilot demo --data-dir $(DATA_DIR) --host $(HOST) --port $(API_PORT) --chat-port $(CHAT_PORT)

serve: $(STAMP)
	$(VENV)/bin/copilot serve --data-dir $(DATA_DIR) --host $(HOST) --port $(API_PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m evals.bench_ingest --out reports/bench
	$(PY) -m evals.bench_perf --out reports/bench
	nice -n 10 $(PY) -m evals.bench_perf --out reports/bench --name bench_perf_1m --sizes 1000000 --clients "" --repeat 3
	$(PY) -m evals.bench_upload --out reports/bench

eval: $(STAMP)
	$(PY) -m evals --dataset corpora/demo/evalset.jsonl --corpus corpora/demo --modes dense,fulltext,hybrid --out reports/eval-demo

clean:
	rm -rf $(VENV) .data .pytest_cache
