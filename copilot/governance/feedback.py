"""Feedback on answers: one current vote per user and answer, changeable.

``/v1/ask`` records each answer it gives (:meth:`FeedbackService.record_answer`) before the
response leaves the service, so a client may rate it immediately; a vote is accepted only for
an answer the caller's tenant received, and a second vote by the same user replaces the first.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.core.audit import Keyring, feedback_payload
from copilot.core.db import AnswerIssued, Feedback, utcnow

SessionFactory = Callable[[], AbstractContextManager[Session]]


class UnknownAnswer(LookupError):
    """No answer with this trace id was given to the caller's tenant."""


@dataclass(frozen=True)
class Vote:
    trace_id: str
    rating: str | None
    status: str = "recorded"  # recorded (first vote) | changed | unchanged (same vote again)
    feedback_id: int | None = None  # the row holding the vote (named by its audit row)


class FeedbackService:
    def __init__(self, begin: SessionFactory, keyring: Keyring | None = None):
        self._begin = begin
        self._keyring = keyring

    def _seal(self, s: Session, row: Feedback) -> None:
        """Re-seal the row after every write so `copilot audit verify` detects edits made without the key."""
        if self._keyring is not None:
            s.flush()  # the id and timestamps are part of the seal
            row.seal = self._keyring.seal("feedback", feedback_payload(row))

    def record_answer(self, trace_id: str, subject: str, tenant_id: str) -> None:
        with self._begin() as s:
            s.add(AnswerIssued(trace_id=trace_id, subject=subject, tenant_id=tenant_id))

    def _answer_visible(self, s: Session, trace_id: str, tenant_id: str) -> bool:
        row = s.scalar(select(AnswerIssued).where(AnswerIssued.trace_id == trace_id))
        return row is not None and row.tenant_id == tenant_id

    def vote(self, trace_id: str, subject: str, tenant_id: str, rating: str, comment: str) -> Vote:
        """Set the caller's vote (insert, or replace the earlier one)."""
        for attempt in range(2):
            try:
                with self._begin() as s:
                    if not self._answer_visible(s, trace_id, tenant_id):
                        raise UnknownAnswer(trace_id)
                    row = s.scalar(
                        select(Feedback).where(Feedback.trace_id == trace_id, Feedback.subject == subject)
                    )
                    if row is None:
                        row = Feedback(trace_id=trace_id, subject=subject, tenant_id=tenant_id, rating=rating,
                                       comment=comment, created_at=utcnow())
                        s.add(row)
                        self._seal(s, row)
                        return Vote(trace_id, rating, feedback_id=row.id)
                    status = "changed" if row.rating != rating else "unchanged"
                    row.rating, row.created_at = rating, utcnow()
                    if comment:
                        row.comment = comment
                    self._seal(s, row)
                    return Vote(trace_id, rating, status, feedback_id=row.id)
            except IntegrityError:
                # Two first votes of the same user raced: the other one is stored, update it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def current(self, trace_id: str, subject: str, tenant_id: str) -> Vote:
        with self._begin() as s:
            if not self._answer_visible(s, trace_id, tenant_id):
                raise UnknownAnswer(trace_id)
            row = s.scalar(select(Feedback).where(Feedback.trace_id == trace_id, Feedback.subject == subject))
            return Vote(trace_id, row.rating if row is not None else None)

    def counts(self, trace_id: str) -> dict[str, Any]:
        with self._begin() as s:
            ratings = s.scalars(select(Feedback.rating).where(Feedback.trace_id == trace_id)).all()
        return {"up": ratings.count("up"), "down": ratings.count("down")}
