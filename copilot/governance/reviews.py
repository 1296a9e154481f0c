"""The human review queue for governance check findings.

Every finding of a SOW or milestone check becomes a review item with status ``open``. A
person with role ``partner_manager`` or ``vendor_reviewer`` of the item's tenant moves it
to ``accepted`` (the finding stands: the SOW or evidence must change) or ``overridden``
(the finding does not apply), always with a reason. The machine never decides.

Every item carries a :class:`retrievers.access.RecordAccess` (its tenant, the documents its
finding cites and the highest level among them) and is read only through
:func:`retrievers.access.can_read`: another tenant's item, or one above the reader's level, is
absent from lists and answers 404 exactly like a missing id.

Items live in SQL on the shared declarative base (same database as the audit log). Every
transition is stored, written to the audit log, and new findings are announced through
the outgoing webhook outbox (``review.findings_created``) in the same transaction, so an
item and its event are committed together. Re-running a check does not duplicate items:
an item with the same finding key (same document version, rule and place) is reused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from copilot.core.db import Base
from copilot.core.errors import BadRequest, Conflict, Forbidden, NotFound
from retrievers.access import Principal, RecordAccess, can_read, record_filter, visible_records

STATUS_OPEN = "open"
STATUS_ACCEPTED = "accepted"
STATUS_OVERRIDDEN = "overridden"
DECISIONS = (STATUS_ACCEPTED, STATUS_OVERRIDDEN)
REVIEWER_ROLES = ("partner_manager", "vendor_reviewer")
MAX_REASON = 2000
EVENT_CREATED = "review.findings_created"
EVENT_DECIDED = "review.decided"
_NAMESPACE = uuid.UUID("0b8f3c52-4a1e-4f0e-9d6a-5c2e7b1d9a40")

SessionFactory = Callable[[], AbstractContextManager[Session]]
AuditFn = Callable[..., Any]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


class ReviewItem(Base):
    """One finding waiting for (or carrying) a person's decision."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("tenant_id", "finding_key", name="uq_review_items_finding"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    # Highest level among the cited documents; NULL (rows from before levels) reads as restricted.
    access_level: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    evidence_doc_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    finding_key: Mapped[str] = mapped_column(String(128))
    check_type: Mapped[str] = mapped_column(String(16))  # sow | milestone
    check_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_ref: Mapped[str] = mapped_column(String(500))  # SOW doc_id, or project/milestone
    rule_id: Mapped[str] = mapped_column(String(64))  # template rule or artifact id
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)  # redacted
    finding: Mapped[dict] = mapped_column(JSON, default=dict)  # redacted copy of the finding
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def record_access(self) -> RecordAccess:
        return RecordAccess.stored(self.tenant_id, self.access_level, self.evidence_doc_ids)


class ReviewTransition(Base):
    """Append-only history of an item's status changes."""

    __tablename__ = "review_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(String(36), ForeignKey("review_items.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass
class NewReviewItem:
    """What a check hands to the queue (text already redacted for storage)."""

    finding_key: str
    rule_id: str
    severity: str
    summary: str
    finding: dict[str, Any]
    access: RecordAccess | None = None  # tenant is set by submit(); level and evidence from the check


@dataclass
class ReviewView:
    id: str
    tenant_id: str
    check_type: str
    check_id: str
    subject_ref: str
    rule_id: str
    severity: str
    summary: str
    status: str
    created_by: str
    created_at: str | None
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    finding: dict[str, Any]
    transitions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SubmitResult:
    ids: list[str]
    created: list[str]


class ReviewQueue:
    """Create, list and decide review items for authenticated principals."""

    def __init__(self, session_factory: SessionFactory, *, audit: AuditFn | None = None,
                 webhooks: Any | None = None, clock: Callable[[], datetime] = _utcnow):
        self._sessions = session_factory
        self._audit = audit
        self._webhooks = webhooks
        self._clock = clock

    def _record(self, principal: Principal, action: str, **details: Any) -> None:
        if self._audit is not None:
            self._audit(principal, action, **details)

    @staticmethod
    def _view(s: Session, row: ReviewItem, *, history: bool = False) -> ReviewView:
        trans: list[dict[str, Any]] = []
        if history:
            for t in s.scalars(select(ReviewTransition).where(ReviewTransition.review_id == row.id)
                               .order_by(ReviewTransition.id)):
                trans.append({"from": t.from_status, "to": t.to_status, "actor": t.actor, "reason": t.reason,
                              "at": _iso(t.at)})
        return ReviewView(
            id=row.id, tenant_id=row.tenant_id, check_type=row.check_type, check_id=row.check_id,
            subject_ref=row.subject_ref, rule_id=row.rule_id, severity=row.severity, summary=row.summary,
            status=row.status, created_by=row.created_by, created_at=_iso(row.created_at),
            decided_by=row.decided_by, decided_at=_iso(row.decided_at), decision_reason=row.decision_reason,
            finding=dict(row.finding or {}), transitions=trans,
        )

    # -- producing -------------------------------------------------------------------------
    def submit(self, principal: Principal, tenant_id: str, check_type: str, check_id: str, subject_ref: str,
               items: Sequence[NewReviewItem]) -> SubmitResult:
        """Store the findings of one check as open items; returns every item id (new or reused)."""
        now = self._clock()
        ids: list[str] = []
        created: list[ReviewItem] = []
        with self._sessions() as s:
            for it in items:
                digest = hashlib.sha256(it.finding_key.encode("utf-8")).hexdigest()
                existing = s.scalar(select(ReviewItem).where(ReviewItem.tenant_id == tenant_id,
                                                             ReviewItem.finding_key == digest))
                if existing is not None:
                    # Same finding on the same document version: open ones are not duplicated and
                    # decided ones are not reopened (the key changes when the document changes).
                    ids.append(existing.id)
                    continue
                # Finding keys hold caller-typed parts (project names, file names): store a digest.
                key = hashlib.sha256(it.finding_key.encode("utf-8")).hexdigest()
                acc = it.access or RecordAccess.stored(tenant_id, None)
                row = ReviewItem(
                    access_level=int(acc.access_level), evidence_doc_ids=list(acc.evidence_doc_ids),
                    id=str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/{key}")), tenant_id=tenant_id, finding_key=key,
                    check_type=check_type, check_id=check_id, subject_ref=subject_ref, rule_id=it.rule_id,
                    severity=it.severity, summary=it.summary, finding=it.finding, status=STATUS_OPEN,
                    created_by=principal.subject, created_at=now,
                )
                s.add(row)
                s.add(ReviewTransition(review_id=row.id, tenant_id=tenant_id, from_status=None, to_status=STATUS_OPEN,
                                       actor=principal.subject, reason="created by check", at=now))
                created.append(row)
                ids.append(row.id)
            s.flush()
            if created and self._webhooks is not None:
                self._webhooks.emit(EVENT_CREATED, {
                    "tenant_id": tenant_id, "check_type": check_type, "check_id": check_id,
                    "subject_ref": subject_ref,
                    "items": [{"id": r.id, "rule_id": r.rule_id, "severity": r.severity, "status": r.status}
                              for r in created],
                }, session=s)
        self._record(principal, "review.submit", check_type=check_type, check_id=check_id, subject_ref=subject_ref,
                     review_ids=ids, created=[r.id for r in created])
        return SubmitResult(ids=ids, created=[r.id for r in created])

    # -- reading -----------------------------------------------------------------------------
    def list(self, principal: Principal, *, status: str | None = None, check_type: str | None = None,
             limit: int = 50, offset: int = 0) -> list[ReviewView]:
        """Items of the principal's tenant (and tenants it acts for), newest first."""
        if status is not None and status not in (STATUS_OPEN, *DECISIONS):
            raise BadRequest(f"unknown status {status!r}; use open, accepted or overridden")
        if check_type is not None and check_type not in ("sow", "milestone"):
            raise BadRequest(f"unknown check type {check_type!r}; use sow or milestone")
        tenants, max_level = record_filter(principal)
        q = select(ReviewItem).where(ReviewItem.tenant_id.in_(tenants), ReviewItem.access_level.is_not(None),
                                     ReviewItem.access_level <= max_level)
        if status:
            q = q.where(ReviewItem.status == status)
        if check_type:
            q = q.where(ReviewItem.check_type == check_type)
        q = q.order_by(ReviewItem.created_at.desc(), ReviewItem.id)
        q = q.limit(max(1, min(limit, 500))).offset(max(0, offset))
        with self._sessions() as s:
            return [self._view(s, r) for r in visible_records(principal, s.scalars(q))]

    def get(self, principal: Principal, review_id: str) -> ReviewView:
        with self._sessions() as s:
            row = s.get(ReviewItem, review_id)
            # Another tenant's item, or one above the reader's level, looks exactly like a missing one.
            if row is None or not can_read(principal, row):
                raise NotFound("no review item with this id")
            return self._view(s, row, history=True)

    # -- deciding ----------------------------------------------------------------------------
    def decide(self, principal: Principal, review_id: str, decision: str, reason: str) -> ReviewView:
        """Accept or override an open item, with a reason (roles partner_manager / vendor_reviewer)."""
        if not principal.has_role(*REVIEWER_ROLES):
            raise Forbidden("deciding review items needs the role partner_manager or vendor_reviewer")
        decision = (decision or "").strip().lower()
        if decision not in DECISIONS:
            raise BadRequest("decision must be 'accepted' or 'overridden'")
        reason = (reason or "").strip()
        if not reason:
            raise BadRequest("a reason is required for every decision")
        if len(reason) > MAX_REASON:
            raise BadRequest(f"reason is longer than {MAX_REASON} characters")
        now = self._clock()
        with self._sessions() as s:
            row = s.get(ReviewItem, review_id, with_for_update=True)
            if row is None or not can_read(principal, row):
                raise NotFound("no review item with this id")
            if row.status != STATUS_OPEN:
                raise Conflict(f"review item is already {row.status}")
            row.status, row.decided_by, row.decided_at, row.decision_reason = decision, principal.subject, now, reason
            s.add(ReviewTransition(review_id=row.id, tenant_id=row.tenant_id, from_status=STATUS_OPEN,
                                   to_status=decision, actor=principal.subject, reason=reason, at=now))
            s.flush()
            if self._webhooks is not None:
                self._webhooks.emit(EVENT_DECIDED, {"id": row.id, "tenant_id": row.tenant_id, "rule_id": row.rule_id,
                                                    "status": decision, "decided_by": principal.subject}, session=s)
            view = self._view(s, row, history=True)
        self._record(principal, "review.decide", review_id=review_id, status=decision)
        return view
