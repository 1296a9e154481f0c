"""Personal data end to end: a small corpus with planted values of every detected type is ingested
with default settings (real Ingestor, LanceDB in a temp dir, real detector); a principal without a
reveal rule sees none of them through search, ask (JSON and SSE), escalation drafts and audit rows;
a principal with a reveal rule sees exactly its entitled types."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.slow

# Synthetic values (checksum-valid where a checksum exists), with the type each must be detected as.
PLANTED: dict[str, str] = {
    "Ottilie Brandvold": "PERSON",
    "Casimir Oyelaran": "PERSON",
    "ottilie.brandvold@kestrelmail.example": "EMAIL_ADDRESS",
    "+44 20 7946 0321": "PHONE_NUMBER",
    "Kerkstraat 112, 1017 GC Amsterdam": "LOCATION",
    "DE89 3704 0044 0532 0130 00": "IBAN_CODE",
    "COBADEFFXXX": "SWIFT_CODE",
    "4111 1111 1111 1111": "CREDIT_CARD",
    "198.51.100.23": "IP_ADDRESS",
    "14.03.1979": "DATE_OF_BIRTH",
    "536-22-8726": "US_SSN",
    "AB 12 34 56 C": "NATIONAL_ID",
    "65929970489": "NATIONAL_ID",
    "C01X00T47": "PASSPORT",
    "MORGA753116SM9IJ": "DRIVER_LICENSE",
}
ENTITLED = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER"})

DOCS = {
    "sow-northwind.md": """# Statement of Work: Northwind Finance Rollout

## Contacts
The customer project manager is Ottilie Brandvold (ottilie.brandvold@kestrelmail.example).
Call her on +44 20 7946 0321 for cut-over decisions. Her office is at Kerkstraat 112, 1017 GC Amsterdam.

## Payment
Invoices are paid to IBAN DE89 3704 0044 0532 0130 00 (BIC COBADEFFXXX) within 30 days.
Travel is charged to the corporate card 4111 1111 1111 1111. Release 2025.3.1187 fixes INC0037564.
""",
    "onboarding-runbook.md": """# Consultant Onboarding Runbook

## Identity checks
Consultant Casimir Oyelaran, date of birth 14.03.1979, passport no. C01X00T47, driving licence
MORGA753116SM9IJ, was cleared on 2025-04-02. His SSN 536-22-8726, national insurance number
AB 12 34 56 C and Steuer-ID 65929970489 are held by HR only.

## Access
VPN access for Casimir Oyelaran is allowed from 198.51.100.23 during hypercare.
""",
}
MANIFEST = """version: 1
exclude: ["manifest.yaml"]
documents:
  - path: "*.md"
    tenant_id: northwind
    access_level: partner
    doc_type: sow
    valid_from: 2025-01-01
"""
POLICY = """reveal:
  - entity_types: [EMAIL_ADDRESS, PHONE_NUMBER]
    min_level: partner
    roles: [support_lead]
"""
QUESTIONS = [
    "Who is the customer project manager and how do I contact her?",
    "What phone number should I call for cut-over decisions?",
    "Where is the customer's office?",
    "Which bank account are invoices paid to?",
    "Which card is travel charged to?",
    "What identity checks were done for the consultant?",
    "What is the consultant's passport and driving licence number?",
    "What is the SSN and national insurance number held by HR?",
    "From which IP address is VPN access allowed?",
    "When was the consultant born?",
]


def _forms(value: str) -> set[str]:
    """The value as written and without separators (a number must not leak reformatted)."""
    compact = re.sub(r"[\s.\-]", "", value)
    return {value, compact} if len(compact) >= 6 else {value}


def _visible(text: str) -> set[str]:
    return {v for v in PLANTED if any(f in text for f in _forms(v))}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from fastapi.testclient import TestClient

    from copilot.api.app import create_app
    from copilot.core.services import build_services
    from copilot.core.settings import Settings

    root = tmp_path_factory.mktemp("pii-e2e")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    settings = Settings(
        data_dir=root / "data", database_url=f"sqlite:///{root / 'gov.db'}", redaction_policy_path=root / "policy.yaml",
        answer_prewarm_sentences=0, api_rate_limit="100000/minute", upload_process_prestart=False,
    )  # fmt: skip
    services = build_services(settings)
    report = services.ingestor.ingest_corpus(corpus, progress=False)
    assert not report.rejected, report.rejected
    app = create_app(settings, services=services)
    with TestClient(app) as client:
        keys = app.state.copilot.keys
        made = {
            "plain": keys.create("plain", "northwind", "partner", ["consultant"], subject="plain")[0],
            "entitled": keys.create("lead", "northwind", "partner", ["support_lead"], subject="lead")[0],
        }
        yield client, app, made, services


def test_every_planted_value_is_detected_with_its_type(env):
    _, _, _, services = env
    text = "\n".join(DOCS.values())
    spans = services.detector.detect(text)
    for value, etype in PLANTED.items():
        start = text.index(value)
        assert any(s.entity_type == etype and s.start <= start and s.end >= start + len(value) for s in spans), value


def _responses(client, key: str) -> str:
    h = {"X-API-Key": key}
    out = []
    for q in QUESTIONS:
        out.append(client.post("/v1/search", json={"query": q, "k": 20}, headers=h).text)
        out.append(client.post("/v1/ask", json={"question": q}, headers=h).text)
        with client.stream("POST", "/v1/ask", json={"question": q}, headers={**h, "Accept": "text/event-stream"}) as r:
            out.append("".join(r.iter_text()))
    body = {"customer": "Northwind", "project_ref": "SOW-NW-1", "summary": "Cut-over decision contacts and payment",
            "severity": "P2", "observed_facts": ["Invoices unpaid", "Consultant access blocked"]}  # fmt: skip
    r = client.post("/v1/escalations/draft", json=body, headers=h)
    assert r.status_code == 201, r.text
    out.append(r.text)
    out.append(client.get(f"/v1/escalations/{r.json()['id']}", headers=h).text)
    out.append(client.get("/v1/documents", headers=h).text)
    return "\n".join(out)


def test_principal_without_reveal_rule_sees_no_planted_value(env):
    client, app, keys, _ = env
    text = _responses(client, keys["plain"])
    # The service did answer from these documents (the check is not vacuous).
    assert "<PERSON_1>" in text or "<PERSON>" in text
    assert _visible(text) == set()
    audit = json.dumps([{"q": r.query, "d": r.details} for r in app.state.copilot.audit.rows()], default=str)
    assert _visible(audit) == set()


def test_entitled_principal_sees_exactly_its_types(env):
    client, _, keys, _ = env
    seen = _visible(_responses(client, keys["entitled"]))
    assert {PLANTED[v] for v in seen} == ENTITLED
