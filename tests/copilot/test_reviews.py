"""Review queue and governance endpoints over HTTP: roles, tenant isolation, audit, webhook, bad input.

One app over the governance part of the demo corpus (real embedder, LanceDB, Presidio
redaction) with its own SQLite database and API keys per role and tenant.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "corpora" / "demo"
HALDEN = "docs/alder/governance/sows/sow-halden-tools.md"


@pytest.fixture(scope="module")
def env(embedder, governance_index, tmp_path_factory):
    from fastapi.testclient import TestClient

    from copilot.api.app import create_app
    from copilot.core.services import Services
    from copilot.core.settings import Settings
    from retrievers.retriever import Retriever
    from retrievers.stores.lancedb import LanceDBStore

    data = tmp_path_factory.mktemp("gov-api")
    # The run's governance index (ingested once, see tests/conftest.py), copied: uploads write into it.
    shutil.copytree(governance_index, data / "index")
    store = LanceDBStore(data / "index", dim=embedder.dim)
    settings = Settings(
        data_dir=data, database_url=f"sqlite:///{data / 'copilot.db'}", answer_prewarm_sentences=0,
        api_rate_limit="100000/minute", templates_dir=ROOT / "templates",
        # Nothing listens there: deliveries fail and stay in the outbox, which is what we inspect.
        webhook_urls=["http://127.0.0.1:9/hook"], webhook_secret="test-secret",
    )
    services = Services(settings=settings, store=store, embedder=embedder, retriever=Retriever(store, embedder))
    client = TestClient(create_app(settings, services=services))
    with client:
        state = client.app.state.copilot
        keys = {}
        for name, tenant, roles in [
            ("alder-consultant", "alder", []), ("alder-manager", "alder", ["partner_manager"]),
            ("birch-manager", "birch", ["partner_manager"]), ("birch-consultant", "birch", []),
            ("vendor-reviewer-alder", "shared", ["vendor_reviewer"]),
        ]:
            acting = ["alder"] if name == "vendor-reviewer-alder" else []
            keys[name], _ = state.keys.create(name, tenant, "partner", roles, acting)
        yield client, state, keys


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def _upload(client, key, name, data):
    return client.post("/v1/checks/sow", headers=h(key), files={"file": (name, data, "text/markdown")})


def test_sow_upload_creates_open_review_items_for_the_tenant(env):
    client, _, keys = env
    r = _upload(client, keys["alder-consultant"], "sow-halden-tools.md", (ROOT / HALDEN).read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert {f["rule_id"] for f in body["findings"]} == {"SOW-MOD-01", "SOW-EXT-01"}
    assert len(body["review_item_ids"]) == 2
    listed = client.get("/v1/reviews", headers=h(keys["alder-manager"]), params={"status": "open"}).json()["items"]
    assert set(body["review_item_ids"]) <= {i["id"] for i in listed}
    assert all(i["tenant_id"] == "alder" and i["status"] == "open" for i in listed)
    # Running the same check again does not duplicate the items.
    again = _upload(client, keys["alder-consultant"], "sow-halden-tools.md", (ROOT / HALDEN).read_bytes()).json()
    assert again["review_item_ids"] == body["review_item_ids"]
    # Another tenant sees none of them.
    birch = client.get("/v1/reviews", headers=h(keys["birch-manager"])).json()["items"]
    assert not set(body["review_item_ids"]) & {i["id"] for i in birch}


def test_sow_by_doc_id_and_other_tenants_doc_is_404(env):
    client, _, keys = env
    ok = client.post("/v1/checks/sow", headers=h(keys["alder-consultant"]), json={"doc_id": HALDEN})
    assert ok.status_code == 200 and {f["rule_id"] for f in ok.json()["findings"]} == {"SOW-MOD-01", "SOW-EXT-01"}
    hidden = client.post("/v1/checks/sow", headers=h(keys["birch-consultant"]), json={"doc_id": HALDEN})
    absent = client.post("/v1/checks/sow", headers=h(keys["birch-consultant"]), json={"doc_id": "docs/x/none.md"})
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["error"]["code"] == absent.json()["error"]["code"] == "not_found"


def _first_open_item(client, keys, sow: str = "sow-brightwater-foods.md") -> str:
    r = _upload(client, keys["alder-consultant"], sow, (ROOT / "docs/alder/governance/sows" / sow).read_bytes())
    assert r.status_code == 200
    return r.json()["review_item_ids"][0]


def test_decision_needs_a_reviewer_role_of_the_items_tenant(env):
    client, state, keys = env
    item = _first_open_item(client, keys)
    url = f"/v1/reviews/{item}/decision"
    reason = "the liability cap is already agreed in the framework agreement, clause 14"
    body = {"decision": "overridden", "reason": reason}
    consultant = client.post(url, headers=h(keys["alder-consultant"]), json=body)
    assert consultant.status_code == 403 and consultant.json()["error"]["code"] == "forbidden"
    other_tenant = client.post(url, headers=h(keys["birch-manager"]), json=body)
    assert other_tenant.status_code == 404
    assert client.get(f"/v1/reviews/{item}", headers=h(keys["birch-manager"])).status_code == 404
    no_reason = client.post(url, headers=h(keys["alder-manager"]), json={"decision": "accepted", "reason": ""})
    assert no_reason.status_code == 422 and "error" in no_reason.json()
    bad = client.post(url, headers=h(keys["alder-manager"]), json={"decision": "approved", "reason": "x"})
    assert bad.status_code == 422
    # Still open after all the refused attempts.
    assert client.get(f"/v1/reviews/{item}", headers=h(keys["alder-manager"])).json()["status"] == "open"
    ok = client.post(url, headers=h(keys["alder-manager"]), json=body)
    assert ok.status_code == 200, ok.text
    decided = ok.json()
    assert decided["status"] == "overridden" and decided["decided_by"] == "key:alder-manager"
    assert "framework agreement, clause 14" in decided["decision_reason"]
    assert [t["to"] for t in decided["transitions"]] == ["open", "overridden"]
    again = client.post(url, headers=h(keys["alder-manager"]), json=body)
    assert again.status_code == 409
    # Every attempt is in the audit log with its status.
    rows = [r for r in state.audit.rows() if r.route == "/v1/reviews/{review_id}/decision"]
    assert {r.status for r in rows} >= {403, 404, 422, 200, 409}


def test_vendor_reviewer_acting_for_the_tenant_may_decide(env):
    client, _, keys = env
    item = _first_open_item(client, keys, "sow-oakridge-joinery.md")
    items = client.get("/v1/reviews", headers=h(keys["vendor-reviewer-alder"]), params={"status": "open"}).json()
    if item not in {i["id"] for i in items["items"]}:
        pytest.fail("vendor reviewer acting for alder should list alder's open items")
    r = client.post(f"/v1/reviews/{item}/decision", headers=h(keys["vendor-reviewer-alder"]),
                    json={"decision": "accepted", "reason": "the partner must remove this from the scope"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_new_findings_are_announced_through_the_webhook_outbox(env):
    client, state, keys = env
    r = _upload(client, keys["birch-consultant"], "sow-marlow-fashion.html",
                (ROOT / "docs/birch/governance/sows/sow-marlow-fashion.html").read_bytes())
    ids = set(r.json()["review_item_ids"])
    assert len(ids) == 3
    import json

    from sqlalchemy import select

    from copilot.governance.webhooks import WebhookDelivery

    with state.db.session() as sess:
        rows = list(sess.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "review.findings_created")))
    envelopes = [json.loads(r.body) for r in rows]
    announced = [e for e in envelopes if {i["id"] for i in e["data"]["items"]} == ids]
    assert len(announced) == 1  # one event per check, listing every new item
    data = announced[0]["data"]
    assert data["tenant_id"] == "birch" and data["check_type"] == "sow"
    assert {i["rule_id"] for i in data["items"]} == {"SOW-MOD-01", "SOW-ACC-01", "SOW-EXC-03"}
    # The payload carries ids and rule ids only, no clause text.
    assert "till" not in rows[0].body.lower()


def test_milestone_check_over_http_with_redacted_evidence(env):
    client, _, keys = env
    r = client.post("/v1/checks/milestone", headers=h(keys["alder-consultant"]),
                    json={"project": "PRJ-KVD", "milestone": "go-live-readiness"})
    assert r.status_code == 200, r.text
    arts = {a["artifact_id"]: a for a in r.json()["artifacts"]}
    assert arts["rollback-plan"]["status"] == "missing" and arts["rollback-plan"]["review_item_id"]
    uat = arts["uat-signoff"]
    assert uat["status"] == "found"
    # The certificate names its signatories; personal names never leave the service unredacted.
    assert "Maeve Gallagher" not in uat["evidence_text"] and "<PERSON_" in uat["evidence_text"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"files": {"file": ("empty.md", b"", "text/markdown")}}, 400, "empty_document"),
        ({"files": {"file": ("notes.md", (ROOT / "docs/shared/release-notes/release-2025-1.md").read_bytes(),
                             "text/markdown")}}, 422, "not_a_sow"),
        ({"json": {"doc_id": "docs/shared/playbooks/implementation-method.md"}}, 422, "not_a_sow"),
        ({"json": {"doc_id": ""}}, 422, "invalid_request"),
        ({"content": b"plain text", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
    ],
)
def test_bad_sow_requests_give_json_4xx(env, kwargs, status, code):
    client, _, keys = env
    headers = {**h(keys["alder-consultant"]), **kwargs.pop("headers", {})}
    r = client.post("/v1/checks/sow", headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_unknown_milestone_is_a_clear_4xx(env):
    client, _, keys = env
    r = client.post("/v1/checks/milestone", headers=h(keys["alder-consultant"]),
                    json={"project": "PRJ-KVD", "milestone": "launch-party"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "unknown_milestone" and "go-live-readiness" in err["message"]
