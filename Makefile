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
# Test processes (pytest-xdist): one per core; each file stays in one process (its module fixtures).
TEST_WORKERS ?= auto
CHAT_PORT ?= 8001
# CPU-only torch: on Linux x86-64 PyPI's torch is the multi-GB CUDA build, so it comes from the
# PyTorch CPU index, as in the Dockerfile. If that index cannot be reached (an offline mirror),
# plain pip is tried: it finds a local CPU wheel where the machine provides one.
# --no-deps: torch's own dependencies are pinned with hashes in requirements.lock; resolving them
# against the torch index would look each one up there (minutes of retries when it is unreachable).
TORCH_VERSION := 2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ifeq ($(shell uname -s)-$(shell uname -m),Linux-x86_64)
TORCH_INSTALL := $(PIP) install -q --no-compile --no-deps --index-url $(TORCH_INDEX) torch==$(TORCH_VERSION) \
	|| $(PIP) install -q --no-compile --no-deps torch==$(TORCH_VERSION)
else
TORCH_INSTALL := $(PIP) install -q --no-compile --no-deps torch==$(TORCH_VERSION)
endif
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export UNSTRUCTURED_DISABLE_NOTICE := 1
export DO_NOT_TRACK := 1

.PHONY: install demo serve test test-exhaustive test-durations test-fast lint bench eval clean lock

install: $(STAMP)

# torch first, pinned, CPU build; then the locked transitive set, every file checked against
# its SHA-256 and never re-resolved (with the `eval` extra's set, for make test/eval/bench);
# then the project itself. --no-compile: Python compiles what is imported on first use, instead of
# pip compiling every module of every package up front (minutes of CPU, most never imported).
$(STAMP): pyproject.toml requirements.lock requirements-eval.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q setuptools==84.2.1
	$(TORCH_INSTALL)
	$(PIP) install -q --no-compile --no-deps --require-hashes -r requirements.lock -r requirements-eval.lock
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/copilot demo --data-dir $(DATA_DIR) --host $(HOST) --port $(API_PORT) --chat-port $(CHAT_PORT)

serve: $(STAMP)
	$(VENV)/bin/copilot serve --data-dir $(DATA_DIR) --host $(HOST) --port $(API_PORT)

# The slowest tests are listed at the end of every run, so test time can be watched in CI.
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

# Also the exhaustive variants (every demo key x question x endpoint of the PII-canary check).
test-exhaustive: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --exhaustive $(PYTEST_ARGS)

# Refreshes tests/durations.json, which orders the test files longest first (tests/scheduling.py).
test-durations: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --record-durations $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m evals.bench_ingest --out reports/bench
	$(PY) -m evals.bench_perf --out reports/bench
	nice -n 10 $(PY) -m evals.bench_perf --out reports/bench --name bench_perf_1m --sizes 1000000 --clients "" --repeat 3
	$(PY) -m evals.bench_upload --out reports/bench
	$(PY) -m evals.bench_upload_stages --out reports/bench
	$(PY) -m evals.bench_encoder --out reports/bench

eval: $(STAMP)
	$(PY) -m evals --dataset corpora/demo/evalset.jsonl --corpus corpora/demo --modes dense,fulltext,hybrid --out reports/eval-demo

# Regenerate the hashes of the lock files after adding or changing a name==version pin.
lock:
	$(PY) scripts/lock_hashes.py requirements.lock
	$(PY) scripts/lock_hashes.py requirements-eval.lock

clean:
	rm -rf $(VENV) .data .pytest_cache
