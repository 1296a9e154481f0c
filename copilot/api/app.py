"""The HTTP API: ``create_app(settings)`` builds a FastAPI app over one data dir.

Services (embedding model, index, PII detector) are loaded at startup in the
lifespan; ``/readyz`` answers 200 once they are usable. Pure-ASGI middleware
enforces the body size limit, content types and the "no principal from the query
string" rule, times every request for Prometheus and writes one audit row per
``/v1`` request *before* the response body is released (write-ahead): the response start is held
back until the row is committed, and a request whose row cannot be written answers 500 instead.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from copilot.answering.answerer import Answerer
from copilot.answering.llm import build_llm
from copilot.core.audit import AuditLog, AuditRecord, load_keyring
from copilot.core.auth import JwtVerifier, KeyStore
from copilot.core.db import Database, open_database
from copilot.core.errors import error_body, install_error_handlers
from copilot.core.jobs import JobRunner
from copilot.core.metrics import Metrics
from copilot.core.redact import ResponseRedactor, load_policy, redact_for_log
from copilot.core.services import Services, build_services
from copilot.core.settings import Settings
from copilot.governance.feedback import FeedbackService
from guardrails.redaction import RedactionPolicy
from retrievers.access import Principal

log = logging.getLogger("copilot.api")

# Query-string names that would choose a principal; rejected outright (400), never read.
FORBIDDEN_QUERY_PARAMS = frozenset({"tenant_id", "tenant", "access_level", "level", "roles", "acting_for", "subject"})
JSON_ROUTES = frozenset({"/v1/search", "/v1/ask", "/v1/feedback"})
UPLOAD_ROUTES = frozenset({"/v1/documents", "/v1/checks/sow"})  # multipart file uploads
API_VERSION = "0.1.0"

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class AppState:
    """Everything a request handler needs; built once per app."""

    settings: Settings
    metrics: Metrics
    policy: RedactionPolicy
    services: Services | None = None
    db: Database | None = None
    audit: AuditLog | None = None
    keys: KeyStore | None = None
    feedback: FeedbackService | None = None
    jwt: JwtVerifier | None = None
    answerer: Answerer | None = None
    limiter: MovingWindowRateLimiter | None = None
    jobs: JobRunner | None = None
    ready: bool = False
    startup_error: str | None = None
    started_at: float = field(default_factory=time.perf_counter)
    ready_seconds: float | None = None
    prewarm_seconds: float | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def redactor(self, principal: Principal) -> ResponseRedactor:
        detector = self.services.detector if self.services is not None else None
        return ResponseRedactor(principal, self.policy, detector)

    def start(self, services: Services | None = None) -> None:
        """Open the database and load the models and index (blocking; run in a worker thread)."""
        s = self.settings
        self.db = open_database(s.sqlalchemy_url)
        keyring = load_keyring(s)  # refuses to start in production mode without a key
        self.audit = AuditLog(self.db, keyring)
        self.keys = KeyStore(self.db, keyring, pepper=s.api_key_pepper)
        self.feedback = FeedbackService(self.db.session.begin, keyring)
        self.jwt = JwtVerifier(s)
        self.limiter = MovingWindowRateLimiter(storage_from_string(s.api_rate_limit_storage))
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
        self.answerer = Answerer(svc.retriever, svc.embedder, s, llm=build_llm(s), scoper=svc.scoper)
        self.services = svc
        # Upload jobs: accepted ones survive a restart (resumed or failed visibly, copilot/core/jobs.py).
        self.jobs = JobRunner(self.db, s.data_dir / "upload-jobs", svc.upload_ingestor)
        self.jobs.start()
        self.ready = True
        self.ready_seconds = time.perf_counter() - self.started_at
        if s.answer_prewarm_sentences > 0:
            threading.Thread(target=self._prewarm, name="sentence-prewarm", daemon=True).start()

    def _prewarm(self) -> None:
        """Encode the index's sentences in small batches so answers rarely wait for the model."""
        from copilot.answering.answerer import chunk_sentences

        assert self.services is not None and self.answerer is not None
        limit = self.settings.answer_prewarm_sentences

        def texts():  # type: ignore[no-untyped-def]
            n = 0
            for chunks, _ in self.services.store.iter_all(batch_size=200):  # type: ignore[union-attr]
                for c in chunks:
                    for *_, masked in chunk_sentences(c):
                        if n >= limit or self.stopping.is_set():
                            return
                        n += 1
                        yield masked

        try:
            t = time.perf_counter()
            n = self.answerer.vectors.prewarm(texts(), stop=self.stopping)
            self.prewarm_seconds = time.perf_counter() - t
            log.info("prewarmed %d sentence vectors in %.1fs", n, self.prewarm_seconds)
        except Exception:  # an optimisation only: answers still work without it
            log.exception("sentence prewarm failed")


def _warm_detector() -> None:
    from guardrails.pii import get_detector

    get_detector().detect("Warm up for Jane Doe at jane@example.com")


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or []:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


async def _send_error(send: Send, status: int, code: str, message: str, trace_id: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-trace-id", trace_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Trace id, request limits, content types, metrics and the audit row, for every HTTP request."""

    def __init__(self, app: ASGIApp, state: AppState):
        self.app = app
        self.state = state

    def _route_template(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if path:
            return str(path)
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        trace_id = uuid.uuid4().hex
        scope.setdefault("state", {})
        scope["state"]["trace_id"] = trace_id
        scope["state"]["t0"] = t0
        path: str = scope["path"]
        method: str = scope["method"]
        gate = _AuditGate(self, scope, send, trace_id, audited=path.startswith("/v1/") and self.state.audit is not None)
        try:
            rejected = self._precheck(scope, path, method)
            if rejected is not None:
                await _send_error(gate.send, *rejected, trace_id)
                return
            limited = await self._limit_body(scope, receive, path, method, gate.send, trace_id)
            if limited is None:
                return
            await self.app(scope, limited, gate.send)
        finally:
            await gate.finish()
            elapsed = time.perf_counter() - t0
            self.state.metrics.request_seconds.labels(
                route=self._route_template(scope), method=method, status=str(gate.status)).observe(elapsed)

    def _precheck(self, scope: Scope, path: str, method: str) -> tuple[int, str, str] | None:
        qs = scope.get("query_string", b"").decode("latin-1")
        if qs:
            names = {k.lower() for k, _ in parse_qsl(qs, keep_blank_values=True)}
            if names & FORBIDDEN_QUERY_PARAMS:
                return 400, "principal_in_request", (
                    "tenant, access level and roles come from your credentials only; remove "
                    + ", ".join(sorted(names & FORBIDDEN_QUERY_PARAMS))
                )
        if method == "POST":
            ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if path in JSON_ROUTES and ctype != "application/json":
                return 415, "unsupported_media_type", "send the request body as application/json"
            if path == "/v1/documents" and ctype != "multipart/form-data":
                return 415, "unsupported_media_type", "upload documents as multipart/form-data"
        return None

    async def _limit_body(
        self, scope: Scope, receive: Receive, path: str, method: str, send: Send, trace_id: str
    ) -> Receive | None:
        if method not in ("POST", "PUT", "PATCH"):
            return receive
        s = self.state.settings
        limit = int(s.api_max_upload_mb * 1024 * 1024) if path in UPLOAD_ROUTES else s.api_max_json_kb * 1024
        too_large = f"request body exceeds {limit:,} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    await _send_error(send, 413, "payload_too_large", too_large, trace_id)
                    return None
            except ValueError:
                await _send_error(send, 400, "bad_request", "invalid Content-Length", trace_id)
                return None
        # Read (at most limit + 1 bytes of) the body here, so chunked uploads are capped too.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, "payload_too_large", too_large, trace_id)
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    def _detector(self) -> Any | None:
        services = self.state.services
        return services.detector if services is not None else None

    def _known_pii(self) -> dict[str, str]:
        """Personal-data values stored as spans in the index (value -> type), refreshed when the
        index size changes; used only to mask logged questions, never shown to anyone."""
        services = self.state.services
        if services is None:
            return {}
        count = services.store.count()
        cached = getattr(self, "_known_cache", None)
        if cached is not None and cached[0] == count:
            return cached[1]
        values: dict[str, str] = {}
        for chunks, _ in services.store.iter_all():
            for c in chunks:
                for sp in c.pii_spans:
                    value = c.text[sp.start : sp.end].strip()
                    if len(value) >= 4:
                        values[value] = sp.entity_type
        self._known_cache = (count, values)
        return values

    def _logged_query(self, info: dict[str, Any]) -> str:
        """Questions are redacted here, after the response was sent, off the request path."""
        if "raw_query" not in info:
            return str(info.get("query", ""))
        try:
            return redact_for_log(info["raw_query"], self._detector(), self._known_pii())
        except Exception:  # never store a question we could not redact
            log.exception("redaction of an audited question failed")
            return "[question withheld: redaction failed]"

    def _audit(self, scope: Scope, status: int) -> bool:
        """Commit the request's audit row; False when it could not be written."""
        st = self.state
        info: dict[str, Any] = scope["state"].get("audit") or {}
        principal: Principal | None = scope["state"].get("principal")
        route = self._route_template(scope)
        method = scope["method"]
        elapsed = time.perf_counter() - scope["state"]["t0"]
        try:
            assert st.audit is not None
            st.audit.append(
                AuditRecord(
                    trace_id=scope["state"]["trace_id"],
                    subject=principal.subject if principal else "anonymous",
                    tenant_id=principal.tenant_id if principal else "",
                    route=route if route != "unmatched" else scope["path"][:200],
                    method=method,
                    status=status,
                    query=self._logged_query(info),
                    chunk_ids=info.get("chunk_ids", []),
                    refused=bool(info.get("refused", False)),
                    latency_ms=elapsed * 1000,
                    details=info.get("details", {}),
                )
            )
        except Exception:  # the caller gets a 500 instead of an unaudited response
            log.exception("audit append failed for trace %s", scope["state"].get("trace_id"))
            return False
        return True


class _AuditGate:
    """Holds a response's start message until its audit row is committed (write-ahead audit).

    The row is written when the first body message arrives (the handler has recorded what it
    did by then, streaming responses included). If the write fails, the caller gets a 500 error
    instead of the held response and nothing of the body is released.
    """

    def __init__(self, guard: GuardMiddleware, scope: Scope, send: Send, trace_id: str, audited: bool):
        self.guard, self.scope, self._send, self.trace_id, self.audited = guard, scope, send, trace_id, audited
        self.status = 500
        self._start: Message | None = None
        self._written = not audited
        self._failed = False

    async def _write(self) -> bool:
        self._written = True
        return await anyio.to_thread.run_sync(self.guard._audit, self.scope, self.status)

    async def send(self, message: Message) -> None:
        if self._failed:
            return  # the held response was replaced by an error: drop the rest of it
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = list(message.get("headers") or [])
            if not any(k.lower() == b"x-trace-id" for k, _ in headers):
                headers.append((b"x-trace-id", self.trace_id.encode()))
            self._start = {**message, "headers": headers}
            return
        if message["type"] == "http.response.body" and not self._written and not await self._write():
            self._failed = True
            self.status = 500
            body = json.dumps(error_body("audit_unavailable", "the request could not be recorded; retry")).encode()
            await self._send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"x-trace-id", self.trace_id.encode())]})
            await self._send({"type": "http.response.body", "body": body})
            return
        if self._start is not None:
            start, self._start = self._start, None
            await self._send(start)
        await self._send(message)

    async def finish(self) -> None:
        """A request that ended without a body (client gone, handler crashed) is audited too."""
        if not self._written:
            await self._write()


DOCS_ASSETS = "/docs-assets"


def _local_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from assets shipped in the fastapi-offline package,
    so both work without internet (FastAPI's defaults load them from a CDN)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png", swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the API for ``settings``; ``services`` lets tests and benchmarks share loaded models."""
    from copilot.api.routes import ask, documents, escalations, feedback, health, jobs, metrics, reviews, search
    from copilot.api.routes import checks as governance_checks

    state = AppState(settings=settings, metrics=Metrics(), policy=load_policy(settings.redaction_policy_path))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(state.start, services)
            # Webhook worker: delivers events left in the outbox by an earlier run, too.
            from copilot.governance.webhooks import dispatcher_for

            dispatcher_for(state)
        except Exception as exc:
            # Stay up so /healthz and /readyz can report it; every other route answers 503.
            state.startup_error = f"{type(exc).__name__}: {exc}"
            log.exception("copilot failed to start")
        yield
        state.stopping.set()
        if state.jobs is not None:
            await anyio.to_thread.run_sync(state.jobs.stop)
        if state.db is not None:
            state.db.dispose()

    app = FastAPI(
        title="Partner Copilot API",
        version=API_VERSION,
        description=(
            "Permission-aware search and cited answers over the vendor's and your organisation's documents. "
            "Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key or JWT>`. "
            "Errors are JSON: `{\"error\": {\"code\", \"message\"}}`."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    _local_docs(app)
    app.state.copilot = state
    install_error_handlers(app)
    for module in (search, ask, documents, jobs, feedback, health, metrics, escalations, governance_checks,
                   reviews):
        app.include_router(module.router)
    app.add_middleware(GuardMiddleware, state=state)
    if settings.api_cors_origins:
        # Added last = outermost, so error responses of the guard carry CORS headers too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept", "X-Act-For"],
            expose_headers=["X-Trace-Id", "Retry-After"],
            max_age=600,
        )
    return app
