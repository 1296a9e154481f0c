"""API-key authentication reuses a verified row only while the stored row is unchanged: a revocation,
an edit or a wrong secret counts on the very next request, whichever process made the change."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from copilot.core.audit import Keyring
from copilot.core.auth import KeyStore
from copilot.core.db import open_database

KEY = b"test-audit-key-0123456789"


class _CountingKeyring(Keyring):
    """A keyring that counts seal checks (how often a row's seal was verified)."""

    checks: list[str]

    def check(self, kind, payload, seal):
        self.checks.append(kind)
        return super().check(kind, payload, seal)


def _ring() -> _CountingKeyring:
    ring = _CountingKeyring(KEY)
    object.__setattr__(ring, "checks", [])
    return ring


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        yield open_database(f"sqlite:///{tmp_path / 'gov.db'}")
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("DATABASE_URL does not point to PostgreSQL")
    from sqlalchemy.engine import make_url

    # A schema of its own: the server database is shared with tests running in other processes.
    base = make_url(url)
    schema = f"auth_cache_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    db = open_database(scoped.render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_verified_row_is_reused_while_unchanged(db):
    ring = _ring()
    store = KeyStore(db, ring)
    key, _ = store.create("k1", "alder", "internal", ["consultant"])
    ring.checks.clear()
    first = store.authenticate(key)
    for _ in range(5):
        assert store.authenticate(key) == first
    assert first is not None and first[0].tenant_id == "alder" and first[0].has_role("consultant")
    assert ring.checks == ["api-key"]  # the seal was verified once, not on every request


def test_revocation_by_another_process_is_refused_at_once(db):
    server = KeyStore(db, Keyring(KEY))
    key, _ = server.create("k1", "alder", "internal")
    assert server.authenticate(key) is not None
    # The CLI (or another worker) revokes through its own store: nothing tells this one.
    KeyStore(db, Keyring(KEY)).revoke("k1")
    assert server.authenticate(key) is None


def test_row_edited_behind_the_service_is_refused_at_once(db):
    store = KeyStore(db, Keyring(KEY))
    key, _ = store.create("k1", "alder", "public")
    assert store.authenticate(key) is not None
    with db.engine.begin() as c:
        c.execute(sa.text("UPDATE api_keys SET access_level = 'restricted' WHERE name = 'k1'"))
    assert store.authenticate(key) is None
    with db.engine.begin() as c:  # the row (seal included) copied from another key is refused too
        c.execute(sa.text("UPDATE api_keys SET access_level = 'public', tenant_id = 'birch' WHERE name = 'k1'"))
    assert store.authenticate(key) is None


def test_wrong_secret_is_refused_after_the_key_was_verified(db):
    store = KeyStore(db, Keyring(KEY))
    key, _ = store.create("k1", "alder", "internal")
    assert store.authenticate(key) is not None
    prefix, secret = key.rsplit("_", 1)
    wrong = f"{prefix}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    assert store.authenticate(wrong) is None
    assert store.authenticate(key) is not None


def test_deleted_row_is_refused_at_once(db):
    store = KeyStore(db, Keyring(KEY))
    key, _ = store.create("k1", "alder", "internal")
    assert store.authenticate(key) is not None
    with db.engine.begin() as c:
        c.execute(sa.text("DELETE FROM api_keys WHERE name = 'k1'"))
    assert store.authenticate(key) is None
