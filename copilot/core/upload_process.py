"""Upload preparation in a worker process: parse -> chunk -> PII -> mask -> embed.

spaCy/Presidio and the Python around chunking hold the interpreter lock for long stretches;
in a thread of the API process they stall the request threads between their steps whatever
the thread's priority. In a child process an upload only competes for CPU, and there the OS
priority (``upload_worker_nice``) applies to all of it. The child loads the same packaged
models with the same settings (nothing downloaded) and returns the chunks with their vectors;
the API process checks the document against the index and writes it (``Ingestor.ingest_bytes``),
so a failure or a crash of the child writes nothing.

Progress reaches the job through a multiprocessing queue read while the job waits. A child
that dies (killed, out of memory) fails its job with :class:`UploadWorkerCrashed`; the pool is
dropped and started again for the next job.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, cast

from copilot.core.settings import Settings
from ingestion.manifest import DocumentTags
from ingestion.pipeline import PreparedUpload, Progress
from retrievers.stores.base import Store

log = logging.getLogger("copilot.core.upload_process")

WARM_TEXT = "Warm up for Jane Doe at jane@example.com"


class UploadWorkerCrashed(RuntimeError):
    """The worker process died while preparing an upload; nothing was written."""


class UploadWorkerStopped(RuntimeError):
    """The service is shutting down: the job is left to be resumed at the next start."""


# ---- child side ------------------------------------------------------------------
_CHILD: dict[str, Any] = {}


class _NoStore:
    """The child prepares uploads only: any store access there is a bug, made loud."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the upload worker process has no index (store.{name})")


def _child_init(settings: Settings, events: Any, nice: int) -> None:
    # Set before torch starts its pools: one compute thread, like the serving process's default.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    from copilot.core.offline import force_offline
    from copilot.core.services import build_detector, build_ingestor
    from retrievers.embeddings import SentenceTransformerEmbedder

    force_offline()
    if nice > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not permitted: run at the inherited priority
            os.nice(nice)
    embedder = SentenceTransformerEmbedder(settings.embed_model_path, threads=1, precision=settings.embed_precision)
    ing = build_ingestor(settings, cast(Store, _NoStore()), embedder, build_detector(settings), ledger=False)
    _CHILD["ingestor"] = ing
    _CHILD["events"] = events
    # A failure here shows in the first job that meets it (with its real message), not as a broken pool.
    with contextlib.suppress(Exception):
        _warm(ing)


def _warm(ing: Any) -> None:
    """Load everything a job would load on first use, so no job pays it: the embedder's first
    batch, spaCy and the recognizers, and the parser's libraries (about 3 s of CPU for the
    document partitioners, imported on the first parse)."""
    from ingestion.parsing import parse_bytes

    ing.embedder.encode(["warm up"])
    if ing.detector is not None:
        ing.detector.detect(WARM_TEXT)
    parse_bytes(WARM_TEXT.encode(), "warm.txt")


def _child_info() -> dict[str, Any]:
    """The child's pid, nice value and torch threads (for checks and tests); it is warm by then."""
    import torch

    from ingestion import parsing

    return {"pid": os.getpid(), "nice": os.nice(0) if hasattr(os, "nice") else 0,
            "torch_threads": torch.get_num_threads(), "parser_ready": parsing.parser_ready()}


def _child_prepare(token: str, data: bytes, doc_id: str, tags_json: str, doc_hash: str) -> PreparedUpload:
    events = _CHILD["events"]

    def progress(stage: str, done: int, total: int) -> None:
        events.put((token, stage, done, total))

    tags = DocumentTags.model_validate_json(tags_json)
    return cast(PreparedUpload, _CHILD["ingestor"].prepare_upload(data, doc_id, tags, doc_hash, progress))


# ---- API side ----------------------------------------------------------------------
class UploadProcess:
    """A one-process pool that prepares uploads; started on first use, restarted after a crash."""

    def __init__(self, settings: Settings, *, nice: int = 0, start_method: str = "spawn"):
        self.settings = settings
        self.nice = nice
        # spawn: the API process runs threads (a fork would copy their held locks).
        self._ctx = mp.get_context(start_method)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._events: Any = None
        self._closing = False

    def _ensure(self) -> tuple[ProcessPoolExecutor, Any]:
        with self._lock:
            if self._closing:
                raise UploadWorkerStopped("the service is shutting down")
            if self._pool is None:
                self._events = self._ctx.Queue()
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=self._ctx, initializer=_child_init,
                    initargs=(self.settings, self._events, self.nice),
                )
            return self._pool, self._events

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool, self._events = None, None
        pool.shutdown(wait=False, cancel_futures=True)

    def info(self, timeout: float | None = None) -> dict[str, Any]:
        """Start (if needed) and warm the worker; its pid, nice value and torch threads."""
        pool, _ = self._ensure()
        return self._result(pool, pool.submit(_child_info), timeout)

    def prepare(self, data: bytes, doc_id: str, tags: DocumentTags, doc_hash: str,
                progress: Progress | None = None) -> PreparedUpload:
        """``Ingestor.prepare_upload`` in the worker; progress is relayed as it comes."""
        pool, events = self._ensure()
        token = uuid.uuid4().hex
        try:
            fut = pool.submit(_child_prepare, token, data, doc_id, tags.model_dump_json(), doc_hash)
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
            if self._closing:
                raise UploadWorkerStopped("the service is shutting down") from exc
            self._discard(pool)
            raise UploadWorkerCrashed(self._crash_message()) from exc
        while not fut.done():
            try:
                msg = events.get(timeout=0.1)
            except queue.Empty:
                continue
            # Messages of an earlier, crashed job carry another token.
            if msg[0] == token and progress is not None:
                progress(*msg[1:])
        return self._result(pool, fut, None)

    def _result(self, pool: ProcessPoolExecutor, fut: Future[Any], timeout: float | None) -> Any:
        try:
            return fut.result(timeout)
        except BrokenProcessPool as exc:
            if self._closing:
                raise UploadWorkerStopped("the service is shutting down") from exc
            log.error("the upload worker process died; starting a new one for the next job")
            self._discard(pool)
            raise UploadWorkerCrashed(self._crash_message()) from exc

    @staticmethod
    def _crash_message() -> str:
        return ("the upload worker process stopped unexpectedly (killed or out of memory); "
                "nothing was written: upload the file again")

    def close(self) -> None:
        """Stop the worker now (a job it was preparing is resumed at the next start)."""
        with self._lock:
            self._closing = True
            pool, self._pool, self._events = self._pool, None, None
        if pool is not None:
            # shutdown() alone would let the process exit only after the job it is preparing.
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
