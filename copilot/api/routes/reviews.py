"""/v1/reviews: the human review queue of governance findings.

Items are listed for the caller's tenant only. Deciding needs the role ``partner_manager``
or ``vendor_reviewer``; another tenant's item answers 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Literal

import anyio
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES
from copilot.api.routes.checks import governance
from copilot.core.errors import ServiceUnavailable
from copilot.governance.reviews import ReviewQueue, ReviewView

router = APIRouter(tags=["reviews"])


class ReviewList(BaseModel):
    items: list[ReviewView]  # the queue's own view type doubles as the response schema


class DecisionRequest(BaseModel):
    decision: Literal["accepted", "overridden"]
    reason: str = Field(min_length=1, max_length=2000)


def _queue(state) -> ReviewQueue:
    queue = governance(state).queue
    if queue is None:
        raise ServiceUnavailable("the review queue is not available")
    return queue


@router.get("/v1/reviews", response_model=ReviewList, responses=ERROR_RESPONSES)
async def list_reviews(
    principal: CurrentPrincipal, state: State, request: Request,
    status: Literal["open", "accepted", "overridden"] | None = Query(default=None),
    check_type: Literal["sow", "milestone"] | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> ReviewList:
    """Review items of your tenant, newest first."""
    items = await anyio.to_thread.run_sync(
        lambda: _queue(state).list(principal, status=status, check_type=check_type, limit=limit, offset=offset))
    request.state.audit = {"details": {"reviews": len(items), "status": status, "check_type": check_type}}
    return ReviewList(items=list(items))


@router.get("/v1/reviews/{review_id}", response_model=ReviewView, responses=ERROR_RESPONSES)
async def get_review(review_id: str, principal: CurrentPrincipal, state: State, request: Request) -> ReviewView:
    """One review item with its history."""
    item = await anyio.to_thread.run_sync(lambda: _queue(state).get(principal, review_id))
    request.state.audit = {"details": {"review_id": review_id}}
    return item


@router.post("/v1/reviews/{review_id}/decision", response_model=ReviewView, responses=ERROR_RESPONSES)
async def decide_review(review_id: str, body: DecisionRequest, principal: CurrentPrincipal, state: State,
                        request: Request) -> ReviewView:
    """Accept or override an open finding, with a reason (partner_manager or vendor_reviewer)."""
    reason = state.redactor(principal).for_log(body.reason)
    request.state.audit = {"query": reason, "details": {"review_id": review_id, "decision": body.decision}}
    item = await anyio.to_thread.run_sync(lambda: _queue(state).decide(principal, review_id, body.decision, reason))
    return item
