"""Pure-ASGI middleware: trace id, body size limit, content types and the "no principal from the
query string" rule for every request; Prometheus timing; one audit row per ``/v1`` request,
written *before* the response body is released (write-ahead): the response start is held back until
the row is committed, and a request whose row cannot be written answers 500 instead."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qsl

import anyio

from copilot.api.state import AppState
from copilot.core.audit import AuditRecord
from copilot.core.errors import error_body
from copilot.core.redact import redact_for_log
from retrievers.access import Principal
from retrievers.batching import Coalescer
from retrievers.stores.base import data_version, iter_chunks

log = logging.getLogger("copilot.api")

# Query-string names that would choose a principal; rejected outright (400), never read.
FORBIDDEN_QUERY_PARAMS = frozenset({"tenant_id", "tenant", "access_level", "level", "roles", "acting_for", "subject"})
JSON_ROUTES = frozenset({"/v1/search", "/v1/ask", "/v1/feedback"})
UPLOAD_ROUTES = frozenset({"/v1/documents", "/v1/checks/sow"})  # multipart file uploads

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]



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
        self._known_cache: tuple[int, dict[str, str]] | None = None
        self._batched_detector: _BatchedDetector | None = None

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
        audited = path.startswith("/v1/") and self.state.components is not None
        gate = _AuditGate(self, scope, send, trace_id, audited=audited)
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
        """The PII detector behind a :class:`Coalescer`: questions audited at the same moment are
        detected in one spaCy batch (same spans as one by one, less CPU per question)."""
        c = self.state.components
        detector = c.services.detector if c is not None else None
        if detector is None:
            return None
        batched = self._batched_detector
        if batched is None or batched.detector is not detector:
            batched = self._batched_detector = _BatchedDetector(detector)
        return batched

    def _known_pii(self) -> dict[str, str]:
        """Personal-data values stored as spans in the index (value -> type), refreshed when the
        index changes (its data version, else its size); used only to mask logged questions,
        never shown to anyone."""
        components = self.state.components
        if components is None:
            return {}
        services = components.services
        version = data_version(services.store)
        stamp = version if version is not None else services.store.count()
        cached = self._known_cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        values: dict[str, str] = {}
        for chunks in iter_chunks(services.store):
            for c in chunks:
                for sp in c.pii_spans:
                    value = c.text[sp.start : sp.end].strip()
                    if len(value) >= 4:
                        values[value] = sp.entity_type
        self._known_cache = (stamp, values)
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


class _BatchedDetector:
    """``detect(text)`` of a detector with ``detect_batch``, coalesced across concurrent requests,
    with the spans of recent questions kept (portals repeat suggested prompts; a detector's spans
    for one text never change, values known from the index are added by the caller each time).
    A text already being detected is waited for, not detected a second time in the next batch."""

    def __init__(self, detector: Any, cache_size: int = 2048):
        self.detector = detector
        self._batcher: Coalescer[list[Any]] = Coalescer(lambda texts: detector.detect_batch(texts))
        self._recent: OrderedDict[str, list[Any]] = OrderedDict()
        self._pending: dict[str, Future[list[Any]]] = {}
        self._lock = threading.Lock()
        self.cache_size = cache_size

    def detect(self, text: str) -> list[Any]:
        with self._lock:
            spans = self._recent.get(text)
            if spans is not None:
                self._recent.move_to_end(text)
                return list(spans)
            pending = self._pending.get(text)
            owner = pending is None
            if pending is None:
                pending = self._pending[text] = Future()
        if not owner:
            return list(pending.result())
        try:
            spans = self._batcher.call(text)
        except BaseException as exc:
            with self._lock:
                self._pending.pop(text, None)
            pending.set_exception(exc)
            raise
        with self._lock:
            self._recent[text] = list(spans)
            while len(self._recent) > self.cache_size:
                self._recent.popitem(last=False)
            self._pending.pop(text, None)
        pending.set_result(list(spans))
        return spans


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
