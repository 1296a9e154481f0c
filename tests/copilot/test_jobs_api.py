"""Asynchronous uploads over HTTP: 202 + job id, job progress/result/error, SSE, the access rule
for jobs, no existence oracle through upload names, archive limits before anything is stored."""

from __future__ import annotations

import io
import json
import re

import pytest

from evals.bench_common import bomb_docx
from tests.copilot.conftest import h, wait_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def admins(api_env):
    """Tenant admins of tenant alder at the restricted and the partner level, plus readers."""
    _, app, keys, _ = api_env
    ks = app.state.copilot.keys
    return {
        "restricted": ks.create("jobs-restricted-admin", "alder", "restricted", ["tenant_admin"])[0],
        "partner": ks.create("jobs-partner-admin", "alder", "partner", ["tenant_admin"])[0],
        "public_reader": ks.create("jobs-public-reader", "alder", "public")[0],
        "birch": keys["demo-birch-consultant"],
        "alder_consultant": keys["demo-alder-consultant"],
    }


def upload(client, key: str, name: str, body: bytes, level: str, **extra: str):
    files = {"file": (name, io.BytesIO(body), "text/markdown")}
    return client.post("/v1/documents", files=files, data={"access_level": level, **extra}, headers=h(key))


def shape(body: dict, name: str) -> str:
    """A response body with its random job id and the uploaded name abstracted away."""
    text = json.dumps(body, sort_keys=True)
    return re.sub(r"[0-9a-f]{32}", "<job>", text).replace(name, "<name>")


def test_upload_is_accepted_at_once_then_searchable(client, admins):
    r = upload(client, admins["partner"], "zephyr-notes.md",
               b"# Notes\n\nThe Zephyr rehearsal runs on the second Saturday.\n", "partner")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["doc_id"] == "uploads/partner/zephyr-notes.md"
    assert r.headers["location"] == body["links"]["self"] == f"/v1/jobs/{body['job_id']}"
    job = wait_job(client, body["job_id"], h(admins["partner"]))
    assert job["status"] == "succeeded" and job["result"]["status"] == "written" and job["error"] is None
    hits = client.post("/v1/search", json={"query": "Zephyr rehearsal Saturday", "k": 3},
                       headers=h(admins["alder_consultant"])).json()["results"]
    assert hits[0]["doc_id"] == body["doc_id"]
    assert client.delete(f"/v1/documents/{body['doc_id']}", headers=h(admins["partner"])).status_code == 204


def test_job_follows_the_document_access_rule(client, admins):
    r = upload(client, admins["restricted"], "vault-plan.md", b"# Vault\n\nRestricted vault plan text.\n", "restricted")
    job_id = r.json()["job_id"]
    assert wait_job(client, job_id, h(admins["restricted"]))["status"] == "succeeded"
    absent = "0" * 32
    for who in ("partner", "public_reader", "birch", "alder_consultant"):
        hidden = client.get(f"/v1/jobs/{job_id}", headers=h(admins[who]))
        missing = client.get(f"/v1/jobs/{absent}", headers=h(admins[who]))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        stream = client.get(f"/v1/jobs/{job_id}/events", headers=h(admins[who]))
        assert stream.status_code == 404 and stream.json() == missing.json()
    assert client.get(f"/v1/jobs/{job_id}").status_code == 401
    client.delete("/v1/documents/uploads/restricted/vault-plan.md", headers=h(admins["restricted"]))


def test_name_of_a_hidden_upload_behaves_like_a_fresh_name(client, admins, api_env):
    store = api_env[1].state.copilot.services.store
    secret = b"# Board\n\nThe restricted board minutes mention project Quasar.\n"
    r = upload(client, admins["restricted"], "board.md", secret, "restricted")
    assert wait_job(client, r.json()["job_id"], h(admins["restricted"]))["status"] == "succeeded"
    before = sorted(c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "uploads/restricted/board.md")

    hidden = upload(client, admins["partner"], "board.md", b"# Board\n\nPartner text.\n", "partner")
    fresh = upload(client, admins["partner"], "fresh.md", b"# Board\n\nPartner text.\n", "partner")
    assert hidden.status_code == fresh.status_code == 202
    assert shape(hidden.json(), "board") == shape(fresh.json(), "fresh")
    jobs = [wait_job(client, x.json()["job_id"], h(admins["partner"])) for x in (hidden, fresh)]
    assert {j["status"] for j in jobs} == {"succeeded"}
    # replace=true acts on the caller's own upload only; the restricted document is untouched
    rep = upload(client, admins["partner"], "board.md", b"# Board\n\nReplaced partner text.\n", "partner",
                 replace="true")
    assert wait_job(client, rep.json()["job_id"], h(admins["partner"]))["status"] == "succeeded"
    after = sorted(c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "uploads/restricted/board.md")
    assert after == before
    # delete of the hidden document answers exactly like an absent one, and removes nothing
    d_hidden = client.delete("/v1/documents/uploads/restricted/board.md", headers=h(admins["partner"]))
    d_absent = client.delete("/v1/documents/uploads/restricted/nothing.md", headers=h(admins["partner"]))
    assert d_hidden.status_code == d_absent.status_code == 404 and d_hidden.json() == d_absent.json()
    after = sorted(c.text for cs, _ in store.iter_all() for c in cs if c.doc_id == "uploads/restricted/board.md")
    assert after == before
    for doc in ("uploads/partner/board.md", "uploads/partner/fresh.md"):
        assert client.delete(f"/v1/documents/{doc}", headers=h(admins["partner"])).status_code == 204
    r = client.delete("/v1/documents/uploads/restricted/board.md", headers=h(admins["restricted"]))
    assert r.status_code == 204


def test_bad_file_fails_its_job_with_a_clear_error(client, admins):
    files = {"file": ("broken.pdf", io.BytesIO(b"%PDF-1.7 truncated"), "application/pdf")}
    r = client.post("/v1/documents", files=files, data={"access_level": "partner"}, headers=h(admins["partner"]))
    assert r.status_code == 202
    job = wait_job(client, r.json()["job_id"], h(admins["partner"]))
    assert job["status"] == "failed" and job["error"]["code"] == "document_rejected"
    assert "not a readable PDF" in job["error"]["message"] and job["result"] is None


def test_decompression_bomb_is_refused_before_it_is_stored(client, admins):
    files = {"file": ("bomb.docx", io.BytesIO(bomb_docx(300)), "application/octet-stream")}
    r = client.post("/v1/documents", files=files, data={"access_level": "partner"}, headers=h(admins["partner"]))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "document_rejected" and "decompression bomb" in r.json()["error"]["message"]


def test_job_events_stream_ends_with_done(client, admins):
    r = upload(client, admins["partner"], "stream-notes.md", b"# Stream\n\nEvents until done.\n", "partner")
    job_id = r.json()["job_id"]
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=h(admins["partner"])) as resp:
        assert resp.status_code == 200
        events = [line.split(":", 1)[1].strip() for line in resp.iter_lines() if line.startswith("event:")]
    assert events[-1] == "done" and set(events[:-1]) <= {"progress"}
    client.delete("/v1/documents/uploads/partner/stream-notes.md", headers=h(admins["partner"]))


def test_delete_follows_the_manage_rule_for_acting_for(client, admins, api_env):
    """``can_manage_document`` decides delete: vendor staff acting for alder manage alder's upload at
    their level; without acting_for, or below the document's level, it answers like a missing id."""
    _, app, _, _ = api_env
    ks = app.state.copilot.keys
    acting = ks.create("jobs-vendor-acting", "shared", "partner", ["tenant_admin"], ["alder"])[0]
    acting_low = ks.create("jobs-vendor-acting-low", "shared", "public", ["tenant_admin"], ["alder"])[0]
    stranger = ks.create("jobs-vendor-stranger", "shared", "restricted", ["tenant_admin"])[0]
    r = upload(client, admins["partner"], "acting-notes.md", b"# Acting\n\nNotes kept by the partner.\n", "partner")
    assert wait_job(client, r.json()["job_id"], h(admins["partner"]))["status"] == "succeeded"
    doc = "uploads/partner/acting-notes.md"
    missing = client.delete("/v1/documents/uploads/partner/never-there.md", headers=h(acting))
    for key in (stranger, acting_low):
        denied = client.delete(f"/v1/documents/{doc}", headers=h(key))
        assert (denied.status_code, denied.json()) == (404, missing.json())
    assert client.delete(f"/v1/documents/{doc}", headers=h(acting)).status_code == 204
    listed = client.get("/v1/documents", headers=h(admins["partner"])).json()["documents"]
    assert doc not in {d["doc_id"] for d in listed}
