"""ORM tables of escalation drafts and their transitions (on the shared declarative base)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from copilot.core.db import Base
from retrievers.access import RecordAccess


class EscalationDraft(Base):
    """A stored escalation note and its current status. Caller-typed text is stored redacted."""

    __tablename__ = "escalation_drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(100), index=True)
    # The highest access level among the cited evidence (NULL on rows written before levels were
    # stored: read as restricted, so old rows fail closed).
    access_level: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    evidence_doc_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    customer: Mapped[str] = mapped_column(String(300))
    project_ref: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(4))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def record_access(self) -> RecordAccess:
        return RecordAccess.stored(self.tenant_id, self.access_level, self.evidence_doc_ids)


class EscalationTransition(Base):
    """One status change of a draft (including its creation), append-only."""

    __tablename__ = "escalation_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(36), ForeignKey("escalation_drafts.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
