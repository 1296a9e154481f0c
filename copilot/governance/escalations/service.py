"""Stored drafts and their decisions: draft -> approved | rejected, under the access rules.

Every read goes through :func:`retrievers.access.can_read` on the draft's :class:`RecordAccess`
(its tenant and the highest level among its evidence): a reader of another tenant, or below the
draft's level, gets :class:`NotFound` exactly as for a missing id. Drafting needs one of
``DRAFTER_ROLES``; deciding needs ``APPROVER_ROLES`` and is never done by the drafter (four eyes).
Caller-typed text (request fields, decision comments) is redacted before it is stored.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.governance.escalations.drafter import EscalationDrafter
from copilot.governance.escalations.errors import Conflict, Forbidden, NotFound
from copilot.governance.escalations.markdown import render_markdown
from copilot.governance.escalations.model import (
    APPROVER_ROLES,
    DRAFTER_ROLES,
    STATUS_APPROVED,
    STATUS_DRAFT,
    STATUS_REJECTED,
    STATUSES,
    DraftRequest,
    Note,
)
from copilot.governance.escalations.tables import EscalationDraft, EscalationTransition
from copilot.governance.escalations.webhook import event_payload
from retrievers.access import Principal, RecordAccess, can_read, record_filter, visible_records

SessionFactory = Callable[[], AbstractContextManager[Session]]
AuditFn = Callable[..., Any]
StoreRedact = Callable[[Principal], Callable[[str], str]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _valid_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def default_store_redact(principal: Principal) -> Callable[[str], str]:
    """Redaction for stored text without a detector: the safety net only (e-mail addresses)."""
    from copilot.core.redact import redact_for_log

    return lambda text: redact_for_log(text, None)


@dataclass
class DraftView:
    """A stored draft as returned to its readers."""

    id: str
    status: str
    tenant_id: str
    access_level: str
    created_by: str
    customer: str
    project_ref: str
    severity: str
    created_at: str
    updated_at: str
    decided_by: str | None
    decided_at: str | None
    decision_comment: str | None
    note: dict[str, Any]
    markdown: str
    latency_ms: int
    transitions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _view(s: Session, row: EscalationDraft) -> DraftView:
    trans = s.scalars(
        select(EscalationTransition).where(EscalationTransition.draft_id == row.id).order_by(EscalationTransition.id)
    )
    return DraftView(
        id=row.id, status=row.status, tenant_id=row.tenant_id, access_level=row.record_access.access_level.label,
        created_by=row.created_by, customer=row.customer, project_ref=row.project_ref, severity=row.severity,
        created_at=_iso(row.created_at), updated_at=_iso(row.updated_at), decided_by=row.decided_by,
        decided_at=_iso(row.decided_at) if row.decided_at else None, decision_comment=row.decision_comment,
        note=row.note, markdown=row.markdown, latency_ms=row.latency_ms,
        transitions=[
            {"from": t.from_status, "to": t.to_status, "actor": t.actor, "at": _iso(t.at), "comment": t.comment}
            for t in trans
        ],
    )


def note_access(tenant_id: str, note: Note) -> RecordAccess:
    """A note's access: its tenant and the highest level among the chunks it cites."""
    return RecordAccess.from_evidence(tenant_id, [(e.doc_id, e.access_level) for e in note.evidence])


class EscalationService:
    """Draft, list, read, approve and reject escalation notes for authenticated principals.

    ``audit(principal, action, **details)`` writes to the audit log; ``webhooks`` is a
    :class:`copilot.governance.webhooks.WebhookDispatcher` (or None); ``store_redact(principal)`` returns the
    function that redacts caller-typed text before it is stored.
    """

    def __init__(self, drafter: EscalationDrafter, session_factory: SessionFactory, *,
                 audit: AuditFn | None = None, webhooks: Any | None = None,
                 clock: Callable[[], datetime] = _utcnow, store_redact: StoreRedact | None = None):
        self.drafter = drafter
        self._sessions = session_factory
        self._audit = audit
        self._webhooks = webhooks
        self._clock = clock
        self._store_redact = store_redact or default_store_redact

    def _record(self, principal: Principal, action: str, **details: Any) -> None:
        if self._audit is not None:
            self._audit(principal, action, **details)

    def create(self, req: DraftRequest, principal: Principal) -> DraftView:
        """Draft a note for ``principal`` and store it with status ``draft``."""
        if not principal.has_role(*DRAFTER_ROLES):
            raise Forbidden(f"drafting escalation notes needs one of the roles {', '.join(DRAFTER_ROLES)}")
        t0 = time.perf_counter()
        raw = req.validated()
        safe = raw.mapped(self._store_redact(principal))
        note = self.drafter.draft(safe, principal, raw=raw)
        latency = int(round((time.perf_counter() - t0) * 1000))
        now, draft_id, acc = self._clock(), str(uuid.uuid4()), note_access(principal.tenant_id, note)
        with self._sessions() as s:
            row = EscalationDraft(
                id=draft_id, tenant_id=principal.tenant_id, access_level=int(acc.access_level),
                evidence_doc_ids=list(acc.evidence_doc_ids), created_by=principal.subject, status=STATUS_DRAFT,
                customer=safe.customer, project_ref=safe.project_ref, severity=safe.severity, request=asdict(safe),
                note=note.as_dict(), latency_ms=latency, created_at=now, updated_at=now,
                markdown=render_markdown(note, safe, drafted_by=principal.subject, status=STATUS_DRAFT),
            )
            s.add(row)
            s.add(EscalationTransition(draft_id=draft_id, from_status=None, to_status=STATUS_DRAFT,
                                       actor=principal.subject, tenant_id=principal.tenant_id, at=now))
            s.flush()
            if self._webhooks is not None:
                self._webhooks.emit("escalation.drafted", event_payload(row), session=s)
            view = _view(s, row)
        self._record(principal, "escalation.draft", draft_id=draft_id,
                     chunk_ids=[e.chunk_id for e in note.evidence], status=STATUS_DRAFT)
        return view

    def _get_row(self, s: Session, draft_id: str, principal: Principal, *, lock: bool = False) -> EscalationDraft:
        row = s.get(EscalationDraft, draft_id, with_for_update=lock) if _valid_id(draft_id) else None
        # Another tenant's draft, or one above the reader's level, looks exactly like a missing one.
        if row is None or not can_read(principal, row):
            raise NotFound("escalation draft not found")
        return row

    def get(self, draft_id: str, principal: Principal) -> DraftView:
        with self._sessions() as s:
            return _view(s, self._get_row(s, draft_id, principal))

    def list(self, principal: Principal, *, status: str | None = None, limit: int = 50,
             offset: int = 0) -> list[DraftView]:
        """Drafts the principal may read, newest first (pre-filtered in SQL, re-checked)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        tenants, max_level = record_filter(principal)
        q = select(EscalationDraft).where(
            EscalationDraft.tenant_id.in_(tenants),
            EscalationDraft.access_level.is_not(None),
            EscalationDraft.access_level <= max_level,
        )
        if status:
            q = q.where(EscalationDraft.status == status)
        q = q.order_by(EscalationDraft.created_at.desc(), EscalationDraft.id).limit(limit).offset(offset)
        with self._sessions() as s:
            return [_view(s, r) for r in visible_records(principal, s.scalars(q))]

    def approve(self, draft_id: str, principal: Principal, comment: str | None = None) -> DraftView:
        return self._decide(draft_id, principal, STATUS_APPROVED, comment)

    def reject(self, draft_id: str, principal: Principal, comment: str | None = None) -> DraftView:
        return self._decide(draft_id, principal, STATUS_REJECTED, comment)

    @staticmethod
    def _denial(row: EscalationDraft, principal: Principal, verb: str) -> str | None:
        if not principal.has_role(*APPROVER_ROLES):
            return f"only a {' or '.join(APPROVER_ROLES)} of this tenant may {verb} escalation notes"
        if row.created_by == principal.subject:
            return f"the drafter of a note may not {verb} it; another {APPROVER_ROLES[0]} must decide"
        return None

    def _apply(self, s: Session, row: EscalationDraft, principal: Principal, to_status: str,
               comment: str | None) -> DraftView:
        if row.status != STATUS_DRAFT:
            raise Conflict(f"escalation draft is already {row.status}")
        now, prev = self._clock(), row.status
        clean = self._store_redact(principal)((comment or "").strip()[:2000]) or None
        row.status, row.updated_at, row.decided_by, row.decided_at = to_status, now, principal.subject, now
        row.decision_comment = clean
        row.markdown = render_markdown(Note.from_dict(row.note), DraftRequest.from_stored(row.request),
                                       drafted_by=row.created_by, status=to_status)
        s.add(EscalationTransition(draft_id=row.id, from_status=prev, to_status=to_status, actor=principal.subject,
                                   tenant_id=principal.tenant_id, comment=clean, at=now))
        s.flush()
        if self._webhooks is not None:
            self._webhooks.emit(f"escalation.{to_status}", event_payload(row), session=s)
        return _view(s, row)

    def _decide(self, draft_id: str, principal: Principal, to_status: str, comment: str | None) -> DraftView:
        verb = "approve" if to_status == STATUS_APPROVED else "reject"
        action = f"escalation.{verb}"
        with self._sessions() as s:
            row = self._get_row(s, draft_id, principal, lock=True)
            denied = self._denial(row, principal, verb)
            view = None if denied else self._apply(s, row, principal, to_status, comment)
        if denied or view is None:
            self._record(principal, action, draft_id=draft_id, outcome="denied")
            raise Forbidden(denied or "denied")
        self._record(principal, action, draft_id=draft_id, status=to_status, outcome="ok")
        return view
