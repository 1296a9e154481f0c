"""POST /v1/ask: a cited answer as JSON, or as Server-Sent Events for ``Accept: text/event-stream``.

The stream carries the same redacted answer and citations as the JSON response:
``answer`` events (one per answer sentence), one ``citations`` event, then ``done``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sse_starlette.sse import EventSourceResponse

from copilot.answering.answerer import Answer, evidence_question
from copilot.answering.search import find
from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, AskRequest, AskResponse, CitationOut
from copilot.api.state import AppState
from retrievers.access import Principal
from retrievers.stores.base import StoreError

router = APIRouter(tags=["ask"])


def answer_question(
    state: AppState, body: AskRequest, principal: Principal, request: Request
) -> tuple[AskResponse, list[str]]:
    """Answer, record metrics and the audit details; returns the response and its streamable pieces."""
    red = state.redactor(principal)
    t = time.perf_counter()
    try:
        ans: Answer = state.answerer.answer(body.question, principal, red, body.doc_ids)
    except StoreError:
        # A full-text parser failure on odd input: the search service answers from the dense side.
        assert state.services is not None
        asked = state.answerer.read_question(body.question, principal)
        found = find(state.services, asked, principal, k=state.settings.answer_top_k, mode="dense",
                     doc_ids=body.doc_ids)
        ans = state.answerer.extractive(evidence_question(asked, found.plan), principal, found.hits, red,
                                        body.doc_ids is not None)
    state.metrics.retrieval_seconds.labels(mode="ask").observe(time.perf_counter() - t)
    if ans.refused:
        state.metrics.refusals.labels(mode=ans.mode).inc()
    else:
        state.metrics.answer_confidence.observe(ans.confidence)
    state.metrics.answers.labels(mode=ans.mode, grounded=str(ans.grounded).lower()).inc()
    request.state.audit = {
        "raw_query": body.question,  # redacted by the audit writer before it is stored
        "chunk_ids": [c.chunk_id for c in ans.citations],
        "refused": ans.refused,
        "details": {
            "mode": ans.mode,
            "retrieved": ans.retrieved_chunk_ids,
            "grounded": ans.grounded,
            "removed_sentences": ans.removed_sentences,
            "scoped": body.doc_ids is not None,
            **ans.details,
        },
    }
    # Recorded before the answer leaves, so the client can rate it at once (POST /v1/feedback).
    assert state.feedback is not None
    state.feedback.record_answer(request.state.trace_id, principal.subject, principal.tenant_id)
    latency = (time.perf_counter() - request.state.t0) * 1000
    resp = AskResponse(
        answer=ans.answer,
        citations=[CitationOut(**c.as_dict()) for c in ans.citations],
        grounded=ans.grounded,
        refused=ans.refused,
        mode=ans.mode,
        confidence=ans.confidence,
        removed_sentences=ans.removed_sentences,
        latency_ms=round(latency, 2),
        trace_id=request.state.trace_id,
    )
    return resp, ans.sentences or [ans.answer]


def sse_events(resp: AskResponse, pieces: list[str]) -> Iterator[dict[str, str]]:
    for piece in pieces:
        yield {"event": "answer", "data": json.dumps({"text": piece})}
    yield {"event": "citations", "data": json.dumps({"citations": [c.model_dump() for c in resp.citations]})}
    done = resp.model_dump(exclude={"answer", "citations"})
    yield {"event": "done", "data": json.dumps(done)}


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    responses={
        **ERROR_RESPONSES,
        200: {
            "description": "The answer as JSON, or as Server-Sent Events (answer, citations, done) when the "
            "request sends `Accept: text/event-stream`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def ask(body: AskRequest, principal: CurrentPrincipal, state: State, request: Request):
    """Answer a question from the documents the caller may see, with `[n]` citations."""
    resp, pieces = await anyio.to_thread.run_sync(answer_question, state, body, principal, request)
    if "text/event-stream" in request.headers.get("accept", ""):
        return EventSourceResponse(sse_events(resp, pieces), ping=15)
    return JSONResponse(resp.model_dump())
