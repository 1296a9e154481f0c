"""Quality regression guard: the demo eval set on a freshly ingested demo index.

Fails when hybrid recall@5 or nDCG@10 drops below the floor, or when any forbidden
document is returned. Floors sit a little below the values measured when they were set
(see reports/eval-demo/report.md), so a real regression trips them and run-to-run noise
(there is none: ingestion and ranking are deterministic) does not.
PII detection is off here to keep the run CI-sized; the masking it adds changes only
personal-data tokens of the index text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.dataset import DocumentTexts, load_cases
from evals.run import evaluate
from evals.systems import OurSystem

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "demo"

# Measured on the demo set (135 cases, 92 answerable): hybrid recall@5 .967, nDCG@10 .897.
RECALL5_FLOOR = 0.90
NDCG10_FLOOR = 0.84

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_services(tmp_path_factory: pytest.TempPathFactory):
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings

    services = build_services(load_settings(data_dir=tmp_path_factory.mktemp("guard"), pii_detection=False))
    report = services.ingestor.ingest_corpus(DEMO, progress=False)
    assert report.documents_written > 0
    return services


def test_demo_quality_and_no_leaks(demo_services, tmp_path):
    cases = load_cases(DEMO / "evalset.jsonl")
    texts = DocumentTexts(DEMO, tmp_path / "parsed")
    systems = [OurSystem("hybrid", demo_services.retriever, "hybrid")]
    res = evaluate(cases, systems, texts, ragas=False, progress=False)
    s = res["systems"]["hybrid"]["summary"]
    assert s["leaks"] == 0, f"forbidden documents returned for {s['leaking_cases']}"
    assert s["scored_cases"] >= 80
    assert s["recall@5"] >= RECALL5_FLOOR, f"hybrid recall@5 fell to {s['recall@5']:.3f}"
    assert s["ndcg@10"] >= NDCG10_FLOOR, f"hybrid nDCG@10 fell to {s['ndcg@10']:.3f}"
