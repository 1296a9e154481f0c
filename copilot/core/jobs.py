"""Upload jobs: ``POST /v1/documents`` queues one, a worker thread ingests it.

A job is a record derived from the document it uploads: it carries that document's
tenant and access level and is readable exactly by those who may see the document
(:func:`job_visible`, decided by ``retrievers/access.py``). Jobs live in the governance
database (SQLAlchemy) and their uploaded bytes in ``<data dir>/upload-jobs/``, both
written before the 202 is sent, so a restart finds every accepted job: a job that was
running when the process died is re-queued (the ingest is per-document atomic and
idempotent, so re-running it is safe) up to ``MAX_ATTEMPTS`` times, then failed with a
visible ``interrupted`` error; a job whose bytes are gone is failed the same way.

With a ``preparer`` (:class:`copilot.core.upload_process.UploadProcess`, the default in the
API) the CPU work of a job (parse, chunk, PII, embed) runs in a worker process and this thread
only writes the result; without one the worker thread embeds with its own model instance in
bounded batches, so an upload never holds the model that serves queries.

Several API processes (``copilot serve --workers N``) share one data directory and database,
but only one of them runs jobs: the one holding the runner lock (an ``flock`` on a file in the
upload folder, named after the database). The others accept uploads and answer job queries; when the runner's process
ends, the OS releases its lock and another process takes over. This keeps one upload worker
process (about 1 GB) per data directory instead of one per API process, and it makes restart
recovery safe: only a new lock holder re-queues "running" jobs, which are then truly orphaned,
never a job another live process is running.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from copilot.core.db import Base, Database, utcnow
from copilot.core.upload_process import UploadWorkerCrashed, UploadWorkerStopped
from retrievers.access import Principal, RecordAccess, can_read

log = logging.getLogger("copilot.core.jobs")

MAX_ATTEMPTS = 3
ACTIVE = ("queued", "running")


class IngestJob(Base):
    """One uploaded document on its way into the index."""

    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subject: Mapped[str] = mapped_column(String(200))
    # Access of the uploaded document: the job is visible exactly where the document is.
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    access_level: Mapped[int] = mapped_column(Integer)
    doc_id: Mapped[str] = mapped_column(String(500), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[dict] = mapped_column(JSON, default=dict)
    replace: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|succeeded|failed
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


def job_visible(job: IngestJob, principal: Principal) -> bool:
    """A job reads like its document's derived records: tenant and the document's level."""
    return can_read(principal, RecordAccess.stored(job.tenant_id, job.access_level, [job.doc_id]))


def job_view(job: IngestJob) -> dict[str, Any]:
    """The API representation of a job (``JobOut``)."""
    out: dict[str, Any] = {
        "job_id": job.id, "status": job.status, "stage": job.stage, "doc_id": job.doc_id,
        "file_name": job.file_name, "size_bytes": job.size_bytes,
        "progress": {"done": job.done, "total": job.total}, "attempts": job.attempts,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
        "result": job.result, "error": None, "note": job.note or None,
    }
    if job.error_code:
        out["error"] = {"code": job.error_code, "message": job.error_message or ""}
    return out


class RunnerLock:
    """An exclusive, non-blocking ``flock`` on a file: held by at most one open runner at a time.

    Where ``fcntl`` is missing (not Linux/macOS) every runner holds it, as before the lock existed.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fh: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def try_acquire(self) -> bool:
        if self._fh is not None:
            return True
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock on this platform
            self._fh = open(os.devnull, "rb")  # noqa: SIM115 - held until release()
            return True
        fh = open(self.path, "ab")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor drops the flock
            self._fh = None


def lower_thread_priority(steps: int) -> int | None:
    """Lower the calling thread's CPU priority by ``steps`` nice levels; returns the new value.

    On Linux nice values belong to threads, and threads the worker starts (the embedding
    thread of a long upload) inherit it: queries on the request threads are scheduled first
    and an upload takes what CPU is left. Elsewhere (or when not permitted) nothing changes.
    """
    if steps <= 0 or not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return None
    try:
        tid = threading.get_native_id()
        value = min(19, os.getpriority(os.PRIO_PROCESS, tid) + steps)
        os.setpriority(os.PRIO_PROCESS, tid, value)
        return value
    except OSError:
        return None


class JobRunner:
    """Persists upload jobs and ingests them one at a time on a worker thread."""

    def __init__(self, db: Database, payload_dir: Path, ingestor_factory: Any, *, poll_s: float = 1.0,
                 nice: int = 0, preparer: Any | None = None):
        self.nice = nice
        self.preparer = preparer  # e.g. an UploadProcess: prepares uploads out of this process
        self._written = False  # uploads written since the indexes were last folded in
        self.db = db
        self.payload_dir = payload_dir
        self.payload_dir.mkdir(parents=True, exist_ok=True)
        self._ingestor_factory = ingestor_factory
        self._ingestor: Any = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.poll_s = poll_s
        # One runner per (upload folder, database): processes over other databases (tests, a second
        # deployment sharing a folder) keep their own queues and their own runner.
        db_key = hashlib.sha256(str(getattr(db, "url", "")).encode()).hexdigest()[:16]
        self.lock = RunnerLock(self.payload_dir / f".runner-{db_key}.lock")

    # ---- submission --------------------------------------------------------
    def submit(self, *, principal: Principal, doc_id: str, file_name: str, data: bytes, tags: dict[str, Any],
               access_level: int, replace: bool) -> IngestJob:
        """Store the bytes, then the job row (both durable before the caller answers 202)."""
        job_id = uuid.uuid4().hex
        path = self._payload(job_id)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        job = IngestJob(
            id=job_id, subject=principal.subject, tenant_id=principal.tenant_id, access_level=int(access_level),
            doc_id=doc_id, file_name=file_name[:300], size_bytes=len(data), tags=tags, replace=replace,
            status="queued", stage="queued",
        )
        with self.db.session() as s:
            s.add(job)
            s.commit()
        self._wake.set()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        with self.db.session() as s:
            return s.get(IngestJob, job_id)

    def active_for(self, tenant_id: str, doc_id: str) -> IngestJob | None:
        with self.db.session() as s:
            return s.scalars(
                select(IngestJob).where(IngestJob.tenant_id == tenant_id, IngestJob.doc_id == doc_id,
                                        IngestJob.status.in_(ACTIVE))
            ).first()

    # ---- lifecycle ---------------------------------------------------------
    def recover(self) -> dict[str, int]:
        """After a restart: re-queue interrupted jobs (or fail them visibly)."""
        counts = {"resumed": 0, "failed": 0, "queued": 0}
        with self.db.session() as s:
            for job in s.scalars(select(IngestJob).where(IngestJob.status.in_(ACTIVE))):
                if not self._payload(job.id).exists():
                    self._fail(job, "interrupted", "the upload was lost in a restart; upload the file again")
                    counts["failed"] += 1
                elif job.status == "running" and job.attempts >= MAX_ATTEMPTS:
                    self._fail(job, "interrupted", f"ingest was interrupted {job.attempts} times; giving up")
                    counts["failed"] += 1
                elif job.status == "running":
                    job.status, job.stage, job.done, job.total = "queued", "queued", 0, 0
                    job.note = f"resumed after a restart (attempt {job.attempts + 1})"
                    job.updated_at = utcnow()
                    counts["resumed"] += 1
                else:
                    counts["queued"] += 1
            s.commit()
        if counts["resumed"] or counts["failed"]:
            log.warning("upload jobs after restart: %s", counts)
        return counts

    @property
    def is_runner(self) -> bool:
        """Whether this process runs the jobs (holds the runner lock)."""
        return self.lock.held

    def start(self) -> None:
        # Taken at once where free, so a single process recovers before it serves, as always.
        if self.lock.try_acquire():
            self.recover()
        self._thread = threading.Thread(target=self._loop, name="upload-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        close = getattr(self.preparer, "close", None)
        if callable(close):
            close()
        self.lock.release()

    # ---- worker ------------------------------------------------------------
    def _payload(self, job_id: str) -> Path:
        return self.payload_dir / f"{job_id}.bin"

    def _next(self) -> str | None:
        with self.db.session() as s:
            job = s.scalars(
                # Several API processes may share one PostgreSQL database: each job is claimed once.
                select(IngestJob).where(IngestJob.status == "queued").order_by(IngestJob.created_at).limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            job.status, job.stage, job.attempts, job.updated_at = "running", "starting", job.attempts + 1, utcnow()
            s.commit()
            return job.id

    def _wait_for_lock(self) -> bool:
        """Follow until the runner lock is free, then recover what the last runner left."""
        while not self.lock.try_acquire():
            if self._stop.wait(self.poll_s):
                return False
        log.info("this process now runs the upload jobs")
        try:
            self.recover()
        except Exception:  # database hiccup: the jobs stay as they are and are picked up below
            log.exception("upload job recovery failed")
        return True

    def _loop(self) -> None:
        lower_thread_priority(self.nice)
        if not self.lock.held and not self._wait_for_lock():
            return
        while not self._stop.is_set():
            try:
                job_id = self._next()
            except Exception:  # database hiccup: try again later
                log.exception("upload job queue read failed")
                job_id = None
            if job_id is None:
                self.fold_in()
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self.run_one(job_id)

    def fold_in(self) -> None:
        """Once the queue is empty after uploads were written, fold them into the indexes.

        Each upload is searchable as soon as it is written (the store scans rows its full-text
        and vector indexes do not cover yet), but that scan grows with every upload; folding
        them in per batch of uploads, off the request threads, keeps it short.
        """
        if not self._written or self._ingestor is None:
            return
        self._written = False
        optimize = getattr(getattr(self._ingestor, "store", None), "optimize", None)
        if callable(optimize):
            try:
                optimize()
            except Exception:  # the uploads stay searchable unindexed; try again after the next one
                log.exception("folding uploads into the indexes failed")
                self._written = True

    def run_one(self, job_id: str) -> None:
        from ingestion.manifest import DocumentTags
        from ingestion.pipeline import IngestError

        job = self.get(job_id)
        if job is None:
            return
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] < 0.5 and done < total:
                return  # at most two progress writes a second
            last[0] = now
            self._update(job_id, stage=stage, done=done, total=total)

        try:
            data = self._payload(job_id).read_bytes()
            if self._ingestor is None:
                self._ingestor = self._ingestor_factory()
            tags = DocumentTags.model_validate(job.tags)
            prepare = self.preparer.prepare if self.preparer is not None else None
            outcome = self._ingestor.ingest_bytes(data, job.doc_id, tags, progress=progress, prepare=prepare)
        except IngestError as exc:
            self._finish(job_id, error=("document_rejected", str(exc)))
        except UploadWorkerStopped:
            # Shutting down mid-job: the job stays "running", and recover() re-queues it at the next start.
            log.info("upload job %s left for the next start", job_id)
        except UploadWorkerCrashed as exc:
            self._finish(job_id, error=("worker_crashed", str(exc)))
        except FileNotFoundError:
            self._finish(job_id, error=("interrupted", "the uploaded bytes are missing; upload the file again"))
        except Exception as exc:
            log.exception("upload job %s failed", job_id)
            self._finish(job_id, error=("ingest_failed", f"ingest failed ({type(exc).__name__})"))
        else:
            self._finish(job_id, result={"doc_id": job.doc_id, "status": outcome.status, "chunks": outcome.chunks})
            self._written = self._written or outcome.status == "written"

    def _update(self, job_id: str, **values: Any) -> None:
        with self.db.session() as s:
            job = s.get(IngestJob, job_id)
            if job is not None:
                for k, v in values.items():
                    setattr(job, k, v)
                job.updated_at = utcnow()
                s.commit()

    def _fail(self, job: IngestJob, code: str, message: str) -> None:
        job.status, job.stage, job.error_code, job.error_message = "failed", "failed", code, message
        job.updated_at = utcnow()
        self._payload(job.id).unlink(missing_ok=True)

    def _finish(self, job_id: str, *, result: dict | None = None, error: tuple[str, str] | None = None) -> None:
        with self.db.session() as s:
            job = s.get(IngestJob, job_id)
            if job is None:
                return
            if error is not None:
                self._fail(job, *error)
            else:
                job.status, job.stage, job.result = "succeeded", "done", result
                job.done = job.total = max(job.total, 1)
                job.updated_at = utcnow()
            s.commit()
        self._payload(job_id).unlink(missing_ok=True)
