"""The hash-chained audit store on SQLite and (when DATABASE_URL is set) on a real PostgreSQL."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from copilot.core.audit import AuditLog, AuditRecord, Keyring
from copilot.core.db import Database

KEYRING = Keyring(b"test-audit-key-0123456789")


def _rec(i: int, **kw) -> AuditRecord:
    return AuditRecord(
        trace_id=uuid.uuid4().hex,
        subject=f"s{i}",
        tenant_id="alder",
        route="/v1/ask",
        method="POST",
        status=200,
        query=f"question {i} <PERSON_1>",
        chunk_ids=[f"c{i}"],
        latency_ms=1.5 + i,
        details={"mode": "extractive", "n": i},
        **kw,
    )


def _exercise(db: Database, table: str = "audit_log") -> None:
    log = AuditLog(db, KEYRING)
    # Concurrent appends still form one unbroken chain.
    threads = [threading.Thread(target=lambda i=i: log.append(_rec(i))) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res = log.verify()
    assert res.ok and res.rows == 20, res.problems
    rows = log.rows()
    assert [r.seq for r in rows] == list(range(1, 21))
    assert all(r.prev_hash == p.row_hash for p, r in zip(rows, rows[1:], strict=False))

    with db.engine.begin() as c:
        c.execute(sa.text(f"UPDATE {table} SET latency_ms = 999 WHERE seq = 7"))
    res = log.verify()
    assert not res.ok and any("seq 7" in p for p in res.problems)
    with db.engine.begin() as c:
        c.execute(sa.text(f"UPDATE {table} SET latency_ms = :v WHERE seq = 7"), {"v": rows[6].latency_ms})
    assert log.verify().ok  # restoring the exact value restores the chain
    with db.engine.begin() as c:
        c.execute(sa.text(f"DELETE FROM {table} WHERE seq = 12"))
    res = log.verify()
    assert not res.ok and any("seq 13" in p for p in res.problems)


def test_sqlite_chain_and_tamper_detection(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    db.create_all()
    _exercise(db)


def test_empty_log_verifies(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'b.db'}")
    db.create_all()
    assert AuditLog(db, KEYRING).verify().ok


@pytest.mark.live
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason="DATABASE_URL does not point to PostgreSQL"
)
def test_postgresql_chain_and_tamper_detection():
    from sqlalchemy.engine import make_url

    base = make_url(os.environ["DATABASE_URL"])
    schema = f"audit_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        db = Database(url.render_as_string(hide_password=False))
        assert db.dialect == "postgresql"
        db.create_all()
        _exercise(db)
        db.dispose()
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
