"""POST /v1/feedback: rate an answer by its trace id (only answers the caller's tenant received)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, FeedbackRequest, FeedbackResult
from copilot.audit import feedback_payload
from copilot.db import Feedback, utcnow
from copilot.errors import NotFound

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackResult, status_code=201, responses=ERROR_RESPONSES)
def feedback(body: FeedbackRequest, principal: CurrentPrincipal, state: State, request: Request) -> FeedbackResult:
    """Store a rating and a (redacted) comment for an earlier answer."""
    assert state.audit is not None and state.db is not None
    # The answer's audit row is committed before its body was released (write-ahead audit), so
    # a rating can never arrive before it.
    if state.audit.find(body.trace_id, principal.tenant_id, ["/v1/ask"]) is None:
        raise NotFound("no answer with this trace id")
    red = state.redactor(principal)
    comment = red.for_log(body.comment)
    with state.db.session.begin() as s:
        row = Feedback(trace_id=body.trace_id, subject=principal.subject, tenant_id=principal.tenant_id,
                       rating=body.rating, comment=comment, created_at=utcnow())
        s.add(row)
        s.flush()  # the id is part of the seal
        row.seal = state.audit.keyring.seal("feedback", feedback_payload(row))
    state.metrics.feedback.labels(rating=body.rating).inc()
    # The audit row names the feedback row, so deleting it is detected by `copilot audit verify`.
    request.state.audit = {"query": comment, "details": {"answer_trace_id": body.trace_id, "rating": body.rating,
                                                          "feedback_id": row.id}}
    return FeedbackResult(status="recorded", trace_id=body.trace_id)
