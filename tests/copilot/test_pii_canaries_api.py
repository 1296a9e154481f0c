"""PII canaries never leave the service for a principal not entitled to them — across every
eval-set question plus questions built from each canary's surrounding text, through
/v1/ask (JSON and SSE), /v1/search and the audit log — while an entitled principal sees them.

The demo keys are split between this file and test_pii_canaries_api_more.py (one process each
under ``--dist loadfile``); ``pytest --exhaustive`` also asks every question on every endpoint."""

from __future__ import annotations

import pytest

from guardrails.redaction import RedactionPolicy
from tests.copilot.canary_checks import canaries_in, check_exhaustive, check_quick, key_half
from tests.copilot.conftest import h, make_client


@pytest.mark.slow
def test_no_canary_reaches_a_non_entitled_principal(api_env):
    client, app, keys, _ = api_env
    check_quick(client, app, key_half(keys, 0))


@pytest.mark.slow
@pytest.mark.exhaustive
def test_no_canary_reaches_a_non_entitled_principal_exhaustive(api_env):
    client, app, keys, _ = api_env
    check_exhaustive(client, app, keys)


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
        seen_officer = canaries_in(client.post("/v1/search", json=q, headers=h(officer)).text)
        seen_plain = canaries_in(client.post("/v1/search", json=q, headers=h(plain)).text)
    assert seen_officer, "the entitled principal should see the duty manager's contact details"
    assert not seen_plain
