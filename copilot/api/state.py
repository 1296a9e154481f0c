"""The API's state: every service built once, in the lifespan, by :func:`build_components`.

Routes and middleware depend on :class:`AppState` (through ``copilot.api.deps``), never on
the app module, so there is no import cycle between the app factory and its routes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from copilot.answering.answerer import Answerer, chunk_sentences
from copilot.answering.llm import build_llm
from copilot.core.audit import AuditLog, load_keyring
from copilot.core.auth import JwtVerifier, KeyStore
from copilot.core.db import Database, open_database
from copilot.core.errors import ServiceUnavailable
from copilot.core.jobs import JobRunner
from copilot.core.metrics import Metrics
from copilot.core.redact import ResponseRedactor
from copilot.core.services import Services, build_services
from copilot.core.settings import Settings
from copilot.core.upload_process import UploadProcess
from copilot.governance import escalations as esc
from copilot.governance.checks.service import GovernanceChecks
from copilot.governance.feedback import FeedbackService
from copilot.governance.reviews import ReviewQueue
from copilot.governance.webhooks import WebhookDispatcher, start_dispatcher
from guardrails.redaction import RedactionPolicy
from retrievers.access import Principal
from retrievers.stores.base import iter_chunks

log = logging.getLogger("copilot.api")


@dataclass(frozen=True)
class Components:
    """The long-lived services of one running API (built once; shared by every request)."""

    services: Services
    db: Database
    audit: AuditLog
    keys: KeyStore
    jwt: JwtVerifier
    limiter: MovingWindowRateLimiter
    answerer: Answerer
    webhooks: WebhookDispatcher | None  # None without webhook URLs
    escalations: esc.EscalationService
    governance: GovernanceChecks
    feedback: FeedbackService
    jobs: JobRunner  # upload jobs: accepted ones survive a restart (resumed or failed visibly)


@dataclass
class AppState:
    """What the app knows before and after startup; ``components`` is set once they are usable."""

    settings: Settings
    metrics: Metrics
    policy: RedactionPolicy
    components: Components | None = None
    startup_error: str | None = None
    started_at: float = field(default_factory=time.perf_counter)
    ready_seconds: float | None = None
    prewarm_seconds: float | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def ready(self) -> bool:
        return self.components is not None

    def built(self) -> Components:
        if self.components is None:
            raise ServiceUnavailable("the copilot is starting or failed to start; see /readyz")
        return self.components

    # The components, typed, for handlers (which only run once the app is ready).
    @property
    def services(self) -> Services:
        return self.built().services

    @property
    def db(self) -> Database:
        return self.built().db

    @property
    def audit(self) -> AuditLog:
        return self.built().audit

    @property
    def keys(self) -> KeyStore:
        return self.built().keys

    @property
    def jwt(self) -> JwtVerifier:
        return self.built().jwt

    @property
    def limiter(self) -> MovingWindowRateLimiter:
        return self.built().limiter

    @property
    def answerer(self) -> Answerer:
        return self.built().answerer

    @property
    def escalations(self) -> esc.EscalationService:
        return self.built().escalations

    @property
    def governance(self) -> GovernanceChecks:
        return self.built().governance

    @property
    def feedback(self) -> FeedbackService:
        return self.built().feedback

    @property
    def jobs(self) -> JobRunner:
        return self.built().jobs

    def redactor(self, principal: Principal) -> ResponseRedactor:
        detector = self.components.services.detector if self.components is not None else None
        return ResponseRedactor(principal, self.policy, detector)

    def start(self, services: Services | None = None) -> None:
        """Build every component (blocking; run in a worker thread), then start the background work."""
        self.components = build_components(self, services)
        self.components.jobs.start()
        self.ready_seconds = time.perf_counter() - self.started_at
        if self.settings.answer_prewarm_sentences > 0:
            threading.Thread(target=self._prewarm, name="sentence-prewarm", daemon=True).start()
        threading.Thread(target=self._warm_store, name="store-warm", daemon=True).start()
        # Only the process that runs the jobs warms a worker; another starts one if it takes over.
        if self.settings.upload_process and self.settings.upload_process_prestart and self.components.jobs.is_runner:
            threading.Thread(target=self._start_upload_worker, name="upload-worker-start", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self.components is not None:
            self.components.jobs.stop()
            if self.components.webhooks is not None:
                self.components.webhooks.stop()
            self.components.db.dispose()

    def _start_upload_worker(self) -> None:
        """Start and warm the upload worker process in the background (a failure is logged; the
        first upload then starts it as before)."""
        preparer = self.built().jobs.preparer
        if preparer is None:
            return
        try:
            info = preparer.info()
            log.info("upload worker process %s ready", info.get("pid"))
        except Exception:
            if not self.stopping.is_set():
                log.exception("upload worker start failed")

    def _warm_store(self) -> None:
        """Let the store load what its first searches would (a store without ``warm`` has nothing)."""
        warm = getattr(self.built().services.store, "warm", None)
        if warm is None:
            return
        try:
            log.info("store warmed: %d tables held in memory", warm())
        except Exception:  # an optimisation only: searches load what they need themselves
            log.exception("store warm-up failed")

    def _prewarm(self) -> None:
        """Encode the index's sentences in small batches so answers rarely wait for the model."""
        c = self.built()
        limit = self.settings.answer_prewarm_sentences

        def texts() -> Iterator[str]:
            n = 0
            for chunks in iter_chunks(c.services.store, batch_size=200):
                for chunk in chunks:
                    for *_, masked in chunk_sentences(chunk):
                        if n >= limit or self.stopping.is_set():
                            return
                        n += 1
                        yield masked

        try:
            t = time.perf_counter()
            n = c.answerer.vectors.prewarm(texts(), stop=self.stopping)
            self.prewarm_seconds = time.perf_counter() - t
            log.info("prewarmed %d sentence vectors in %.1fs", n, self.prewarm_seconds)
        except Exception:  # an optimisation only: answers still work without it
            log.exception("sentence prewarm failed")


def build_components(state: AppState, services: Services | None = None) -> Components:
    """The composition root: open the database, load the models and the index, wire every service.

    ``services`` lets tests and benchmarks share already loaded models.
    """
    s = state.settings
    db = open_database(s.sqlalchemy_url)
    keyring = load_keyring(s)  # refuses to start in production mode without a key
    # Load the PII detector (spaCy + Presidio) beside the embedding model: two cores, two loads.
    detector_thread = None
    if s.pii_detection and (services is None or services._detector is None):
        detector_thread = threading.Thread(target=_warm_detector, name="pii-load", daemon=True)
        detector_thread.start()
    svc = services or build_services(s)
    # Warm the models now so the first request is not the slow one.
    svc.embedder.encode(["warm up"])
    if detector_thread is not None:
        detector_thread.join()
    if svc.detector is not None:
        svc.detector.detect("Warm up for Jane Doe at jane@example.com")
    answerer = Answerer(svc.retriever, svc.embedder, s, llm=build_llm(s), scoper=svc.scoper)
    # Webhook worker: delivers events left in the outbox by an earlier run, too.
    webhooks = start_dispatcher(s, db.session.begin)
    llm = answerer.llm
    complete = (lambda prompt: str(llm.complete(prompt).text)) if llm is not None else None
    drafter = esc.EscalationDrafter(svc.retriever, redactor=state.redactor, complete=complete,
                                    plans_path=s.escalation_plans_path)
    queue = ReviewQueue(db.session.begin, webhooks=webhooks)
    return Components(
        services=svc,
        db=db,
        audit=AuditLog(db, keyring),
        keys=KeyStore(db, keyring, pepper=s.api_key_pepper),
        jwt=JwtVerifier(s),
        limiter=MovingWindowRateLimiter(storage_from_string(s.api_rate_limit_storage)),
        answerer=answerer,
        webhooks=webhooks,
        escalations=esc.EscalationService(drafter, db.session.begin, webhooks=webhooks,
                                          store_redact=lambda p: state.redactor(p).for_log),
        governance=GovernanceChecks(
            svc.retriever, s.templates_dir, queue, max_sow_bytes=int(s.max_sow_mb * 1024 * 1024)
        ),
        feedback=FeedbackService(db.session.begin, keyring),
        jobs=JobRunner(db, s.data_dir / "upload-jobs", svc.upload_writer if s.upload_process else svc.upload_ingestor,
                       nice=s.upload_worker_nice,
                       preparer=UploadProcess(s, nice=s.upload_worker_nice) if s.upload_process else None),
    )


def _warm_detector() -> None:
    from guardrails.pii import get_detector

    get_detector().detect("Warm up for Jane Doe at jane@example.com")
