"""Caller-typed personal data is redacted before it is stored: after a scripted escalation (draft,
decision comment), a review decision, a check and feedback carrying names, phones, e-mails and an
IBAN, no table of the SQLite database holds any of the raw values."""

from __future__ import annotations

import sqlite3

import pytest

from tests.copilot.conftest import h, make_client

pytestmark = pytest.mark.slow

PII = {
    "name": "Johanna Lindqvist",
    "phone": "+49 170 5550123",
    "email": "johanna.lindqvist@ormond-castings.example",
    "iban": "DE89370400440532013000",
    "name2": "Piotr Wiśniewski",
}


def _scan(db_path) -> dict[str, list[str]]:
    """Every (table.column) cell that holds a raw value, per value."""
    found: dict[str, list[str]] = {k: [] for k in PII}
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for col, cell in zip(cols, row, strict=True):
                    text = str(cell) if cell is not None else ""
                    for k, v in PII.items():
                        # JSON columns may escape non-ASCII characters; check both spellings.
                        escaped = v.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
                        if v in text or escaped in text or v.replace(" ", "") in text.replace(" ", ""):
                            found[k].append(f"{t}.{col}")
    finally:
        con.close()
    return found


@pytest.fixture(scope="module")
def env(demo_services, demo_data_dir, tmp_path_factory):
    gov = tmp_path_factory.mktemp("pii-gov")
    db_path = gov / "gov.db"
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{db_path}", api_rate_limit="100000/minute")
    with client:
        ks = app.state.copilot.keys
        keys = {n: ks.create(n, "alder", "internal", ["partner_manager", "consultant"], subject=n)[0]
                for n in ("drafter", "approver")}
        yield client, keys, db_path


def test_no_raw_personal_data_in_any_table(env):
    client, keys, db_path = env
    people = f"{PII['name']} ({PII['email']}, {PII['phone']})"
    r = client.post("/v1/escalations/draft", headers=h(keys["drafter"]), json={
        "customer": "Ormond Precision Castings",
        "project_ref": f"SOW-ALD-2026-02 contact {PII['name2']}",
        "summary": f"Goods receipt fails; call {people}",
        "severity": "P1",
        "observed_facts": [f"Refund to IBAN {PII['iban']} is blocked", f"Reported by {PII['name2']} at {PII['email']}"],
    })
    assert r.status_code == 201, r.text
    did = r.json()["id"]
    r = client.post(f"/v1/escalations/{did}/reject", headers=h(keys["approver"]),
                    json={"comment": f"Ask {PII['name']} on {PII['phone']} or {PII['email']}; IBAN {PII['iban']}"})
    assert r.status_code == 200, r.text
    a = client.post("/v1/ask", headers=h(keys["drafter"]),
                    json={"question": f"What is the hypercare period for {PII['name']} ({PII['email']})?"})
    assert a.status_code == 200
    f = client.post("/v1/feedback", headers=h(keys["drafter"]), json={
        "trace_id": a.json()["trace_id"], "rating": "down", "comment": f"{PII['name']} {PII['phone']} {PII['iban']}"})
    assert f.status_code == 201, f.text
    m = client.post("/v1/checks/milestone", headers=h(keys["drafter"]),
                    json={"project": f"PRJ-KVD {PII['email']}", "milestone": "go-live-readiness"})
    assert m.status_code in (200, 422), m.text
    items = client.get("/v1/reviews", headers=h(keys["drafter"])).json().get("items", [])
    if items:
        client.post(f"/v1/reviews/{items[0]['id']}/decision", headers=h(keys["approver"]),
                    json={"decision": "overridden", "reason": f"{PII['name']} says so, {PII['phone']}"})
    found = _scan(db_path)
    raw = {k: v for k, v in found.items() if v}
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        cells = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                    * len(con.execute(f'PRAGMA table_info("{t}")').fetchall()) for t in tables)
    finally:
        con.close()
    print(f"PII scan: {len(PII)} values x {len(tables)} tables ({cells} cells): "
          f"{sum(len(v) for v in found.values())} raw occurrences")
    assert not raw, raw
    # The drafts, comments and audit rows are there, redacted (not dropped).
    con = sqlite3.connect(db_path)
    try:
        comment = con.execute("SELECT decision_comment FROM escalation_drafts WHERE id=?", (did,)).fetchone()[0]
    finally:
        con.close()
    assert "<" in comment and "IBAN" in comment
