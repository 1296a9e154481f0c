"""Upload preparation in the worker process: the same records as in the API process, progress
relayed, lower priority and one torch thread in the child, and a killed child fails its job
visibly while the next job gets a new worker."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from copilot.core.db import open_database
from copilot.core.jobs import JobRunner
from copilot.core.services import build_detector, build_ingestor
from copilot.core.settings import Settings
from copilot.core.upload_process import UploadProcess
from ingestion.manifest import DocumentTags
from retrievers.access import AccessLevel, Principal
from retrievers.embeddings import SentenceTransformerEmbedder
from retrievers.stores.lancedb import LanceDBStore

pytestmark = pytest.mark.slow

TEXT = (
    "# Cutover runbook\n\n"
    "Freeze master data two days before cutover. Contact Jane Doe at jane.doe@example.com "
    "or +44 20 7946 0958 before the freeze.\n\n"
    "## Rollback\n\nIf the reconciliation fails, restore the snapshot and notify the steering group. "
    + " ".join(f"Step {i}: reconcile ledger {i} against the legacy balances." for i in range(120))
    + "\n"
).encode()
TAGS = DocumentTags.model_validate({"tenant_id": "alder", "access_level": 1, "doc_type": "other"})


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings(data_dir=tmp_path_factory.mktemp("upload-process"), chunk_tokens=128, chunk_overlap_tokens=16)


@pytest.fixture(scope="module")
def started(settings):
    """(worker process, its info read before any job ran in it), one per module: each start loads
    the models in a new process (~20 s on a loaded machine). The tests that kill the worker and
    shut it down use it last, in that order (the shutdown closes it)."""
    proc = UploadProcess(settings, nice=5)
    info = proc.info(timeout=300)  # no job has run in this worker yet
    yield proc, info
    proc.close()


@pytest.fixture(scope="module")
def worker(started):
    return started[0]


@pytest.fixture(scope="module")
def embedder(settings):
    """The in-process model the API side would use (one torch thread, as the worker)."""
    return SentenceTransformerEmbedder(settings.embed_model_path, threads=1, precision=settings.embed_precision)


def test_worker_process_prepares_the_records_the_api_process_would(settings, worker, embedder, tmp_path):
    here = build_ingestor(settings, LanceDBStore(tmp_path / "a"), embedder, build_detector(settings))
    doc_hash = here._doc_hash(TEXT, TAGS, False)
    local = here.prepare_upload(TEXT, "uploads/partner/runbook.md", TAGS, doc_hash)
    seen: list[str] = []
    remote = worker.prepare(TEXT, "uploads/partner/runbook.md", TAGS, doc_hash,
                            progress=lambda stage, done, total: seen.append(stage))
    assert len(local.chunks) > 1
    assert remote.chunks == local.chunks  # ids, text, masked index text, PII spans, hashes
    assert any(c.pii_spans for c in remote.chunks) and "jane.doe@example.com" not in remote.chunks[0].index_text
    assert [v.shape for v in remote.vectors] == [v.shape for v in local.vectors]  # per chunk, its windows
    assert all(np.allclose(r, v, atol=1e-3) for r, v in zip(remote.vectors, local.vectors, strict=True))
    assert {"parsing", "pii", "embedding"} <= set(seen)  # the child's progress reached the caller

    # written through the same path, the index holds the same rows
    store = LanceDBStore(tmp_path / "b")
    writer = build_ingestor(settings, store, embedder, build_detector(settings))
    out = writer.ingest_bytes(TEXT, "uploads/partner/runbook.md", TAGS, prepare=worker.prepare)
    assert out.status == "written" and out.chunks == len(local.chunks)
    again = writer.ingest_bytes(TEXT, "uploads/partner/runbook.md", TAGS, prepare=worker.prepare)
    assert again.status == "skipped"  # the document hash matches the in-process one


def test_worker_runs_at_lower_priority_with_one_torch_thread(worker):
    info = worker.info(timeout=300)
    assert info["pid"] != os.getpid()
    assert info["torch_threads"] == 1
    if sys.platform.startswith("linux"):
        assert info["nice"] == min(19, os.nice(0) + 5)


def test_a_new_worker_is_warm_before_its_first_job(started):
    """Models and the parser's libraries load when the worker starts, not in the first job
    (the partitioners' import alone was about 3 s of that job's CPU)."""
    from ingestion import parsing

    _, info = started  # read before any job ran in that worker
    assert info["parser_ready"] is True
    # The flag is per process: reading it here says nothing of the worker's.
    assert info["pid"] != os.getpid() and isinstance(parsing.parser_ready(), bool)


def test_bad_document_in_the_worker_is_a_clear_rejection(settings, worker, embedder, tmp_path):
    from ingestion.pipeline import IngestError

    writer = build_ingestor(settings, LanceDBStore(tmp_path / "c"), embedder, build_detector(settings))
    with pytest.raises(IngestError, match="the file is empty"):
        writer.ingest_bytes(b"   \n\n  ", "uploads/partner/empty.md", TAGS, prepare=worker.prepare)
    assert writer.store.list_documents() == []


def _job_runner(settings, proc, embedder, tmp_path):
    """(store, job runner using the worker process ``proc``, a tenant admin) over fresh folders."""
    store = LanceDBStore(tmp_path / "index")
    db = open_database(f"sqlite:///{tmp_path / 'gov.db'}")
    r = JobRunner(db, tmp_path / "upload-jobs", lambda: build_ingestor(settings, store, embedder,
                                                                        build_detector(settings)), preparer=proc)
    admin = Principal("key:admin", "alder", AccessLevel.RESTRICTED, frozenset({"tenant_admin"}))
    return store, r, admin


def test_killed_worker_fails_the_job_visibly_and_the_next_job_succeeds(settings, worker, embedder, tmp_path):
    proc = worker  # killed here: the module's next users get the new worker
    store, r, admin = _job_runner(settings, proc, embedder, tmp_path)

    def submit(name: str, data: bytes):
        return r.submit(principal=admin, doc_id=f"uploads/partner/{name}", file_name=name, data=data,
                        tags=TAGS.model_dump(mode="json"), access_level=1, replace=False)

    pid = proc.info(timeout=300)["pid"]
    big = TEXT * 60  # long enough to still be in the worker when it is killed
    job = submit("big.md", big)
    thread = threading.Thread(target=r.run_one, args=(r._next(),))
    thread.start()
    deadline = time.monotonic() + 120
    # "parsing", "pii" and "embedding" are reported by the worker process itself
    while r.get(job.id).stage not in ("parsing", "pii", "embedding") and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    thread.join(120)
    failed = r.get(job.id)
    assert failed.status == "failed" and failed.error_code == "worker_crashed"
    assert "nothing was written" in failed.error_message
    assert store.list_documents() == []

    nxt = submit("small.md", TEXT)
    r.run_one(r._next())
    done = r.get(nxt.id)
    assert done.status == "succeeded" and done.result["chunks"] >= 1, done.error_message
    assert {d.doc_id for d in store.list_documents()} == {"uploads/partner/small.md"}
    assert proc.info(timeout=300)["pid"] != pid  # a new worker


def test_shutdown_mid_job_leaves_the_job_to_be_resumed(settings, worker, embedder, tmp_path):
    # Closes the module's worker (the service stops it): no test after this one may use it.
    store, r, admin = _job_runner(settings, worker, embedder, tmp_path)
    job = r.submit(principal=admin, doc_id="uploads/partner/big.md", file_name="big.md", data=TEXT * 60,
                   tags=TAGS.model_dump(mode="json"), access_level=1, replace=False)
    thread = threading.Thread(target=r.run_one, args=(r._next(),))
    thread.start()
    deadline = time.monotonic() + 300
    while r.get(job.id).stage not in ("parsing", "pii", "embedding") and time.monotonic() < deadline:
        time.sleep(0.05)
    r.stop(timeout=0.1)  # the service shuts down while the worker process prepares the job
    thread.join(60)
    assert not thread.is_alive()
    assert r.get(job.id).status == "running" and store.list_documents() == []
    again = JobRunner(r.db, tmp_path / "upload-jobs", lambda: None)
    assert again.recover()["resumed"] == 1  # picked up at the next start


def test_a_started_service_warms_its_upload_worker_before_the_first_upload(demo_services, demo_data_dir, tmp_path):
    from tests.copilot.conftest import make_client

    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'gov.db'}",
                              upload_process_prestart=True)
    with client:
        preparer = app.state.copilot.jobs.preparer
        deadline = time.monotonic() + 300
        while preparer._pool is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert preparer._pool is not None, "the worker was not started with the service"
        info = preparer.info(timeout=300)
        assert info["pid"] != os.getpid()
    assert preparer._pool is None  # stopped with the service


def test_prestart_off_leaves_the_worker_to_the_first_upload(demo_services, demo_data_dir, tmp_path):
    from tests.copilot.conftest import make_client

    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'gov.db'}")
    with client:
        time.sleep(1.0)
        assert app.state.copilot.jobs.preparer._pool is None
