"""/v1/jobs/{job_id}: progress and outcome of an upload (JSON, or Server-Sent Events).

A job is readable by exactly those who may see the document it uploads
(:func:`copilot.core.jobs.job_visible`); any other id, hidden or absent, answers the same 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES, JobOut
from copilot.core.errors import NotFound
from copilot.core.jobs import job_view, job_visible
from retrievers.access import Principal

router = APIRouter(tags=["documents"])

_NOT_FOUND = "no such job"


def _load(state: Any, job_id: str, principal: Principal) -> dict[str, Any]:
    job = state.jobs.get(job_id) if len(job_id) <= 64 else None
    if job is None or not job_visible(job, principal):
        raise NotFound(_NOT_FOUND)
    return job_view(job)


@router.get("/v1/jobs/{job_id}", response_model=JobOut, responses=ERROR_RESPONSES)
async def get_job(job_id: str, principal: CurrentPrincipal, state: State, request: Request) -> JobOut:
    """Status of an upload job: queued, running (with stage and progress), succeeded (result) or failed (error)."""
    view = await anyio.to_thread.run_sync(_load, state, job_id, principal)
    request.state.audit = {"details": {"job_id": job_id, "status": view["status"]}}
    return JobOut.model_validate(view)


@router.get("/v1/jobs/{job_id}/events", responses=ERROR_RESPONSES)
async def job_events(job_id: str, principal: CurrentPrincipal, state: State, request: Request) -> EventSourceResponse:
    """The job as Server-Sent Events: a ``progress`` event on every change, then ``done`` or ``failed``."""
    first = await anyio.to_thread.run_sync(_load, state, job_id, principal)
    request.state.audit = {"details": {"job_id": job_id, "stream": True}}

    async def events() -> AsyncIterator[dict[str, str]]:
        view, last = first, None
        while True:
            snapshot = json.dumps(view, sort_keys=True)
            if snapshot != last:
                last = snapshot
                end = view["status"] in ("succeeded", "failed")
                event = ("done" if view["status"] == "succeeded" else "failed") if end else "progress"
                yield {"event": event, "data": json.dumps(JobOut.model_validate(view).model_dump(mode="json"))}
                if end:
                    return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.5)
            view = await anyio.to_thread.run_sync(_load, state, job_id, principal)

    return EventSourceResponse(events(), ping=15)
