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


def _held_group(log: AuditLog, recs: list[AuditRecord]) -> dict[str, object]:
    """Append ``recs`` from one thread each while the writer lock is held, then release it: every row
    is queued before anyone can write, so the next writer takes them as one group."""
    out: dict[str, object] = {}

    def run(r: AuditRecord) -> None:
        try:
            out[r.trace_id] = log.append(r)
        except Exception as exc:  # collected for the assertions
            out[r.trace_id] = exc

    with log._lock:
        threads = [threading.Thread(target=run, args=(r,)) for r in recs]
        for t in threads:
            t.start()
        while len(log._queue) < len(recs):
            threading.Event().wait(0.01)
    for t in threads:
        t.join()
    return out


def test_concurrent_appends_are_committed_as_one_group(tmp_path) -> None:
    log = AuditLog(Database(f"sqlite:///{tmp_path / 'a.db'}"), KEYRING)
    log.db.create_all()
    log.append(_rec(0))
    recs = [_rec(i) for i in range(1, 9)]
    out = _held_group(log, recs)
    assert log.groups == 2  # the first row, then the eight queued rows in one transaction
    # Each caller got its own committed row, and the chain over all of them verifies.
    assert sorted(e.seq for e in out.values()) == list(range(2, 10))  # type: ignore[attr-defined]
    assert all(out[r.trace_id].trace_id == r.trace_id for r in recs)  # type: ignore[attr-defined]
    assert [e.trace_id for e in log.rows()][1:] == [r.trace_id for r in recs]
    assert log.verify().ok


def test_a_row_that_cannot_be_written_fails_alone(tmp_path) -> None:
    log = AuditLog(Database(f"sqlite:///{tmp_path / 'a.db'}"), KEYRING)
    log.db.create_all()
    bad = _rec(99)
    bad.details = {"not json": object()}
    recs = [_rec(1), bad, _rec(2)]
    out = _held_group(log, recs)
    assert isinstance(out[bad.trace_id], Exception)
    assert [e.trace_id for e in log.rows()] == [recs[0].trace_id, recs[2].trace_id]
    assert log.verify().ok
