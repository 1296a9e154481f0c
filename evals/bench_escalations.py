"""Escalation drafting latency (p50/p95) over the demo index, per partner, extractive mode.

Usage: python -m evals.bench_escalations [--data-dir DIR] [--runs N] [--out reports/escalations]

Ingests the demo corpus into the data dir if it is empty, then drafts the same set of realistic
requests (one per demo partner and severity) ``runs`` times each. The baseline in the same process
is one plain hybrid search per request, so the ratio shows what the seven targeted section
searches plus sentence selection and redaction cost on top of a single retrieval.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.services import build_services
from copilot.core.settings import Settings
from copilot.governance.escalations import DraftRequest, EscalationDrafter
from retrievers.access import AccessLevel, Principal

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"

REQUESTS = [
    ("alder", DraftRequest("Ormond Precision Castings", "SOW-ALD-2026-02",
                           "Subcontracting goods receipt fails for batch-managed components", "P1",
                           ("Heat-treatment orders blocked for 40 users",))),
    ("alder", DraftRequest("Kestrel Valley Dairies", "SOW-ALD-2025-07", "Milk intake interface drops records",
                           "P2", ("About 5 percent of intake records missing",))),
    ("birch", DraftRequest("Tarragon Retail Group", "SOW-BIR-2026-04", "Point-of-sale sales are not posted to finance",
                           "P2", ("Store closing delayed in 12 stores",))),
    ("birch", DraftRequest("Lumen Harbour Hotels", "", "Night audit job aborts", "P1", ())),
    ("cedar", DraftRequest("Pellham Waterworks", "", "Meter reading import stops with an error", "P3", ())),
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path(".data/bench-escalations"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("reports/escalations"))
    args = ap.parse_args()

    settings = Settings(data_dir=args.data_dir)
    services = build_services(settings)
    if services.store.count() == 0:
        print("ingesting the demo corpus ...")
        services.ingestor.ingest_corpus(DEMO, progress=False)
    policy = load_policy(None)
    detector = services.detector
    drafter = EscalationDrafter(services.retriever, redactor=lambda p: ResponseRedactor(p, policy, detector))
    principals = {t: Principal(f"bench-{t}", t, AccessLevel.INTERNAL, frozenset({"partner_manager"})) for t in
                  ("alder", "birch", "cedar")}

    # Warm-up: model loading and first-query costs are not part of a draft.
    for tenant, req in REQUESTS:
        drafter.draft(req, principals[tenant])
        services.retriever.search(req.summary, principals[tenant], k=6)

    draft_ms: list[float] = []
    search_ms: list[float] = []
    per_tenant: dict[str, list[float]] = {}
    sentences, evidence = [], []
    for _ in range(args.runs):
        for tenant, req in REQUESTS:
            t0 = time.perf_counter()
            services.retriever.search(req.summary, principals[tenant], k=6)
            search_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            note = drafter.draft(req, principals[tenant])
            ms = (time.perf_counter() - t0) * 1000
            draft_ms.append(ms)
            per_tenant.setdefault(tenant, []).append(ms)
            sentences.append(sum(1 for s in note.sections for x in s.sentences if x.kind == "evidence"))
            evidence.append(len(note.evidence))

    result = {
        "runs": args.runs,
        "requests": len(REQUESTS),
        "drafts": len(draft_ms),
        "mode": "extractive",
        "pii_detection_on_free_text": detector is not None,
        "draft_ms": {"p50": round(pct(draft_ms, 50), 1), "p95": round(pct(draft_ms, 95), 1),
                     "mean": round(statistics.fmean(draft_ms), 1), "max": round(max(draft_ms), 1)},
        "baseline_single_search_ms": {"p50": round(pct(search_ms, 50), 1), "p95": round(pct(search_ms, 95), 1)},
        "ratio_p50_vs_single_search": round(pct(draft_ms, 50) / max(pct(search_ms, 50), 1e-9), 2),
        "per_tenant_p50_ms": {t: round(pct(v, 50), 1) for t, v in sorted(per_tenant.items())},
        "evidence_sentences_mean": round(statistics.fmean(sentences), 1),
        "cited_chunks_mean": round(statistics.fmean(evidence), 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        "# Escalation drafting latency",
        "",
        f"{result['drafts']} drafts ({len(REQUESTS)} requests x {args.runs} runs), extractive mode, demo index, "
        f"PII detection on free text: {result['pii_detection_on_free_text']}.",
        "",
        "| measure | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| draft (7 targeted searches, selection, redaction) | {result['draft_ms']['p50']} | "
        f"{result['draft_ms']['p95']} |",
        f"| baseline: one hybrid search | {result['baseline_single_search_ms']['p50']} | "
        f"{result['baseline_single_search_ms']['p95']} |",
        "",
        f"Ratio draft/search at p50: {result['ratio_p50_vs_single_search']}x. Per tenant p50: "
        + ", ".join(f"{t} {v} ms" for t, v in result["per_tenant_p50_ms"].items())
        + f". Mean evidence sentences per note: {result['evidence_sentences_mean']}, "
        f"cited chunks: {result['cited_chunks_mean']}.",
        "",
    ]
    (args.out / "latency.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
