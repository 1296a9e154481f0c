"""Escalation notes: draft from evidence, list, read, approve or reject.

Every read applies the record rule of ``retrievers.access``: a draft of another tenant, or one
citing evidence above the reader's level, answers 404 exactly like a missing one and is left out
of lists. Drafting needs a drafter role; deciding needs ``partner_manager`` and is never done by
the drafter. Every call is written to the audit log by the API middleware; this router adds what
happened (draft id, transition, outcome, cited chunks) to that row.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from copilot.api.deps import CurrentPrincipal, State
from copilot.api.models import ERROR_RESPONSES
from copilot.api.state import AppState
from copilot.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from copilot.governance import escalations as esc

router = APIRouter(prefix="/v1/escalations", tags=["escalations"], responses=ERROR_RESPONSES)

_CONTROL = set(chr(c) for c in range(32)) - {"\n", "\t"}


def _no_control(value: str, what: str) -> str:
    if any(ch in _CONTROL for ch in value):
        raise ValueError(f"{what} contains control characters")
    return value.strip()


class DraftIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer": "Ormond Precision Castings",
                    "project_ref": "SOW-ALD-2026-02",
                    "summary": "Subcontracting goods receipt fails for batch-managed components",
                    "severity": "P1",
                    "observed_facts": ["Heat-treatment orders blocked for 40 users", "No response after 2 hours"],
                }
            ]
        },
    )

    customer: str = Field(min_length=1, max_length=300)
    project_ref: str = Field(default="", max_length=300, description="Project or SOW reference, e.g. SOW-ALD-2026-02")
    summary: str = Field(min_length=1, max_length=2000)
    severity: Literal["P1", "P2", "P3", "P4"]
    observed_facts: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("customer", "project_ref", "summary")
    @classmethod
    def _text(cls, v: str) -> str:
        return _no_control(v, "field")

    @field_validator("observed_facts")
    @classmethod
    def _facts(cls, v: list[str]) -> list[str]:
        out = [_no_control(f, "observed fact") for f in v]
        if any(len(f) > 1000 for f in out):
            raise ValueError("each observed fact may have at most 1000 characters")
        return [f for f in out if f]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=2000)

    @field_validator("comment")
    @classmethod
    def _c(cls, v: str) -> str:
        return _no_control(v, "comment")


class EscalationOut(BaseModel):
    id: str
    status: Literal["draft", "approved", "rejected"]
    tenant_id: str
    created_by: str
    access_level: str = Field(description="highest access level among the cited evidence")
    customer: str
    project_ref: str
    severity: str
    created_at: str
    updated_at: str
    decided_by: str | None
    decided_at: str | None
    decision_comment: str | None
    note: dict[str, Any] = Field(description="Sections (sentences with kind evidence|reported|gap) and evidence")
    markdown: str
    latency_ms: int
    transitions: list[dict[str, Any]]


def service_for(state: AppState) -> esc.EscalationService:
    """The app's escalation service (built once at startup; shares the app's models and database)."""
    return state.escalations


def _audit(request: Request, action: str, **details: Any) -> None:
    info = getattr(request.state, "audit", None) or {}
    chunk_ids = details.pop("chunk_ids", None)
    info.setdefault("details", {}).update({"action": action, **details})
    if chunk_ids is not None:
        info["chunk_ids"] = chunk_ids
    request.state.audit = info


def _out(view: esc.DraftView) -> EscalationOut:
    return EscalationOut(**view.as_dict())


@router.post("/draft", response_model=EscalationOut, status_code=201, summary="Draft an escalation note")
def draft(body: DraftIn, request: Request, principal: CurrentPrincipal, state: State) -> EscalationOut:
    """Retrieve contract, SLA, SOW, release-note and playbook evidence you may see and draft a cited note."""
    svc = service_for(state)
    req = esc.request_from_fields(body.model_dump())
    rr = state.redactor(principal)
    request.state.audit = {"query": rr.for_log(req.summary)}
    try:
        view = svc.create(req, principal)
    except esc.DraftError as exc:
        raise Unprocessable(str(exc)) from None
    except esc.Forbidden as exc:
        _audit(request, "escalation.draft", outcome="denied")
        raise Forbidden(str(exc)) from None
    _audit(
        request,
        "escalation.draft",
        draft_id=view.id,
        to_status=view.status,
        chunk_ids=[e["chunk_id"] for e in view.note.get("evidence", [])],
    )
    return _out(view)


class EscalationList(BaseModel):
    items: list[EscalationOut]


@router.get("", response_model=EscalationList, summary="List escalation notes you may read")
def list_escalations(
    request: Request, principal: CurrentPrincipal, state: State,
    status: Literal["draft", "approved", "rejected"] | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> EscalationList:
    """Notes of your tenant (and tenants you act for) at or below your level, newest first;
    ``status=draft`` is the pending-approvals list."""
    views = service_for(state).list(principal, status=status, limit=limit, offset=offset)
    _audit(request, "escalation.list", status=status, draft_ids=[v.id for v in views])
    return EscalationList(items=[_out(v) for v in views])


@router.get("/{draft_id}", response_model=EscalationOut, summary="Read an escalation draft of your tenant")
def get(draft_id: str, request: Request, principal: CurrentPrincipal, state: State) -> EscalationOut:
    try:
        view = service_for(state).get(draft_id, principal)
    except esc.NotFound:
        _audit(request, "escalation.read", draft_id=draft_id[:64], outcome="not_found")
        raise NotFound("escalation draft not found") from None
    _audit(request, "escalation.read", draft_id=view.id)
    return _out(view)


def _decide(
    draft_id: str, to: str, body: DecisionIn | None, request: Request, principal: Any, state: AppState
) -> EscalationOut:
    svc = service_for(state)
    action = f"escalation.{'approve' if to == esc.STATUS_APPROVED else 'reject'}"
    comment = body.comment if body is not None else ""
    try:
        view = (svc.approve if to == esc.STATUS_APPROVED else svc.reject)(draft_id, principal, comment)
    except esc.NotFound:
        _audit(request, action, draft_id=draft_id[:64], outcome="not_found")
        raise NotFound("escalation draft not found") from None
    except esc.Forbidden as exc:
        _audit(request, action, draft_id=draft_id, outcome="denied")
        raise Forbidden(str(exc)) from None
    except esc.Conflict as exc:
        _audit(request, action, draft_id=draft_id, outcome="conflict")
        raise Conflict(str(exc)) from None
    _audit(request, action, draft_id=view.id, from_status=esc.STATUS_DRAFT, to_status=view.status, outcome="ok")
    return _out(view)


@router.post("/{draft_id}/approve", response_model=EscalationOut, summary="Approve a draft (partner_manager)")
def approve(
    draft_id: str, request: Request, principal: CurrentPrincipal, state: State, body: DecisionIn | None = None
) -> EscalationOut:
    """Only a ``partner_manager`` who may read the draft, and did not draft it, may approve."""
    return _decide(draft_id, esc.STATUS_APPROVED, body, request, principal, state)


@router.post("/{draft_id}/reject", response_model=EscalationOut, summary="Reject a draft (partner_manager)")
def reject(
    draft_id: str, request: Request, principal: CurrentPrincipal, state: State, body: DecisionIn | None = None
) -> EscalationOut:
    """Only a ``partner_manager`` who may read the draft, and did not draft it, may reject."""
    return _decide(draft_id, esc.STATUS_REJECTED, body, request, principal, state)
