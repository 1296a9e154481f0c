"""The access model: access levels, the principal, and the one visibility rule.

Every store translates :class:`AccessFilter` into its own query language (pre-filter)
and every result is re-checked with :meth:`AccessFilter.allows` before it leaves
``retrievers`` (defence in depth). No other module decides visibility.

Records derived from documents (escalation notes, review items, check findings, feedback,
upload jobs, audit views) are decided here too: each carries a :class:`RecordAccess` (its
tenant, the doc ids of its evidence and the highest access level among them) and is read
through :func:`can_read` / :func:`visible_records`. A reader below the record's level, or of
another tenant, gets exactly what a missing record gives (404 / left out of lists), never
the record with its text.

``acting_for`` has one meaning everywhere (see :meth:`Principal.record_tenants`): the partner
tenants a vendor-staff principal may read *and act on* in addition to its own, for chunks and
for records alike. ``shared`` documents are readable by every tenant; records of the
``shared`` tenant (the vendor's own workflow) only by the vendor's staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Protocol

SHARED_TENANT = "shared"

# Sentinels stored instead of NULL so range filters stay simple in every backend.
MIN_TS = 0
MAX_TS = 253402300799  # 9999-12-31T23:59:59Z


class AccessLevel(IntEnum):
    """Ordered sensitivity levels: a principal sees its own level and below."""

    PUBLIC = 0
    PARTNER = 1
    INTERNAL = 2
    RESTRICTED = 3

    @classmethod
    def parse(cls, value: str | int | AccessLevel) -> AccessLevel:
        """Accept 'partner', 'PARTNER', 1 or AccessLevel.PARTNER; raise ValueError otherwise."""
        if isinstance(value, AccessLevel):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in cls)
            raise ValueError(f"unknown access level {value!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Principal:
    """Who is asking. Built only on the server from credentials, never from a request body.

    ``acting_for`` is the explicit allow-list of extra partner tenants that vendor
    staff may read on behalf of; it is empty for partner users.
    """

    subject: str
    tenant_id: str
    access_level: AccessLevel
    roles: frozenset[str] = field(default_factory=frozenset)
    acting_for: frozenset[str] = field(default_factory=frozenset)

    def visible_tenants(self) -> frozenset[str]:
        """Tenants whose *documents* this principal may read: own, vendor-wide ``shared``, acting_for."""
        return frozenset({self.tenant_id, SHARED_TENANT, *self.acting_for})

    def record_tenants(self) -> frozenset[str]:
        """Tenants whose *records* (drafts, reviews, feedback, jobs) this principal may read and act on:
        its own and those it acts for. ``shared`` records belong to the vendor, not to every tenant."""
        return frozenset({self.tenant_id, *self.acting_for})

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class AccessMeta(Protocol):
    """The fields of a chunk (or document) that the visibility rule reads (read-only)."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def access_level(self) -> AccessLevel: ...
    @property
    def approved(self) -> bool: ...
    @property
    def superseded(self) -> bool: ...
    @property
    def valid_from(self) -> int: ...
    @property
    def valid_until(self) -> int: ...


def to_ts(value: datetime | None, default: int) -> int:
    """Datetime -> epoch seconds (UTC); None -> the given sentinel."""
    if value is None:
        return default
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def now_ts(now: datetime | None = None) -> int:
    return to_ts(now or datetime.now(UTC), MIN_TS)


@dataclass(frozen=True)
class AccessFilter:
    """The visibility rule for one principal at one instant, as plain values.

    Backends turn this into their query filter; ``doc_ids`` optionally narrows the
    search to documents the caller named (it can only narrow, never widen).
    """

    tenants: tuple[str, ...]
    max_level: int
    now: int
    doc_ids: tuple[str, ...] | None = None

    def allows(self, meta: AccessMeta) -> bool:
        """The whole rule, ``doc_ids`` narrowing included: every store and the retriever call this."""
        return (
            meta.tenant_id in self.tenants
            and int(meta.access_level) <= self.max_level
            and bool(meta.approved)
            and not bool(meta.superseded)
            and int(meta.valid_from) <= self.now < int(meta.valid_until)
            and (self.doc_ids is None or meta.doc_id in self.doc_ids)
        )

    @property
    def empty(self) -> bool:
        """True when nothing can match (no tenant, or an empty ``doc_ids`` narrowing)."""
        return not self.tenants or (self.doc_ids is not None and not self.doc_ids)


def access_filter(
    principal: Principal, now: datetime | None = None, doc_ids: Iterable[str] | None = None
) -> AccessFilter:
    """The pre-filter every store applies inside its query."""
    return AccessFilter(
        tenants=tuple(sorted(principal.visible_tenants())),
        max_level=int(principal.access_level),
        now=now_ts(now),
        doc_ids=tuple(sorted(set(doc_ids))) if doc_ids is not None else None,
    )


def index_view(principal: Principal) -> tuple[tuple[str, ...], int]:
    """(tenants, max level) of the documents whose aggregate statistics (word counts, repeated
    text) may shape this principal's answers: the tenants and levels of its document filter, so a
    statistic never carries a word from a document the principal could not read."""
    flt = access_filter(principal)
    return flt.tenants, flt.max_level


def is_visible(meta: AccessMeta, principal: Principal, now: datetime | None = None) -> bool:
    """The visibility rule: tenant (own or shared), level, approved, current, not superseded."""
    return access_filter(principal, now).allows(meta)


# ---------------------------------------------------------------------------------------------
# Records derived from documents
# ---------------------------------------------------------------------------------------------

# A record whose level is unknown (e.g. written before levels were stored) is treated as the
# most sensitive: it fails closed.
UNKNOWN_RECORD_LEVEL = AccessLevel.RESTRICTED


@dataclass(frozen=True)
class RecordAccess:
    """The access facts of one derived record: its tenant, the doc ids of its evidence and the
    highest access level among that evidence (PUBLIC when it cites nothing)."""

    tenant_id: str
    access_level: AccessLevel = AccessLevel.PUBLIC
    evidence_doc_ids: tuple[str, ...] = ()

    @classmethod
    def from_evidence(cls, tenant_id: str, evidence: Iterable[tuple[str, int | AccessLevel]]) -> RecordAccess:
        """From ``(doc_id, access_level)`` pairs of the chunks or documents a record cites."""
        pairs = [(d, AccessLevel.parse(lv)) for d, lv in evidence]
        level = max((lv for _, lv in pairs), default=AccessLevel.PUBLIC)
        return cls(tenant_id, level, tuple(sorted({d for d, _ in pairs})))

    @classmethod
    def stored(cls, tenant_id: str, level: int | str | None, doc_ids: Iterable[str] | None = None) -> RecordAccess:
        """From stored columns; a missing level fails closed (:data:`UNKNOWN_RECORD_LEVEL`)."""
        lvl = UNKNOWN_RECORD_LEVEL if level is None else AccessLevel.parse(level)
        return cls(tenant_id, lvl, tuple(doc_ids or ()))

    def merged(self, other: RecordAccess) -> RecordAccess:
        """The access of a record built from both (same tenant; the higher level wins)."""
        return RecordAccess(
            self.tenant_id, max(self.access_level, other.access_level),
            tuple(sorted({*self.evidence_doc_ids, *other.evidence_doc_ids})),
        )


class HasRecordAccess(Protocol):
    @property
    def record_access(self) -> RecordAccess: ...


def can_read(principal: Principal, record: RecordAccess | HasRecordAccess) -> bool:
    """May ``principal`` read this derived record? Tenant among :meth:`Principal.record_tenants`
    and the record's level (its most sensitive evidence) at or below the principal's level."""
    acc = record if isinstance(record, RecordAccess) else record.record_access
    return acc.tenant_id in principal.record_tenants() and int(acc.access_level) <= int(principal.access_level)


def record_filter(principal: Principal) -> tuple[tuple[str, ...], int]:
    """(tenants, max level) for a SQL pre-filter over records; results are re-checked with :func:`can_read`."""
    return tuple(sorted(principal.record_tenants())), int(principal.access_level)


def visible_records(principal: Principal, records: Iterable[Any], key: Any = None) -> list[Any]:
    """The records ``principal`` may read, in order; ``key(record) -> RecordAccess`` when the
    record does not carry ``record_access`` itself."""
    get = key or (lambda r: r.record_access)
    return [r for r in records if can_read(principal, get(r))]


def can_act_on(principal: Principal, record: RecordAccess | HasRecordAccess, roles: Iterable[str]) -> bool:
    """May ``principal`` change the record? It must be readable and the principal hold one of ``roles``."""
    return can_read(principal, record) and principal.has_role(*roles)


def can_manage_document(principal: Principal, doc: AccessMeta | None, roles: Iterable[str]) -> bool:
    """May ``principal`` replace or delete this indexed document? Only a document of its own tenant
    (or one it acts for) at or below its level, and only with one of ``roles``. A document it may
    not manage must be treated exactly like a missing one (no 409/403 that reveals it)."""
    if doc is None:
        return False
    return (
        doc.tenant_id in principal.record_tenants()
        and int(doc.access_level) <= int(principal.access_level)
        and principal.has_role(*roles)
    )


class AccessViolation(RuntimeError):
    """A store returned a chunk the rule forbids. Never shown to callers; it means a backend bug."""
