"""A small typed HTTP client for the copilot API (used by the chat UI; reusable by portals).

It speaks only HTTP: everything the caller may see is decided by the server from the API key.
Errors come back as :class:`CopilotAPIError` carrying the API's ``{"error": {"code","message"}}``
so a UI can show ``message`` to the user. Both a blocking :class:`CopilotClient` and an
:class:`AsyncCopilotClient` (for async UIs such as Chainlit) are provided; they share request
building and response parsing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar

import httpx

__all__ = [
    "AskResult",
    "AsyncCopilotClient",
    "Citation",
    "CopilotAPIError",
    "CopilotClient",
    "Document",
    "Escalation",
    "SearchHit",
    "SearchResult",
    "StreamEvent",
]

T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """Dataclass from a JSON object, ignoring fields this client version does not know."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


class CopilotAPIError(Exception):
    """An error answer of the API (or a transport failure, with status 0)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def user_message(self) -> str:
        """A sentence fit to show in a UI."""
        if self.status == 0:
            return f"The copilot service cannot be reached ({self.message})."
        if self.status == 401:
            return "Your session is not accepted by the copilot service. Please log in again."
        if self.status == 429:
            return "Too many requests right now. Please wait a moment and try again."
        if self.status >= 500:
            return "The copilot service had a problem answering. Please try again."
        return self.message[:1].upper() + self.message[1:] if self.message else f"Request failed ({self.code})."


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    section: str = ""
    page: int | None = None
    chunk_id: str = ""
    char_start: int = 0
    char_end: int = 0
    snippet: str = ""


@dataclass
class AskResult:
    answer: str
    citations: list[Citation]
    grounded: bool = False
    refused: bool = False
    mode: str = "extractive"
    confidence: float = 0.0
    removed_sentences: int = 0
    latency_ms: float = 0.0
    trace_id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AskResult:
        d = dict(data)
        d["citations"] = [_build(Citation, c) for c in d.get("citations", [])]
        return _build(cls, d)


@dataclass
class SearchHit:
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    section: str = ""
    page: int | None = None
    score: float = 0.0
    doc_type: str = ""
    snippet: str = ""
    char_start: int = 0
    char_end: int = 0


@dataclass
class SearchResult:
    results: list[SearchHit]
    trace_id: str = ""
    latency_ms: float = 0.0


@dataclass
class Document:
    doc_id: str
    tenant_id: str
    title: str
    doc_type: str
    access_level: str = ""
    version: str = ""
    chunks: int = 0


@dataclass
class Escalation:
    """A stored escalation draft as the API returns it."""

    id: str
    status: str
    customer: str
    project_ref: str
    severity: str
    markdown: str
    note: dict[str, Any] = field(default_factory=dict)
    tenant_id: str = ""
    access_level: str = ""  # the highest level among the cited evidence
    created_by: str = ""
    created_at: str = ""
    decided_by: str | None = None
    decided_at: str | None = None
    decision_comment: str | None = None
    latency_ms: int = 0
    transitions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return list(self.note.get("evidence", []))


@dataclass
class StreamEvent:
    """One server-sent event of ``/v1/ask`` streaming: ``event`` name and its JSON ``data``."""

    event: str
    data: dict[str, Any]


# ---------------------------------------------------------------------------------------------


def _error_from(resp: httpx.Response) -> CopilotAPIError:
    try:
        err = resp.json().get("error", {})
        return CopilotAPIError(resp.status_code, str(err.get("code", "error")), str(err.get("message", "")))
    except (ValueError, AttributeError):
        return CopilotAPIError(resp.status_code, "error", resp.text[:200] or resp.reason_phrase)


def _parse_sse_lines(lines: Iterator[str] | list[str], state: dict[str, Any]) -> Iterator[StreamEvent]:
    """Incremental SSE parser: feeds lines, yields complete events (``state`` keeps partial ones)."""
    for raw in lines:
        line = raw.rstrip("\r")
        if line == "":
            if state.get("data"):
                yield _event(state.get("event") or "message", "\n".join(state["data"]))
            state.clear()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            state["event"] = value
        elif name == "data":
            state.setdefault("data", []).append(value)


def _event(name: str, data: str) -> StreamEvent:
    try:
        payload = json.loads(data)
    except ValueError:
        payload = {"text": data}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    return StreamEvent(name, payload)


class _Base:
    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "partner-copilot-client/1"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout

    @staticmethod
    def _ask_body(question: str, doc_ids: Sequence[str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if doc_ids:
            body["doc_ids"] = list(doc_ids)
        return body

    @staticmethod
    def _search_body(query: str, k: int, mode: str, doc_ids: Sequence[str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query, "k": k, "mode": mode}
        if doc_ids:
            body["doc_ids"] = list(doc_ids)
        return body

    @staticmethod
    def _draft_body(
        customer: str, project_ref: str, summary: str, severity: str, observed_facts: Sequence[str]
    ) -> dict[str, Any]:
        return {
            "customer": customer,
            "project_ref": project_ref,
            "summary": summary,
            "severity": severity,
            "observed_facts": [f for f in observed_facts if f.strip()],
        }

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        if resp.status_code >= 400:
            raise _error_from(resp)
        try:
            return resp.json()
        except ValueError:
            raise CopilotAPIError(resp.status_code, "bad_response", "the service sent a non-JSON response") from None


class CopilotClient(_Base):
    """Blocking client. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(base_url, api_key, timeout=timeout)
        self._http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport)

    def __enter__(self) -> CopilotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            resp = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise CopilotAPIError(0, "unreachable", str(exc) or type(exc).__name__) from exc
        return self._json(resp)

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/healthz")

    def search(
        self, query: str, *, k: int = 10, mode: str = "hybrid", doc_ids: Sequence[str] | None = None
    ) -> SearchResult:
        data = self._call("POST", "/v1/search", json=self._search_body(query, k, mode, doc_ids))
        return SearchResult([_build(SearchHit, h) for h in data["results"]], data.get("trace_id", ""),
                            data.get("latency_ms", 0.0))

    def ask(self, question: str, *, doc_ids: Sequence[str] | None = None) -> AskResult:
        return AskResult.from_json(self._call("POST", "/v1/ask", json=self._ask_body(question, doc_ids)))

    def ask_stream(self, question: str, *, doc_ids: Sequence[str] | None = None) -> Iterator[StreamEvent]:
        """Server-sent events of one answer, in order, as they arrive."""
        headers = {"Accept": "text/event-stream"}
        try:
            with self._http.stream("POST", "/v1/ask", json=self._ask_body(question, doc_ids), headers=headers) as r:
                if r.status_code >= 400:
                    r.read()
                    raise _error_from(r)
                state: dict[str, Any] = {}
                yield from _parse_sse_lines(r.iter_lines(), state)
                yield from _parse_sse_lines([""], state)
        except httpx.HTTPError as exc:
            raise CopilotAPIError(0, "unreachable", str(exc) or type(exc).__name__) from exc

    def feedback(self, trace_id: str, rating: Literal["up", "down"], comment: str = "") -> dict[str, Any]:
        return self._call("POST", "/v1/feedback", json={"trace_id": trace_id, "rating": rating, "comment": comment})

    def documents(self) -> list[Document]:
        return [_build(Document, d) for d in self._call("GET", "/v1/documents")["documents"]]

    def draft_escalation(
        self, *, customer: str, project_ref: str, summary: str, severity: str, observed_facts: Sequence[str] = ()
    ) -> Escalation:
        body = self._draft_body(customer, project_ref, summary, severity, observed_facts)
        return _build(Escalation, self._call("POST", "/v1/escalations/draft", json=body))

    def get_escalation(self, draft_id: str) -> Escalation:
        return _build(Escalation, self._call("GET", f"/v1/escalations/{draft_id}"))

    def list_escalations(self, status: str | None = None) -> list[Escalation]:
        """Notes the caller may read, newest first; ``status="draft"`` gives those awaiting a decision."""
        params = {"status": status} if status else None
        return [_build(Escalation, d) for d in self._call("GET", "/v1/escalations", params=params)["items"]]

    def feedback_vote(self, trace_id: str) -> str | None:
        """The caller's current vote on an answer (``"up"``, ``"down"`` or None)."""
        return self._call("GET", f"/v1/feedback/{trace_id}").get("rating")

    def approve_escalation(self, draft_id: str, comment: str = "") -> Escalation:
        return _build(Escalation, self._call("POST", f"/v1/escalations/{draft_id}/approve", json={"comment": comment}))

    def reject_escalation(self, draft_id: str, comment: str = "") -> Escalation:
        return _build(Escalation, self._call("POST", f"/v1/escalations/{draft_id}/reject", json={"comment": comment}))


class AsyncCopilotClient(_Base):
    """The same calls for asyncio code (``await client.ask(...)``, ``async for ev in client.ask_stream(...)``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        super().__init__(base_url, api_key, timeout=timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncCopilotClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            resp = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise CopilotAPIError(0, "unreachable", str(exc) or type(exc).__name__) from exc
        return self._json(resp)

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "/healthz")

    async def search(
        self, query: str, *, k: int = 10, mode: str = "hybrid", doc_ids: Sequence[str] | None = None
    ) -> SearchResult:
        data = await self._call("POST", "/v1/search", json=self._search_body(query, k, mode, doc_ids))
        return SearchResult([_build(SearchHit, h) for h in data["results"]], data.get("trace_id", ""),
                            data.get("latency_ms", 0.0))

    async def ask(self, question: str, *, doc_ids: Sequence[str] | None = None) -> AskResult:
        return AskResult.from_json(await self._call("POST", "/v1/ask", json=self._ask_body(question, doc_ids)))

    async def ask_stream(self, question: str, *, doc_ids: Sequence[str] | None = None) -> AsyncIterator[StreamEvent]:
        headers = {"Accept": "text/event-stream"}
        try:
            async with self._http.stream(
                "POST", "/v1/ask", json=self._ask_body(question, doc_ids), headers=headers
            ) as r:
                if r.status_code >= 400:
                    await r.aread()
                    raise _error_from(r)
                state: dict[str, Any] = {}
                async for line in r.aiter_lines():
                    for ev in _parse_sse_lines([line], state):
                        yield ev
                for ev in _parse_sse_lines([""], state):
                    yield ev
        except httpx.HTTPError as exc:
            raise CopilotAPIError(0, "unreachable", str(exc) or type(exc).__name__) from exc

    async def feedback(self, trace_id: str, rating: Literal["up", "down"], comment: str = "") -> dict[str, Any]:
        return await self._call(
            "POST", "/v1/feedback", json={"trace_id": trace_id, "rating": rating, "comment": comment}
        )

    async def documents(self) -> list[Document]:
        return [_build(Document, d) for d in (await self._call("GET", "/v1/documents"))["documents"]]

    async def draft_escalation(
        self, *, customer: str, project_ref: str, summary: str, severity: str, observed_facts: Sequence[str] = ()
    ) -> Escalation:
        body = self._draft_body(customer, project_ref, summary, severity, observed_facts)
        return _build(Escalation, await self._call("POST", "/v1/escalations/draft", json=body))

    async def get_escalation(self, draft_id: str) -> Escalation:
        return _build(Escalation, await self._call("GET", f"/v1/escalations/{draft_id}"))

    async def list_escalations(self, status: str | None = None) -> list[Escalation]:
        params = {"status": status} if status else None
        data = await self._call("GET", "/v1/escalations", params=params)
        return [_build(Escalation, d) for d in data["items"]]

    async def feedback_vote(self, trace_id: str) -> str | None:
        return (await self._call("GET", f"/v1/feedback/{trace_id}")).get("rating")

    async def approve_escalation(self, draft_id: str, comment: str = "") -> Escalation:
        return _build(
            Escalation, await self._call("POST", f"/v1/escalations/{draft_id}/approve", json={"comment": comment})
        )

    async def reject_escalation(self, draft_id: str, comment: str = "") -> Escalation:
        return _build(
            Escalation, await self._call("POST", f"/v1/escalations/{draft_id}/reject", json={"comment": comment})
        )
