"""Credentials -> :class:`Principal`. The only way a request gets a tenant, level or roles.

API keys look like ``pc_<key_id>_<secret>``: ``key_id`` finds the row, and only a
salted sha256 of the secret (optionally peppered with a server secret) is stored.
JWT bearer tokens (PyJWT, HS256 or RS256) must carry the configured issuer and
audience; their claims map to tenant, level and roles. Vendor staff of the
``shared`` tenant may act for partner tenants only if their key or token lists
them explicitly (``acting_for``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import bindparam, select

from copilot.core.audit import AuditLog, AuditRecord, Keyring, api_key_payload
from copilot.core.db import ApiKey, Database
from copilot.core.errors import BadRequest, Forbidden, NotFound, Unauthenticated
from copilot.core.settings import Settings
from ingestion.manifest import TENANT_PATTERN
from retrievers.access import SHARED_TENANT, AccessLevel, Principal

log = logging.getLogger(__name__)

KEY_PREFIX = "pc_"
_KEY_RE = re.compile(r"^pc_([0-9a-f]{12})_([A-Za-z0-9_-]{20,128})$")
_ROLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_TENANT_RE = re.compile(TENANT_PATTERN)
_KEY_ROW = select(ApiKey.__table__).where(ApiKey.__table__.c.key_id == bindparam("key_id"))
_VERIFIED_MAX = 10_000


def _hash_secret(secret: str, salt: str, pepper: str | None) -> str:
    if pepper:
        return hmac.new(pepper.encode(), f"{salt}:{secret}".encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _clean_list(values: Iterable[str], pattern: re.Pattern[str], what: str) -> list[str]:
    out = sorted({v.strip() for v in values if v and v.strip()})
    for v in out:
        if not pattern.match(v):
            raise BadRequest(f"invalid {what} {v!r}")
    return out


def validate_identity(
    tenant_id: str, level: str | AccessLevel, roles: Iterable[str], acting_for: Iterable[str]
) -> tuple[str, AccessLevel, list[str], list[str]]:
    """Normalise and check what a key or token may claim; raises BadRequest."""
    if not isinstance(tenant_id, str) or not _TENANT_RE.match(tenant_id):
        raise BadRequest(f"invalid tenant id {tenant_id!r}")
    try:
        lvl = AccessLevel.parse(level)
    except (ValueError, KeyError):
        raise BadRequest(f"invalid access level {level!r}") from None
    role_list = _clean_list(roles, _ROLE_RE, "role")
    acting = _clean_list(acting_for, _TENANT_RE, "tenant in acting_for")
    if acting and tenant_id != SHARED_TENANT:
        raise BadRequest("only vendor staff (tenant 'shared') may act for other tenants")
    return tenant_id, lvl, role_list, [t for t in acting if t != SHARED_TENANT]


class KeyStore:
    """API keys in the governance database, each row sealed with the audit key.

    A row whose seal does not verify (edited privileges, an inserted row) never authenticates.
    Creating and revoking a key appends an audit row naming it, so a deleted key row is reported
    by ``copilot audit verify`` too.
    """

    def __init__(self, db: Database, keyring: Keyring, pepper: str | None = None):
        self.db = db
        self.keyring = keyring
        self.pepper = pepper
        self.audit = AuditLog(db, keyring)
        # key_id -> (every column of a row whose seal verified, its principal).
        self._verified: dict[str, tuple[tuple[Any, ...], Principal]] = {}
        self._verified_lock = threading.Lock()

    def _announce(self, action: str, row: ApiKey) -> None:
        self.audit.append(AuditRecord(
            trace_id=secrets.token_hex(16), subject="cli", tenant_id=row.tenant_id, route=f"keys.{action}",
            method="CLI", status=200, details={"api_key_id": row.key_id, "action": action},
        ))

    def create(
        self,
        name: str,
        tenant_id: str,
        level: str | AccessLevel,
        roles: Iterable[str] = (),
        acting_for: Iterable[str] = (),
        *,
        subject: str | None = None,
        key_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[str, ApiKey]:
        """Create a key; returns (plaintext key, row). The plaintext is never stored."""
        if not name or len(name) > 200:
            raise BadRequest("a key needs a name of 1-200 characters")
        tenant_id, lvl, role_list, acting = validate_identity(tenant_id, level, roles, acting_for)
        key_id = key_id or secrets.token_hex(6)
        secret = secret or secrets.token_urlsafe(32)
        plaintext = f"{KEY_PREFIX}{key_id}_{secret}"
        if not _KEY_RE.match(plaintext):
            raise BadRequest("generated key has an invalid format")
        salt = secrets.token_hex(16)
        row = ApiKey(
            key_id=key_id,
            name=name,
            salt=salt,
            secret_hash=_hash_secret(secret, salt, self.pepper),
            subject=subject or f"key:{name}",
            tenant_id=tenant_id,
            access_level=lvl.label,
            roles=role_list,
            acting_for=acting,
        )
        row.seal = self.keyring.seal("api-key", api_key_payload(row))
        with self.db.session.begin() as s:
            s.add(row)
        self._announce("create", row)
        return plaintext, row

    def reseal_if_matches(self, row: ApiKey, tenant_id: str, level: str, roles: Iterable[str],
                          acting_for: Iterable[str]) -> bool:
        """Seal an unsealed row (written before seals existed) whose identity matches what the
        operator defines for it; a row with a seal is never touched. Returns True when sealed."""
        if row.seal is not None:
            return False
        if (row.tenant_id, row.access_level, sorted(row.roles or []), sorted(row.acting_for or [])) != (
                tenant_id, AccessLevel.parse(level).label, sorted(roles), sorted(acting_for)):
            return False
        with self.db.session.begin() as s:
            fresh = s.get(ApiKey, row.id)
            if fresh is None or fresh.seal is not None:
                return False
            fresh.seal = self.keyring.seal("api-key", api_key_payload(fresh))
        self._announce("reseal", row)
        return True

    def list(self, include_revoked: bool = True) -> list[ApiKey]:
        with self.db.session() as s:
            q = select(ApiKey).order_by(ApiKey.id)
            if not include_revoked:
                q = q.where(ApiKey.revoked_at.is_(None))
            return list(s.scalars(q))

    def get_by_name(self, name: str) -> ApiKey | None:
        with self.db.session() as s:
            return s.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))).first()

    def revoke(self, key_id_or_name: str) -> int:
        """Revoke by key id or by name; returns how many keys were revoked."""
        with self.db.session.begin() as s:
            rows = list(
                s.scalars(
                    select(ApiKey).where(
                        (ApiKey.key_id == key_id_or_name) | (ApiKey.name == key_id_or_name),
                        ApiKey.revoked_at.is_(None),
                    )
                )
            )
            for r in rows:
                r.revoked_at = datetime.now(UTC)
                r.seal = self.keyring.seal("api-key", api_key_payload(r))
        for r in rows:
            self._announce("revoke", r)
        if not rows:
            raise NotFound(f"no active key with id or name {key_id_or_name!r}")
        return len(rows)

    def authenticate(self, key: str) -> tuple[Principal, str] | None:
        """(principal, rate-limit identity) for a valid, unrevoked key; None otherwise.

        The key's row is read on every call (a revocation or an edit by any process counts at
        once); only the seal check and the principal built from a row already verified are reused,
        and only while every column of that row, seal and revocation included, is unchanged.
        """
        m = _KEY_RE.match(key)
        if not m:
            return None
        key_id, secret = m.groups()
        # A Core select on the pooled engine: the ORM session and identity map cost several times
        # the query itself on this per-request path.
        with self.db.engine.connect() as conn:
            row = conn.execute(_KEY_ROW, {"key_id": key_id}).first()
        if row is None or row.revoked_at is not None:
            return None
        values = tuple(row)
        cached = self._verified.get(key_id)
        if cached is not None and cached[0] == values:
            principal = cached[1]
        else:
            if not self.keyring.check("api-key", api_key_payload(row), row.seal):
                # Edited or inserted behind the service's back: never trust it.
                log.warning("api key %s refused: its seal does not verify (run `copilot audit verify`)", key_id)
                return None
            principal = Principal(
                subject=row.subject,
                tenant_id=row.tenant_id,
                access_level=AccessLevel.parse(row.access_level),
                roles=frozenset(row.roles or ()),
                acting_for=frozenset(row.acting_for or ()),
            )
            with self._verified_lock:
                if len(self._verified) >= _VERIFIED_MAX:
                    self._verified.clear()
                self._verified[key_id] = (values, principal)
        # The secret is checked on every call; the cache only vouches for the row's seal.
        if not hmac.compare_digest(row.secret_hash, _hash_secret(secret, row.salt, self.pepper)):
            return None
        return principal, f"key:{key_id}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise Unauthenticated("token claim has an invalid type")


class JwtVerifier:
    """Verifies bearer JWTs against the configured key(s), issuer and audience."""

    def __init__(self, settings: Settings):
        self.secret = settings.jwt_secret
        pub = settings.jwt_public_key
        if pub and not pub.lstrip().startswith("-----BEGIN") and Path(pub).is_file():
            pub = Path(pub).read_text()
        self.public_key = pub
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        allowed = {a.upper() for a in settings.jwt_algorithms}
        self.algorithms = [a for a in ("HS256", "RS256") if a in allowed]

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.public_key)

    def verify(self, token: str) -> tuple[Principal, str]:
        if not self.enabled:
            raise Unauthenticated("bearer tokens are not accepted by this server; use an API key")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed bearer token") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise Unauthenticated("token algorithm not accepted")
        key = self.secret if alg == "HS256" else self.public_key
        if not key:
            raise Unauthenticated("token algorithm not accepted")
        options = {"require": ["exp", "sub"] + (["iss"] if self.issuer else []) + (["aud"] if self.audience else [])}
        try:
            claims = jwt.decode(
                token, key, algorithms=[alg], issuer=self.issuer, audience=self.audience, options=options,  # type: ignore[arg-type]
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid bearer token") from None
        tenant = claims.get("tenant_id", claims.get("tenant"))
        level = claims.get("access_level", claims.get("level"))
        if not isinstance(tenant, str) or not isinstance(level, str | int):
            raise Unauthenticated("token lacks tenant_id/access_level claims")
        try:
            tenant, lvl, roles, acting = validate_identity(
                tenant, level, _as_list(claims.get("roles")), _as_list(claims.get("acting_for"))  # type: ignore[arg-type]
            )
        except BadRequest as exc:
            raise Unauthenticated(f"token claims rejected: {exc.message}") from None
        sub = str(claims["sub"])
        principal = Principal(
            subject=f"jwt:{sub}", tenant_id=tenant, access_level=lvl,
            roles=frozenset(roles), acting_for=frozenset(acting),
        )
        return principal, f"jwt:{self.issuer or ''}:{sub}"


def narrow_acting_for(principal: Principal, header_value: str | None) -> Principal:
    """``X-Act-For: alder`` narrows vendor staff to one of their allowed tenants for this request."""
    if not header_value:
        return principal
    wanted = {t.strip() for t in header_value.split(",") if t.strip()}
    if not wanted <= principal.acting_for:
        raise Forbidden("X-Act-For names a tenant this credential may not act for")
    return Principal(
        subject=principal.subject, tenant_id=principal.tenant_id, access_level=principal.access_level,
        roles=principal.roles, acting_for=frozenset(wanted),
    )
