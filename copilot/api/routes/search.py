"""POST /v1/search: permission-filtered hybrid search with redacted snippets."""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot.answering.search import find
from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, SearchHit, SearchRequest, SearchResponse
from copilot.api.state import AppState
from retrievers.access import Principal
from retrievers.schema import ScoredChunk

router = APIRouter(tags=["search"])


def run_search(
    state: AppState, query: str, principal: Principal, k: int, mode: str, doc_ids: Sequence[str] | None
) -> list[ScoredChunk]:
    """The search service (scoping and fallbacks in :func:`copilot.answering.search.find`) with metrics."""
    assert state.services is not None
    t = time.perf_counter()
    hits = find(state.services, query, principal, k=k, mode=mode, doc_ids=doc_ids,
                rerank=state.settings.rerank and mode == "hybrid").hits
    state.metrics.retrieval_seconds.labels(mode=mode).observe(time.perf_counter() - t)
    if hits:
        state.metrics.retrieval_top_score.labels(mode=mode).observe(hits[0].score)
    return hits


@router.post("/v1/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search(body: SearchRequest, principal: CurrentPrincipal, state: State, request: Request) -> Response:
    """Top-k chunks the caller may see; personal data in snippets is redacted for this caller."""
    k = min(body.k, state.settings.api_search_max_k)
    hits = run_search(state, body.query, principal, k, body.mode, body.doc_ids)
    red = state.redactor(principal)
    results = [
        SearchHit(
            rank=i,
            chunk_id=h.chunk.chunk_id,
            doc_id=h.chunk.doc_id,
            title=h.chunk.title,
            section=h.chunk.section,
            page=h.chunk.page,
            char_start=h.chunk.char_start,
            char_end=h.chunk.char_end,
            score=round(float(h.score), 6),
            doc_type=h.chunk.doc_type,
            snippet=red.chunk_text(h.chunk),
        )
        for i, h in enumerate(hits, start=1)
    ]
    request.state.audit = {
        "raw_query": body.query,  # redacted by the audit writer before it is stored
        "chunk_ids": [h.chunk_id for h in results],
        "details": {"mode": body.mode, "k": k, "scoped": body.doc_ids is not None},
    }
    latency = (time.perf_counter() - request.state.t0) * 1000
    response = SearchResponse(results=results, trace_id=request.state.trace_id, latency_ms=round(latency, 2))
    # Rendered here by pydantic: returned as a model, FastAPI would validate it against
    # ``response_model`` a second time, convert it to plain data and encode that with ``json``.
    return Response(content=response.model_dump_json(), media_type="application/json")
