"""POST /v1/feedback: rate an answer by its trace id (only answers the caller's tenant received)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, FeedbackRequest, FeedbackResult
from copilot.db import Feedback
from copilot.errors import NotFound

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackResult, status_code=201, responses=ERROR_RESPONSES)
def feedback(body: FeedbackRequest, principal: CurrentPrincipal, state: State, request: Request) -> FeedbackResult:
    """Store a rating and a (redacted) comment for an earlier answer."""
    assert state.audit is not None and state.db is not None
    # The answer's audit row is written just after its response is sent, so a client that
    # rates immediately can arrive first: wait briefly for it before calling the id unknown.
    deadline = time.monotonic() + 3.0
    while state.audit.find(body.trace_id, principal.tenant_id, ["/v1/ask"]) is None:
        if time.monotonic() > deadline:
            raise NotFound("no answer with this trace id")
        time.sleep(0.05)
    red = state.redactor(principal)
    comment = red.for_log(body.comment)
    with state.db.session.begin() as s:
        s.add(Feedback(trace_id=body.trace_id, subject=principal.subject, tenant_id=principal.tenant_id,
                       rating=body.rating, comment=comment))
    state.metrics.feedback.labels(rating=body.rating).inc()
    request.state.audit = {"query": comment, "details": {"answer_trace_id": body.trace_id, "rating": body.rating}}
    return FeedbackResult(status="recorded", trace_id=body.trace_id)
