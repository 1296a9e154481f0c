"""Append-only, keyed hash chain of every request, and seals on the feedback and API-key tables.

Each audit row stores the previous row's MAC and an HMAC-SHA256 (key from settings, see
:func:`load_keyring`) over its own fields plus that link; a head record keyed the same way holds
the newest sequence number and MAC. Without the key nobody can write a row, fix the links after an
edit, or move the head after deleting the newest rows. :meth:`AuditLog.verify` reports edited,
deleted, inserted and reordered rows, a truncated tail, rows rewritten without the key, and edited,
inserted or deleted feedback and API-key rows (each is sealed with the same key and announced in
the chain). Text fields arrive already redacted (copilot/core/redact.py); the log never sees raw
questions. Key rotation: docs/audit.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text, update

from copilot.core.db import ApiKey, AuditEntry, AuditHead, Database, Feedback

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq", "ts", "trace_id", "subject", "tenant_id", "route", "method", "status",
    "query", "chunk_ids", "refused", "latency_ms", "details", "prev_hash", "key_id",
)
# Arbitrary constant: one advisory lock id serialises appends across processes on PostgreSQL.
_PG_LOCK_ID = 0x0C0A0D17
KEY_FILE = "audit.key"
_ENTRY_TABLE = cast(Table, AuditEntry.__table__)
_HEAD_TABLE = cast(Table, AuditHead.__table__)
_HEAD_ROW = select(_HEAD_TABLE.c.seq, _HEAD_TABLE.c.row_hash).where(_HEAD_TABLE.c.id == 1)
_HEAD_UPDATE = (update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1)
                .values(seq=bindparam("s"), row_hash=bindparam("h"), seal=bindparam("m")))
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


class AuditKeyError(RuntimeError):
    """No usable audit key (production mode without ``COPILOT_AUDIT_HMAC_KEY``)."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"copilot-audit-key-id|" + key).hexdigest()[:12]


@dataclass(frozen=True)
class Keyring:
    """The current audit key and older ones still accepted when verifying (after a rotation)."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    @property
    def key_id(self) -> str:
        return _key_id(self.current)

    def by_id(self, key_id: str | None) -> bytes | None:
        for k in (self.current, *self.previous):
            if key_id is not None and _key_id(k) == key_id:
                return k
        return None

    def mac(self, kind: str, payload: Any, key: bytes | None = None) -> str:
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hmac.new(key or self.current, f"{kind}\n{blob}".encode(), hashlib.sha256).hexdigest()

    def seal(self, kind: str, payload: Any) -> str:
        """``<key id>:<hmac>`` over ``payload`` with the current key."""
        return f"{self.key_id}:{self.mac(kind, payload)}"

    def check(self, kind: str, payload: Any, seal: str | None) -> bool:
        """True when ``seal`` was made over ``payload`` by a key of this ring."""
        if not seal or ":" not in seal:
            return False
        kid, mac = seal.split(":", 1)
        key = self.by_id(kid)
        return key is not None and hmac.compare_digest(mac, self.mac(kind, payload, key))


def _secret(value: Any) -> bytes:
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    if len(raw) < 16:
        raise AuditKeyError("the audit HMAC key must have at least 16 characters")
    return raw.encode("utf-8")


def load_keyring(settings: Any) -> Keyring:
    """The keyring from settings. Production mode refuses to run without ``audit_hmac_key``;
    dev and demo generate one key into ``<data_dir>/audit.key`` (0600) and keep using it."""
    previous = tuple(_secret(k) for k in settings.audit_hmac_previous_keys)
    if settings.audit_hmac_key is not None:
        return Keyring(_secret(settings.audit_hmac_key), previous)
    if settings.mode == "production":
        raise AuditKeyError("COPILOT_AUDIT_HMAC_KEY is required in production mode (see docs/audit.md)")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return Keyring(path.read_text().strip().encode("utf-8"), previous)


# ---------------------------------------------------------------------------------------------
# Row payloads
# ---------------------------------------------------------------------------------------------


def _values(e: AuditEntry) -> dict[str, Any]:
    return {k: getattr(e, k) for k in _HASHED_FIELDS}


def _head_payload(seq: int, row_hash: str) -> dict[str, Any]:
    return {"seq": seq, "row_hash": row_hash}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat()


def api_key_payload(row: Any) -> dict[str, Any]:
    """What an API key's seal covers: identity, privileges, secret hash and revocation (of an
    :class:`ApiKey` or of a Core row with the same columns)."""
    return {
        "key_id": row.key_id, "name": row.name, "salt": row.salt, "secret_hash": row.secret_hash,
        "subject": row.subject, "tenant_id": row.tenant_id, "access_level": row.access_level,
        "roles": sorted(row.roles or []), "acting_for": sorted(row.acting_for or []),
        "revoked_at": _iso(row.revoked_at),
    }


def feedback_payload(row: Feedback) -> dict[str, Any]:
    return {
        "id": row.id, "created_at": _iso(row.created_at), "trace_id": row.trace_id, "subject": row.subject,
        "tenant_id": row.tenant_id, "rating": row.rating, "comment": row.comment,
    }


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


class _Pending:
    """One caller's record waiting for its group's commit."""

    __slots__ = ("rec", "entry", "error", "done")

    def __init__(self, rec: AuditRecord):
        self.rec = rec
        self.entry: AuditEntry | None = None
        self.error: BaseException | None = None
        self.done = False


class AuditLog:
    """Appends and verifies the keyed chain (and the table seals) in one database."""

    # Rows committed together at most (group commit of concurrent appends).
    MAX_GROUP = 64

    def __init__(self, db: Database, keyring: Keyring):
        self.db = db
        self.keyring = keyring
        self._lock = threading.Lock()  # held by the one thread writing a group
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self.groups = 0  # transactions written (tests, metrics)

    def row_hash(self, values: dict[str, Any], key: bytes | None = None) -> str:
        return self.keyring.mac("audit-row", {k: values[k] for k in _HASHED_FIELDS}, key)

    def append(self, rec: AuditRecord) -> AuditEntry:
        """Append one row and move the keyed head; returns once the row is committed.

        Appends are serialised in-process and (PostgreSQL) across processes. Rows of concurrent
        callers are committed together (group commit): whoever holds the writer lock writes every
        row queued meanwhile in one transaction, so under load a commit, the head update and the
        advisory lock are paid once per group instead of once per request. Each caller still
        returns only after the transaction holding its own row has committed.
        """
        me = _Pending(rec)
        with self._queue_lock:
            self._queue.append(me)
        while not me.done:
            with self._lock:
                if me.done:
                    break
                with self._queue_lock:
                    group = self._queue[: self.MAX_GROUP]
                    del self._queue[: self.MAX_GROUP]
                self._write_group(group)
        if me.error is not None:
            raise me.error
        assert me.entry is not None
        return me.entry

    def _write_group(self, group: list[_Pending]) -> None:
        """Commit ``group`` in one transaction; if that fails, each row alone (one bad row never
        takes the others' audit rows down with it). Every item ends done, with an entry or an error."""
        try:
            entries = self._commit([p.rec for p in group])
            for p, e in zip(group, entries, strict=True):
                p.entry = e
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
            else:
                for p in group:
                    try:
                        p.entry = self._commit([p.rec])[0]
                    except Exception as one:
                        p.error = one
        finally:
            for p in group:
                p.done = True

    def _commit(self, recs: list[AuditRecord]) -> list[AuditEntry]:
        """Append ``recs`` in order and move the head once, in one transaction (caller holds the lock).

        Core statements, not the ORM unit of work: this runs once per request group on the path
        every response waits for. The returned entries are plain (detached) records of the rows."""
        entries: list[AuditEntry] = []
        rows: list[dict[str, Any]] = []
        with self.db.engine.begin() as conn:
            if self.db.dialect == "postgresql":
                conn.execute(_PG_LOCK, {"k": _PG_LOCK_ID})
            head = conn.execute(_HEAD_ROW).first()
            prev_seq, prev_hash = (head.seq, head.row_hash) if head else (0, GENESIS)
            for rec in recs:
                values: dict[str, Any] = {
                    "seq": prev_seq + 1,
                    "ts": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "trace_id": rec.trace_id, "subject": rec.subject, "tenant_id": rec.tenant_id,
                    "route": rec.route, "method": rec.method, "status": int(rec.status), "query": rec.query,
                    "chunk_ids": list(rec.chunk_ids), "refused": bool(rec.refused),
                    "latency_ms": round(float(rec.latency_ms), 3), "details": dict(rec.details),
                    "prev_hash": prev_hash, "key_id": self.keyring.key_id,
                }
                h = self.row_hash(values)
                rows.append({**values, "row_hash": h})
                prev_seq, prev_hash = values["seq"], h
            conn.execute(_ENTRY_TABLE.insert(), rows)
            head_seal = self.keyring.seal("audit-head", _head_payload(prev_seq, prev_hash))
            if head is None:
                conn.execute(_HEAD_TABLE.insert(), {"id": 1, "seq": prev_seq, "row_hash": prev_hash, "seal": head_seal})
            else:
                conn.execute(_HEAD_UPDATE, {"s": prev_seq, "h": prev_hash, "m": head_seal})
        entries = [AuditEntry(**r) for r in rows]
        self.groups += 1
        return entries

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

    # -- verification --------------------------------------------------------------------------
    def _check_row(self, e: AuditEntry, expected_seq: int, prev_hash: str, problems: list[str]) -> None:
        if e.seq != expected_seq:
            problems.append(f"row seq {e.seq}: expected seq {expected_seq} (rows deleted, inserted or reordered)")
        if e.prev_hash != prev_hash:
            problems.append(f"row seq {e.seq}: link to the previous row is broken")
        key = self.keyring.by_id(e.key_id)
        if key is None:
            problems.append(f"row seq {e.seq}: written without a known audit key (key id {e.key_id!r})")
        elif not hmac.compare_digest(self.row_hash(_values(e), key), e.row_hash or ""):
            problems.append(f"row seq {e.seq}: contents changed after it was written (MAC mismatch)")

    def _check_head(self, head: AuditHead | None, n: int, last_seq: int, last_hash: str,
                    problems: list[str]) -> None:
        if head is None:
            if n:
                problems.append("head record missing")
            return
        if not self.keyring.check("audit-head", _head_payload(head.seq, head.row_hash), head.seal):
            problems.append("head record changed without the key (MAC mismatch)")
        if head.seq != last_seq or head.row_hash != last_hash:
            problems.append(f"head says seq {head.seq} but the chain ends at seq {last_seq} (tail removed or added)")

    def _check_sealed_tables(self, s: Any, announced: dict[str, set[str]], problems: list[str]) -> None:
        keys_seen = set()
        for k in s.scalars(select(ApiKey).order_by(ApiKey.id)):
            keys_seen.add(k.key_id)
            if not self.keyring.check("api-key", api_key_payload(k), k.seal):
                problems.append(f"api key {k.key_id}: row changed or inserted without the key (seal mismatch)")
        for kid in sorted(announced["api_key"] - keys_seen):
            problems.append(f"api key {kid}: recorded in the audit log but missing from the table (row deleted)")
        fb_seen = set()
        for f in s.scalars(select(Feedback).order_by(Feedback.id)):
            fb_seen.add(str(f.id))
            if not self.keyring.check("feedback", feedback_payload(f), f.seal):
                problems.append(f"feedback {f.id}: row changed or inserted without the key (seal mismatch)")
        for fid in sorted(announced["feedback"] - fb_seen, key=lambda x: (len(x), x)):
            problems.append(f"feedback {fid}: recorded in the audit log but missing from the table (row deleted)")

    def verify(self) -> VerifyResult:
        """Check the keyed chain, its head and the sealed tables; every problem is listed."""
        problems: list[str] = []
        announced: dict[str, set[str]] = {"api_key": set(), "feedback": set()}
        n, prev_hash, expected_seq = 0, GENESIS, 1
        with self.db.session() as s:
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
                n += 1
                self._check_row(e, expected_seq, prev_hash, problems)
                prev_hash, expected_seq = e.row_hash, e.seq + 1
                details = e.details or {}
                if details.get("api_key_id"):
                    announced["api_key"].add(str(details["api_key_id"]))
                if details.get("feedback_id") is not None:
                    announced["feedback"].add(str(details["feedback_id"]))
            self._check_head(s.get(AuditHead, 1), n, expected_seq - 1, prev_hash, problems)
            self._check_sealed_tables(s, announced, problems)
        return VerifyResult(ok=not problems, rows=n, problems=problems)
