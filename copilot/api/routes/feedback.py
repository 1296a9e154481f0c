"""Feedback on answers: one current vote per user and answer (``POST`` sets it, ``GET`` reads it).

Only answers the caller's tenant received can be rated; any other trace id answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, FeedbackRequest, FeedbackResult, FeedbackVote
from copilot.core.errors import NotFound
from copilot.governance.feedback import UnknownAnswer

router = APIRouter(tags=["feedback"])

TraceId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")]


@router.post("/v1/feedback", response_model=FeedbackResult, status_code=201, responses=ERROR_RESPONSES)
def feedback(body: FeedbackRequest, principal: CurrentPrincipal, state: State, request: Request) -> FeedbackResult:
    """Rate an earlier answer (a new vote by the same user replaces the old one), with a redacted comment."""
    assert state.feedback is not None
    comment = state.redactor(principal).for_log(body.comment)
    request.state.audit = {"query": comment, "details": {"answer_trace_id": body.trace_id, "rating": body.rating}}
    try:
        vote = state.feedback.vote(body.trace_id, principal.subject, principal.tenant_id, body.rating, comment)
    except UnknownAnswer:
        raise NotFound("no answer with this trace id") from None
    # The audit row names the feedback row, so deleting it is detected by `copilot audit verify`.
    request.state.audit["details"]["feedback_id"] = vote.feedback_id
    state.metrics.feedback.labels(rating=body.rating).inc()
    return FeedbackResult(status=vote.status, trace_id=body.trace_id, rating=body.rating)  # type: ignore[arg-type]


@router.get("/v1/feedback/{trace_id}", response_model=FeedbackVote, responses=ERROR_RESPONSES)
def current_vote(trace_id: TraceId, principal: CurrentPrincipal, state: State) -> FeedbackVote:
    """The caller's current vote on an answer (``rating`` is null before the first vote)."""
    assert state.feedback is not None
    try:
        vote = state.feedback.current(trace_id, principal.subject, principal.tenant_id)
    except UnknownAnswer:
        raise NotFound("no answer with this trace id") from None
    return FeedbackVote(trace_id=trace_id, rating=vote.rating)  # type: ignore[arg-type]
