"""The keyed audit chain and the sealed feedback/API-key tables: every tamper kind is reported
by `AuditLog.verify` (and `copilot audit verify`), and a tampered API key never authenticates."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import uuid

import pytest
import sqlalchemy as sa

from copilot.core.audit import AuditKeyError, AuditLog, AuditRecord, Keyring, feedback_payload, load_keyring
from copilot.core.auth import KeyStore
from copilot.core.db import Feedback, open_database
from copilot.core.settings import Settings

KEY = b"audit-test-key-0123456789abcdef"


def _rec(i: int) -> AuditRecord:
    return AuditRecord(trace_id=uuid.uuid4().hex, subject=f"s{i}", tenant_id="alder", route="/v1/search",
                       method="POST", status=200, query=f"q{i}", chunk_ids=[f"c{i}"], latency_ms=float(i),
                       details={"n": i})


@pytest.fixture
def base(tmp_path):
    """A database with 10 audit rows, two API keys and two sealed feedback rows."""
    path = tmp_path / "base.db"
    db = open_database(f"sqlite:///{path}")
    ring = Keyring(KEY)
    log = AuditLog(db, ring)
    keys = KeyStore(db, ring)
    key, _ = keys.create("k1", "alder", "partner", ["consultant"])
    keys.create("k2", "birch", "public")
    for i in range(8):
        log.append(_rec(i))
    for i in range(2):
        with db.session.begin() as s:
            row = Feedback(trace_id=f"t{i}", subject="s", tenant_id="alder", rating="up", comment="fine")
            s.add(row)
            s.flush()
            row.seal = ring.seal("feedback", feedback_payload(row))
        log.append(AuditRecord(trace_id=f"f{i}", subject="s", tenant_id="alder", route="/v1/feedback",
                               method="POST", status=201, details={"feedback_id": row.id}))
    db.dispose()
    return path, key


def _copy(base, tmp_path, name):
    dst = tmp_path / f"{name}.db"
    shutil.copy(base[0], dst)
    db = open_database(f"sqlite:///{dst}")
    return db, AuditLog(db, Keyring(KEY))


def _exec(db, sql, **params):
    with db.engine.begin() as c:
        c.execute(sa.text(sql), params)


def _forge_row_hash(values: dict, key: bytes) -> str:
    fields = ("seq", "ts", "trace_id", "subject", "tenant_id", "route", "method", "status", "query",
              "chunk_ids", "refused", "latency_ms", "details", "prev_hash", "key_id")
    blob = json.dumps({k: values[k] for k in fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hmac.new(key, f"audit-row\n{blob}".encode(), hashlib.sha256).hexdigest()


def _rows(db) -> list[dict]:
    with db.engine.connect() as c:
        out = [dict(r._mapping) for r in c.execute(sa.text("SELECT * FROM audit_log ORDER BY seq"))]
    for r in out:
        r["chunk_ids"], r["details"] = json.loads(r["chunk_ids"]), json.loads(r["details"])
        r["refused"] = bool(r["refused"])
    return out


def _rewrite_chain(db, key: bytes, key_id: str) -> None:
    """What an attacker with database access but without the audit key can do: recompute every
    link and MAC (with a key of their own) after editing a row."""
    prev = "0" * 64
    for r in _rows(db):
        if r["seq"] == 3:
            r["query"] = "rewritten"
        r["prev_hash"], r["key_id"] = prev, key_id
        h = _forge_row_hash(r, key)
        _exec(db, "UPDATE audit_log SET query=:q, prev_hash=:p, key_id=:k, row_hash=:h WHERE seq=:s",
              q=r["query"], p=prev, k=key_id, h=h, s=r["seq"])
        prev = h
    _exec(db, "UPDATE audit_head SET seq=(SELECT max(seq) FROM audit_log), row_hash=:h", h=prev)


def test_untouched_log_verifies(base, tmp_path):
    db, log = _copy(base, tmp_path, "clean")
    res = log.verify()
    assert res.ok and res.rows == 12, res.problems  # 2 key creations + 8 requests + 2 feedback requests


TAMPERS = {
    "edit": lambda db: _exec(db, "UPDATE audit_log SET status=500 WHERE seq=5"),
    "delete": lambda db: _exec(db, "DELETE FROM audit_log WHERE seq=6"),
    "reorder": lambda db: (_exec(db, "UPDATE audit_log SET seq=-1 WHERE seq=4"),
                           _exec(db, "UPDATE audit_log SET seq=4 WHERE seq=5"),
                           _exec(db, "UPDATE audit_log SET seq=5 WHERE seq=-1")),
    "insert": lambda db: _exec(
        db, "INSERT INTO audit_log (seq, ts, trace_id, subject, tenant_id, route, method, status, query, chunk_ids, "
            "refused, latency_ms, details, prev_hash, row_hash, key_id) SELECT 100, ts, 'x', subject, tenant_id, "
            "route, method, status, query, chunk_ids, refused, latency_ms, details, row_hash, row_hash, key_id "
            "FROM audit_log WHERE seq=(SELECT max(seq) FROM audit_log)"),
    "truncate": lambda db: (_exec(db, "DELETE FROM audit_log WHERE seq > 10"),
                            _exec(db, "UPDATE audit_head SET seq=10, row_hash=(SELECT row_hash FROM audit_log "
                                      "WHERE seq=10)")),
    "rewrite_without_key": lambda db: _rewrite_chain(db, b"attacker-key-0000000000000000", "attacker"),
    "rewrite_guessing_key_id": lambda db: _rewrite_chain(db, b"attacker-key-0000000000000000",
                                                         Keyring(KEY).key_id),
    "feedback_edit": lambda db: _exec(db, "UPDATE feedback SET rating='down' WHERE id=1"),
    "feedback_delete": lambda db: _exec(db, "DELETE FROM feedback WHERE id=2"),
    "feedback_insert": lambda db: _exec(db, "INSERT INTO feedback (created_at, trace_id, subject, tenant_id, rating, "
                                            "comment, seal) SELECT created_at, 'tx', subject, tenant_id, rating, "
                                            "comment, seal FROM feedback WHERE id=1"),
    "api_key_edit": lambda db: _exec(db, "UPDATE api_keys SET access_level='restricted' WHERE name='k1'"),
    "api_key_delete": lambda db: _exec(db, "DELETE FROM api_keys WHERE name='k2'"),
    "api_key_insert": lambda db: _exec(
        db, "INSERT INTO api_keys (key_id, name, salt, secret_hash, subject, tenant_id, access_level, roles, "
            "acting_for, created_at, seal) SELECT 'aaaaaaaaaaaa', 'evil', salt, secret_hash, subject, 'birch', "
            "'restricted', roles, acting_for, created_at, NULL FROM api_keys WHERE name='k1'"),
}


# What verify must say for each kind (a substring of one problem).
EXPECTED = {
    "edit": "seq 5: contents changed",
    "delete": "expected seq 6",
    "reorder": "seq 4: link to the previous row is broken",
    "insert": "tail removed or added",
    "truncate": "head record changed without the key",
    "rewrite_without_key": "written without a known audit key",
    "rewrite_guessing_key_id": "contents changed after it was written",
    "feedback_edit": "feedback 1: row changed",
    "feedback_delete": "feedback 2: recorded in the audit log but missing",
    "feedback_insert": "feedback 3: row changed or inserted",
    "api_key_edit": "row changed or inserted without the key",
    "api_key_delete": "missing from the table (row deleted)",
    "api_key_insert": "api key aaaaaaaaaaaa: row changed or inserted",
}


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_every_tamper_kind_is_detected(base, tmp_path, kind):
    db, log = _copy(base, tmp_path, kind)
    assert log.verify().ok
    TAMPERS[kind](db)
    res = log.verify()
    assert not res.ok, kind
    assert any(EXPECTED[kind] in p for p in res.problems), res.problems


def test_tampered_api_key_never_authenticates(base, tmp_path):
    db, _ = _copy(base, tmp_path, "keys")
    store = KeyStore(db, Keyring(KEY))
    assert store.authenticate(base[1]) is not None
    _exec(db, "UPDATE api_keys SET access_level='restricted' WHERE name='k1'")
    assert store.authenticate(base[1]) is None
    # Restoring the original value restores the key: the seal is over the values, not a counter.
    _exec(db, "UPDATE api_keys SET access_level='partner' WHERE name='k1'")
    assert store.authenticate(base[1]) is not None


def test_rotation_keeps_old_rows_verifiable(base, tmp_path):
    db, _ = _copy(base, tmp_path, "rotate")
    new = Keyring(b"the-next-audit-key-0123456789", previous=(KEY,))
    AuditLog(db, new).append(_rec(99))
    assert AuditLog(db, new).verify().ok
    # Without the previous key the old rows cannot be checked: reported, never silently accepted.
    res = AuditLog(db, Keyring(b"the-next-audit-key-0123456789")).verify()
    assert not res.ok and any("without a known audit key" in p for p in res.problems)


def test_production_mode_refuses_to_run_without_a_key(tmp_path):
    with pytest.raises(AuditKeyError):
        load_keyring(Settings(data_dir=tmp_path, mode="production"))
    ring = load_keyring(Settings(data_dir=tmp_path, mode="production", audit_hmac_key="k" * 32))
    assert ring.current == b"k" * 32
    # dev: generated once, kept private and reused.
    dev = load_keyring(Settings(data_dir=tmp_path / "dev"))
    assert (tmp_path / "dev" / "audit.key").stat().st_mode & 0o077 == 0
    assert load_keyring(Settings(data_dir=tmp_path / "dev")).current == dev.current


def test_cli_verify_reports_tampering(base, tmp_path):
    from typer.testing import CliRunner

    from copilot.cli import app

    db, _ = _copy(base, tmp_path, "cli")
    env = {"COPILOT_DATABASE_URL": str(db.url), "COPILOT_AUDIT_HMAC_KEY": KEY.decode()}
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path)], env=env)
    assert ok.exit_code == 0, ok.output
    _exec(db, "UPDATE audit_log SET query='edited' WHERE seq=3")
    bad = runner.invoke(app, ["audit", "verify", "--json", "--data-dir", str(tmp_path)], env=env)
    assert bad.exit_code == 1 and not json.loads(bad.output)["ok"]
