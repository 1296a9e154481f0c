"""Section plans are data: the demo corpus ships its own, product code falls back to generic ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.governance.escalations import DraftRequest, load_plans
from copilot.governance.escalations.plans import DEFAULT_PLANS, PlanError

DEMO_PLANS = Path(__file__).resolve().parents[2] / "corpora" / "demo" / "escalation-plans.yaml"
REQ = DraftRequest("Acme", "SOW-1", "Invoices (batch) fail [urgent]", "P2")


def test_demo_plans_fill_in_the_request():
    plans = load_plans(REQ, DEMO_PLANS)
    impact = next(p for p in plans if p.key == "impact")
    assert impact.query.startswith("P2 priority") and "p2" in impact.focus
    assert impact.require is not None and impact.require.search("P2 (High): production stops")
    assert not impact.require.search("P3 (High)")
    # The caller's summary is text in queries, never a pattern.
    contract = next(p for p in plans if p.key == "contractual_basis")
    assert REQ.summary in contract.query


def test_missing_file_falls_back_to_generic_plans_without_corpus_words():
    plans = load_plans(REQ, Path("/nonexistent/plans.yaml"))
    assert {p.key for p in plans} >= {"impact", "sla_status", "scope_check", "escalation_path"}
    text = DEFAULT_PLANS.read_text()
    assert "Verdant" not in text and "Verdant" in DEMO_PLANS.read_text()


@pytest.mark.parametrize("body", [
    "plans: []",
    "plans:\n  - key: nope\n    query: q",
    "plans:\n  - key: impact\n    query: q\n    colour: red",
])
def test_malformed_plans_are_refused_clearly(tmp_path, body):
    p = tmp_path / "plans.yaml"
    p.write_text(body)
    with pytest.raises(PlanError):
        load_plans(REQ, p)
