"""The search service both /v1/search and /v1/ask use: document scoping, then retrieval with fallbacks.

Routes stay thin: they call :func:`find` and shape the response. ``find`` decides the scope
(the caller's ``doc_ids``, else the document the question unambiguously names, see
:class:`retrievers.query.MentionScoper`, which itself falls back to the whole pool when the
named document scores weakly), runs the retriever, and answers a full-text parser failure on
odd input from the dense side instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from copilot.core.services import Services
from retrievers.access import Principal
from retrievers.query import QueryPlan
from retrievers.schema import ScoredChunk
from retrievers.stores.base import StoreError


@dataclass
class Found:
    hits: list[ScoredChunk]
    plan: QueryPlan
    fulltext_failed: bool = False


def plan_query(services: Services, query: str, principal: Principal, doc_ids: Sequence[str] | None) -> QueryPlan:
    """The caller's scope when given; else the document the question names (if enabled and unambiguous)."""
    if doc_ids is not None or not services.settings.query_doc_scope:
        return QueryPlan(query=query, text=query, doc_ids=list(doc_ids) if doc_ids is not None else None)
    return services.scoper.plan(query, principal)


def find(
    services: Services, query: str, principal: Principal, *, k: int, mode: str = "hybrid",
    doc_ids: Sequence[str] | None = None, rerank: bool = False,
) -> Found:
    """Top-k chunks the principal may see for ``query`` (scope only ever narrows the access filter)."""
    plan = plan_query(services, query, principal, doc_ids)
    retriever = services.retriever
    try:
        hits = retriever.search(plan.text, principal, k=k, mode=mode, doc_ids=plan.doc_ids,  # type: ignore[arg-type]
                                rerank=rerank)
        return Found(hits, plan)
    except StoreError:
        if mode == "fulltext":
            return Found([], plan, fulltext_failed=True)
        hits = retriever.search(plan.text, principal, k=k, mode="dense", doc_ids=plan.doc_ids)
        return Found(hits, plan, fulltext_failed=True)
