"""The access model: access levels, the principal, and the one visibility rule.

Every store translates :class:`AccessFilter` into its own query language (pre-filter)
and every result is re-checked with :func:`is_visible` before it leaves
``retrievers`` (defence in depth). No other module decides visibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Protocol

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
        return frozenset({self.tenant_id, SHARED_TENANT, *self.acting_for})

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class AccessMeta(Protocol):
    """The fields of a chunk (or document) that the visibility rule reads (read-only)."""

    @property
    def tenant_id(self) -> str: ...
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
        return (
            meta.tenant_id in self.tenants
            and int(meta.access_level) <= self.max_level
            and bool(meta.approved)
            and not bool(meta.superseded)
            and int(meta.valid_from) <= self.now < int(meta.valid_until)
        )


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


def is_visible(meta: AccessMeta, principal: Principal, now: datetime | None = None) -> bool:
    """The visibility rule: tenant (own or shared), level, approved, current, not superseded."""
    return access_filter(principal, now).allows(meta)


class AccessViolation(RuntimeError):
    """A store returned a chunk the rule forbids. Never shown to callers; it means a backend bug."""
