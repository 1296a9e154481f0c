"""/v1/checks: SOW scope check and milestone evidence check.

Both checks only report. Every finding becomes an open review item (``/v1/reviews``) that a
person accepts or overrides. Text in responses is redacted for the caller; the review queue
stores the log-safe redaction.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES
from copilot.api.state import AppState
from copilot.core.errors import BadRequest, Unprocessable, UnsupportedMediaType
from copilot.governance.checks.models import MilestoneCheckResult, SowCheckResult
from copilot.governance.checks.service import GovernanceChecks

router = APIRouter(tags=["governance checks"])


def governance(state: AppState) -> GovernanceChecks:
    """The app's checks and review queue (built once at startup; shares the webhook dispatcher)."""
    return state.governance


class SowByDocId(BaseModel):
    doc_id: str = Field(min_length=1, max_length=1000, description="an indexed SOW you may see")


class MilestoneCheckRequest(BaseModel):
    project: str = Field(min_length=1, max_length=200, description="project code or name, e.g. PRJ-KVD")
    milestone: str = Field(min_length=1, max_length=100, description="checklist id, e.g. go-live-readiness")


_SOW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SowByDocId.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary",
                                            "description": "the SOW (.md, .txt, .html, .docx, .pdf)"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post("/v1/checks/sow", response_model=SowCheckResult, responses=ERROR_RESPONSES, openapi_extra=_SOW_BODY)
async def check_sow(request: Request, principal: CurrentPrincipal, state: State) -> SowCheckResult:
    """Compare a SOW (uploaded file, or an indexed ``doc_id`` you may see) with the approved scope language."""
    gov = governance(state)
    red = state.redactor(principal)
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BadRequest("send the SOW as the multipart field 'file'")
        data = await upload.read()
        name = upload.filename or ""
        doc = await anyio.to_thread.run_sync(gov.sow_from_upload, data, name)
        tenant = principal.tenant_id
    elif ctype == "application/json":
        try:
            body = SowByDocId.model_validate_json(await request.body())
        except ValidationError as exc:
            raise Unprocessable("send {\"doc_id\": \"<indexed SOW>\"}: " + exc.errors()[0].get("msg", "invalid body")
                                ) from None
        doc, tenant = await anyio.to_thread.run_sync(gov.sow_from_index, body.doc_id, principal)
    else:
        raise UnsupportedMediaType("upload the SOW as multipart/form-data, or send {\"doc_id\"} as application/json")
    result = await anyio.to_thread.run_sync(
        lambda: gov.check_sow(doc, principal, tenant_id=tenant, redact=red.free_text, store_redact=red.for_log))
    request.state.audit = {"query": red.for_log(doc.doc_id), "details": {
        "check": "sow", "check_id": result.check_id, "doc_id": doc.doc_id,
        "findings": [f.rule_id for f in result.findings], "review_item_ids": result.review_item_ids}}
    return result


@router.post("/v1/checks/milestone", response_model=MilestoneCheckResult, responses=ERROR_RESPONSES)
async def check_milestone(body: MilestoneCheckRequest, request: Request, principal: CurrentPrincipal,
                          state: State) -> MilestoneCheckResult:
    """Report found / missing / ambiguous for every artifact the milestone's checklist requires."""
    gov = governance(state)
    red = state.redactor(principal)
    result = await anyio.to_thread.run_sync(
        lambda: gov.check_milestone(body.project, body.milestone, principal, redact=red.free_text,
                                    store_redact=red.for_log))
    request.state.audit = {
        "query": red.for_log(f"{body.project} {body.milestone}"),
        "chunk_ids": [a.citation.chunk_id for a in result.artifacts if a.citation and a.citation.chunk_id],
        "details": {"check": "milestone", "check_id": result.check_id,
                    "status": {a.artifact_id: a.status for a in result.artifacts},
                    "review_item_ids": result.review_item_ids}}
    return result
