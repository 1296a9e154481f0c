"""Upload jobs across a restart: resumed, or failed with a visible reason; the access helper."""

from __future__ import annotations

from copilot.core.db import open_database
from copilot.core.jobs import MAX_ATTEMPTS, IngestJob, JobRunner, job_visible
from retrievers.access import AccessLevel, Principal


def runner(tmp_path, factory=None) -> JobRunner:
    db = open_database(f"sqlite:///{tmp_path / 'gov.db'}")
    return JobRunner(db, tmp_path / "upload-jobs", factory or (lambda: None))


def submit(r: JobRunner, name: str = "a.md", level: int = 1) -> IngestJob:
    p = Principal("key:admin", "alder", AccessLevel.RESTRICTED, frozenset({"tenant_admin"}))
    tags = {"tenant_id": "alder", "access_level": level, "doc_type": "other"}
    return r.submit(principal=p, doc_id=f"uploads/x/{name}", file_name=name, data=b"# A\n\ntext\n", tags=tags,
                    access_level=level, replace=False)


def test_restart_resumes_running_jobs_and_fails_lost_ones(tmp_path):
    r = runner(tmp_path)
    running, lost, exhausted, queued = (submit(r, n) for n in ("run.md", "lost.md", "tired.md", "q.md"))
    for job, attempts in ((running, 1), (lost, 1), (exhausted, MAX_ATTEMPTS)):
        r._update(job.id, status="running", stage="embedding", attempts=attempts)
    (tmp_path / "upload-jobs" / f"{lost.id}.bin").unlink()
    # a new process over the same database and folder
    again = runner(tmp_path)
    assert again.recover() == {"resumed": 1, "failed": 2, "queued": 1}
    view = {j: again.get(j) for j in (running.id, lost.id, exhausted.id, queued.id)}
    assert view[running.id].status == "queued" and "resumed after a restart" in view[running.id].note
    assert view[lost.id].status == "failed" and view[lost.id].error_code == "interrupted"
    assert view[exhausted.id].status == "failed" and "interrupted 3 times" in view[exhausted.id].error_message
    assert view[queued.id].status == "queued"


def test_resumed_job_is_ingested_by_the_worker(tmp_path, demo_services):
    from copilot.core.services import build_ingestor
    from retrievers.stores.lancedb import LanceDBStore

    store = LanceDBStore(tmp_path / "index")
    r = runner(tmp_path, lambda: build_ingestor(demo_services.settings, store, demo_services.embedder))
    job = submit(r, "resume.md")
    r._update(job.id, status="running", attempts=1)
    fresh = runner(tmp_path, r._ingestor_factory)
    fresh.recover()
    job_id = fresh._next()
    assert job_id == job.id
    fresh.run_one(job_id)
    done = fresh.get(job.id)
    assert done.status == "succeeded" and done.attempts == 2 and done.result["chunks"] >= 1
    assert {d.doc_id for d in store.list_documents()} == {"uploads/x/resume.md"}
    assert not (tmp_path / "upload-jobs" / f"{job.id}.bin").exists()


def test_job_visibility_is_the_document_rule(tmp_path):
    job = submit(runner(tmp_path), level=2)
    see = {
        ("alder", AccessLevel.INTERNAL): True, ("alder", AccessLevel.RESTRICTED): True,
        ("alder", AccessLevel.PARTNER): False, ("birch", AccessLevel.RESTRICTED): False,
    }
    for (tenant, level), expected in see.items():
        assert job_visible(job, Principal("u", tenant, level)) is expected
    vendor = Principal("v", "shared", AccessLevel.INTERNAL, acting_for=frozenset({"alder"}))
    assert job_visible(job, vendor)


def test_upload_worker_runs_at_lower_cpu_priority_than_request_threads(tmp_path):
    import os
    import sys
    import threading

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread nice values are a Linux feature")
    seen: dict[str, int] = {}
    done = threading.Event()

    def factory():
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        # a thread the worker starts (the embedding thread of a long upload) inherits it
        t = threading.Thread(target=lambda: seen.setdefault("child", os.getpriority(os.PRIO_PROCESS, 0)))
        t.start()
        t.join()
        done.set()
        raise RuntimeError("no ingestor in this test")

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    db = open_database(f"sqlite:///{tmp_path / 'gov.db'}")
    r = JobRunner(db, tmp_path / "upload-jobs", factory, poll_s=0.05, nice=5)
    job = submit(r)
    r.start()
    try:
        assert done.wait(30)
    finally:
        r.stop()
    assert seen["worker"] == min(19, base + 5) and seen["child"] == seen["worker"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the caller is untouched
    assert r.get(job.id).status == "failed"  # and the failure is visible on the job


def test_uploads_are_folded_into_the_full_text_index_once_the_queue_drains(tmp_path, embedder):
    from copilot.core.services import build_ingestor
    from copilot.core.settings import Settings
    from retrievers.stores.lancedb import LanceDBStore

    root = tmp_path / "corpus"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "guide.md").write_text("# Guide\n\nFreeze master data two days before cutover.\n")
    (root / "manifest.yaml").write_text(
        'version: 1\ndocuments:\n  - {path: "docs/*", tenant_id: alder, access_level: partner, doc_type: playbook}\n')
    store = LanceDBStore(tmp_path / "index")
    ing = build_ingestor(Settings(data_dir=tmp_path / "data"), store, embedder)
    ing.ingest_corpus(root, progress=False)  # builds the full-text index
    table = store.tables()[None]  # a small tenant lives in the common table
    [fts] = [i.name for i in table.list_indices() if i.index_type == "FTS"]
    r = runner(tmp_path, lambda: ing)
    job = submit(r, "later.md")
    r.run_one(r._next())
    assert r.get(job.id).status == "succeeded"
    # written and searchable, but not yet in the index
    assert table.index_stats(fts).num_unindexed_rows >= 1
    r.fold_in()
    assert table.index_stats(fts).num_unindexed_rows == 0
    r.fold_in()  # nothing new: a no-op


def _wait(cond, seconds: float = 120.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(cond())


def test_processes_over_one_database_and_folder_have_one_runner(tmp_path, demo_services):
    from copilot.core.services import build_ingestor
    from retrievers.stores.lancedb import LanceDBStore

    store = LanceDBStore(tmp_path / "index")
    db = open_database(f"sqlite:///{tmp_path / 'gov.db'}")
    factory = lambda: build_ingestor(demo_services.settings, store, demo_services.embedder)  # noqa: E731
    first = JobRunner(db, tmp_path / "upload-jobs", factory, poll_s=0.05)
    second = JobRunner(db, tmp_path / "upload-jobs", factory, poll_s=0.05)
    other_db = JobRunner(open_database(f"sqlite:///{tmp_path / 'other.db'}"), tmp_path / "upload-jobs", factory)
    first.start()
    second.start()
    other_db.start()
    try:
        assert first.is_runner and not second.is_runner
        assert other_db.is_runner  # another database is another queue with its own runner
        job = submit(second, "via-second.md")  # accepted by the process that does not run jobs
        assert _wait(lambda: second.get(job.id).status == "succeeded")
        assert first._ingestor is not None and second._ingestor is None  # the runner ingested it
    finally:
        for r in (first, second, other_db):
            r.stop()


def test_a_starting_process_leaves_the_runners_job_alone_and_takes_over_when_it_ends(tmp_path, demo_services):
    from copilot.core.services import build_ingestor
    from retrievers.stores.lancedb import LanceDBStore

    store = LanceDBStore(tmp_path / "index")
    db = open_database(f"sqlite:///{tmp_path / 'gov.db'}")
    factory = lambda: build_ingestor(demo_services.settings, store, demo_services.embedder)  # noqa: E731
    # The live runner process holds the lock and works on the job; its worker thread is not started,
    # or under load it could claim the queued job itself and finish it before the takeover is seen.
    first = JobRunner(db, tmp_path / "upload-jobs", factory, poll_s=3600)
    assert first.lock.try_acquire()
    assert first.is_runner
    job = submit(JobRunner(db, tmp_path / "upload-jobs", factory), "in-flight.md")
    first._update(job.id, status="running", stage="embedding", attempts=1)  # the runner is on it
    second = JobRunner(db, tmp_path / "upload-jobs", factory, poll_s=0.05)
    second.start()
    try:
        # Recovering here would re-queue a job a live process is running (and run it twice).
        assert not second.is_runner
        assert second.get(job.id).status == "running" and second.get(job.id).attempts == 1
        first.stop(timeout=0.1)  # the runner's process ends: its lock goes with it
        assert _wait(lambda: second.get(job.id).status == "succeeded")
        assert second.is_runner and second.get(job.id).attempts == 2
        assert "resumed after a restart" in second.get(job.id).note
        assert {d.doc_id for d in store.list_documents()} == {"uploads/x/in-flight.md"}
    finally:
        second.stop()
