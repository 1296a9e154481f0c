"""Append-only, hash-chained audit log.

Each row stores the hash of the previous row and a hash over its own fields plus
that link; a head record holds the newest sequence number and hash. Editing any
field, deleting or reordering rows, or truncating the tail breaks the chain, and
:meth:`AuditLog.verify` reports the first row where it breaks. Text fields arrive
already redacted (copilot/redact.py); the log never sees raw questions.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from copilot.db import AuditEntry, AuditHead, Database

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq", "ts", "trace_id", "subject", "tenant_id", "route", "method", "status",
    "query", "chunk_ids", "refused", "latency_ms", "details", "prev_hash",
)
# Arbitrary constant: one advisory lock id serialises appends across processes on PostgreSQL.
_PG_LOCK_ID = 0x0C0A0D17


def row_hash(values: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the hashed fields."""
    payload = {k: values[k] for k in _HASHED_FIELDS}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _values(e: AuditEntry) -> dict[str, Any]:
    return {k: getattr(e, k) for k in _HASHED_FIELDS}


@dataclass
class AuditRecord:
    """What the API hands to the log for one request (text already redacted)."""

    trace_id: str
    subject: str
    tenant_id: str
    route: str
    method: str
    status: int
    query: str = ""
    chunk_ids: list[str] = field(default_factory=list)
    refused: bool = False
    latency_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    problems: list[str] = field(default_factory=list)


class AuditLog:
    """Appends and verifies the chain in one database."""

    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()

    def append(self, rec: AuditRecord) -> AuditEntry:
        """Append one row; serialised in-process and (PostgreSQL) across processes."""
        with self._lock, self.db.session.begin() as s:
            if self.db.dialect == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
            head = s.get(AuditHead, 1)
            prev_seq, prev_hash = (head.seq, head.row_hash) if head else (0, GENESIS)
            values: dict[str, Any] = {
                "seq": prev_seq + 1,
                "ts": datetime.now(UTC).isoformat(timespec="microseconds"),
                "trace_id": rec.trace_id,
                "subject": rec.subject,
                "tenant_id": rec.tenant_id,
                "route": rec.route,
                "method": rec.method,
                "status": int(rec.status),
                "query": rec.query,
                "chunk_ids": list(rec.chunk_ids),
                "refused": bool(rec.refused),
                "latency_ms": round(float(rec.latency_ms), 3),
                "details": dict(rec.details),
                "prev_hash": prev_hash,
            }
            h = row_hash(values)
            entry = AuditEntry(**values, row_hash=h)
            s.add(entry)
            if head is None:
                s.add(AuditHead(id=1, seq=values["seq"], row_hash=h))
            else:
                head.seq, head.row_hash = values["seq"], h
        return entry

    def rows(self, limit: int | None = None, trace_id: str | None = None) -> list[AuditEntry]:
        with self.db.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq)
            if trace_id is not None:
                q = q.where(AuditEntry.trace_id == trace_id)
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    def find(self, trace_id: str, tenant_id: str, routes: Iterable[str]) -> AuditEntry | None:
        """The row of a request with this trace id made by this tenant on one of ``routes``."""
        with self.db.session() as s:
            q = select(AuditEntry).where(
                AuditEntry.trace_id == trace_id,
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.route.in_(list(routes)),
            )
            return s.scalars(q).first()

    def verify(self) -> VerifyResult:
        """Recompute the chain; any edited, deleted, inserted or reordered row is a problem."""
        problems: list[str] = []
        n = 0
        prev_hash, expected_seq = GENESIS, 1
        with self.db.session() as s:
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
                n += 1
                if e.seq != expected_seq:
                    problems.append(f"row seq {e.seq}: expected seq {expected_seq} (rows deleted or inserted)")
                if e.prev_hash != prev_hash:
                    problems.append(f"row seq {e.seq}: link to the previous row is broken")
                if row_hash(_values(e)) != e.row_hash:
                    problems.append(f"row seq {e.seq}: contents changed after it was written")
                prev_hash, expected_seq = e.row_hash, e.seq + 1
            head = s.get(AuditHead, 1)
        if head is None and n:
            problems.append("head record missing")
        elif head is not None and (head.seq != expected_seq - 1 or head.row_hash != prev_hash):
            problems.append(f"head says seq {head.seq} but the chain ends at seq {expected_seq - 1} (tail removed)")
        return VerifyResult(ok=not problems, rows=n, problems=problems)
