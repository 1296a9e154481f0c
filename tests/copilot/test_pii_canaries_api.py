"""PII canaries never leave the service for a principal not entitled to them — across every
eval-set question plus questions built from each canary's surrounding text, through
/v1/ask (JSON and SSE), /v1/search and the audit log — while an entitled principal sees them."""

from __future__ import annotations

import json
import re

import pytest

from guardrails.redaction import RedactionPolicy
from ingestion.parsing import parse_bytes
from tests.conftest import DEMO_CORPUS
from tests.copilot.conftest import h, make_client

CANARIES = json.loads((DEMO_CORPUS / "canaries.json").read_text())
EVAL_QUESTIONS = [json.loads(x)["question"] for x in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if x]


def context_questions() -> list[str]:
    """For each canary, a question made of the words around it (the value itself removed)."""
    out = []
    texts = {}
    for c in CANARIES:
        if c["doc_id"] not in texts:
            texts[c["doc_id"]] = parse_bytes((DEMO_CORPUS / c["doc_id"]).read_bytes(), c["doc_id"]).text
        text = re.sub(r"\s+", " ", texts[c["doc_id"]])
        i = text.find(c["value"])
        if i < 0:
            continue
        around = (text[max(0, i - 120) : i] + " " + text[i + len(c["value"]) : i + len(c["value"]) + 80]).split()
        out.append(" ".join(around[-14:] + ["contact", "details"]))
    return sorted(set(out))


def _canaries_in(text: str) -> list[str]:
    return [c["value"] for c in CANARIES if c["value"] in text]


@pytest.mark.slow
def test_no_canary_reaches_a_non_entitled_principal(api_env):
    client, app, keys, _ = api_env
    questions = EVAL_QUESTIONS + context_questions()
    assert len(questions) > 150
    leaks = []
    for user, key in keys.items():
        for q in questions:
            for path, body, accept in (
                ("/v1/ask", {"question": q}, "application/json"),
                ("/v1/ask", {"question": q}, "text/event-stream"),
                ("/v1/search", {"query": q, "k": 20}, "application/json"),
            ):
                r = client.post(path, json=body, headers=h(key, Accept=accept))
                assert r.status_code == 200, (path, r.text[:200])
                leaks += [(user, path, accept, q, v) for v in _canaries_in(r.text)]
    assert not leaks, leaks[:5]
    rows = app.state.copilot.audit.rows()
    assert len(rows) >= len(questions)
    audit_text = " ".join(f"{r.query} {getattr(r, 'chunk_ids', '')}" for r in rows)
    assert not _canaries_in(audit_text)


@pytest.mark.slow
def test_entitled_principal_sees_personal_data(demo_services, demo_data_dir, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("reveal:\n  - entity_types: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]\n"
                      "    min_level: internal\n    roles: [privacy_officer]\n")
    assert RedactionPolicy.from_yaml(policy).revealed_types("internal", ["privacy_officer"])
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'g.db'}",
                              redaction_policy_path=policy, api_rate_limit="100000/minute")
    with client:
        ks = app.state.copilot.keys
        officer, _ = ks.create("officer", "shared", "internal", roles=["privacy_officer"])
        plain, _ = ks.create("staff", "shared", "internal")
        q = {"query": "Who is the escalation duty manager, with phone and e-mail?", "k": 20}
        seen_officer = _canaries_in(client.post("/v1/search", json=q, headers=h(officer)).text)
        seen_plain = _canaries_in(client.post("/v1/search", json=q, headers=h(plain)).text)
    assert seen_officer, "the entitled principal should see the duty manager's contact details"
    assert not seen_plain
