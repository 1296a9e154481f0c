"""Feedback: one current vote per user and answer, changeable, only for the caller's tenant's answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from copilot.core.db import Feedback, open_database
from copilot.governance.feedback import FeedbackService, UnknownAnswer
from tests.copilot.conftest import h


def _ask(client, key: str) -> str:
    r = client.post("/v1/ask", json={"question": "What is hypercare?"}, headers=h(key))
    assert r.status_code == 200
    return r.json()["trace_id"]


def _rows(app, trace_id: str) -> list[Feedback]:
    with app.state.copilot.db.session() as s:
        return list(s.scalars(select(Feedback).where(Feedback.trace_id == trace_id)))


def test_vote_is_accepted_immediately_and_changeable(api_env):
    client, app, keys, _ = api_env
    consultant, manager = keys["demo-alder-consultant"], keys["demo-alder-manager"]
    trace = _ask(client, consultant)
    url = f"/v1/feedback/{trace}"
    assert client.get(url, headers=h(consultant)).json() == {"trace_id": trace, "rating": None}

    r = client.post("/v1/feedback", json={"trace_id": trace, "rating": "up"}, headers=h(consultant))
    assert r.status_code == 201 and r.json()["status"] == "recorded" and r.json()["rating"] == "up"
    r = client.post("/v1/feedback", json={"trace_id": trace, "rating": "up"}, headers=h(consultant))
    assert r.json()["status"] == "unchanged"
    r = client.post("/v1/feedback", json={"trace_id": trace, "rating": "down"}, headers=h(consultant))
    assert r.json()["status"] == "changed"
    assert client.get(url, headers=h(consultant)).json()["rating"] == "down"
    # Another user of the tenant has a vote of their own.
    assert client.get(url, headers=h(manager)).json()["rating"] is None
    client.post("/v1/feedback", json={"trace_id": trace, "rating": "up"}, headers=h(manager))

    rows = _rows(app, trace)
    assert sorted((r.subject.split(":")[-1], r.rating) for r in rows) == [
        ("demo-alder-consultant", "down"), ("demo-alder-manager", "up")
    ]


def test_other_tenant_and_unknown_trace_are_404(api_env):
    client, app, keys, _ = api_env
    trace = _ask(client, keys["demo-alder-consultant"])
    birch = h(keys["demo-birch-consultant"])
    assert client.post("/v1/feedback", json={"trace_id": trace, "rating": "up"}, headers=birch).status_code == 404
    assert client.get(f"/v1/feedback/{trace}", headers=birch).status_code == 404
    assert client.get("/v1/feedback/0123456789abcdef", headers=h(keys["demo-alder-consultant"])).status_code == 404
    assert client.get("/v1/feedback/not-hex!", headers=birch).status_code == 422
    assert _rows(app, trace) == []


def test_concurrent_first_votes_leave_one_row(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'fb.db'}")
    svc = FeedbackService(db.session.begin)
    svc.record_answer("abcdef0123456789", "u1", "alder")
    with ThreadPoolExecutor(8) as pool:
        votes = list(pool.map(lambda r: svc.vote("abcdef0123456789", "u1", "alder", r, ""), ["up", "down"] * 8))
    assert {v.status for v in votes} >= {"recorded"}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == 1
    assert svc.current("abcdef0123456789", "u1", "alder").rating in {"up", "down"}
    with pytest.raises(UnknownAnswer):
        svc.vote("abcdef0123456789", "u1", "birch", "up", "")
