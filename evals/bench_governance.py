"""Precision and recall of the governance checks on the labelled demo set.

SOW check: one label per (SOW, template rule); a rule counts as predicted when the check
reports at least one finding for it. Reported overall and per split: ``dev`` SOWs were
written before the detector and used while building it; ``heldout`` SOWs were written
after its rules and thresholds were frozen and were not used to change them.

Milestone check: one label per (project, milestone, artifact) with status found / missing /
ambiguous. "Flagged" = missing or ambiguous (what a reviewer must look at); reported as
precision/recall of flagged items, of missing items alone, and exact-status accuracy.

Runs the real parser, embedding model, LanceDB store and retriever over a fresh index of
the governance part of the demo corpus (PII detection off: it does not change what the
checks read). Writes JSON and Markdown into reports/governance/.

    .venv/bin/python -m evals.bench_governance
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "demo"
REPORTS = ROOT / "reports" / "governance"


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3)}


def run(corpus: Path = CORPUS) -> dict[str, Any]:
    from copilot.governance.checks.demo import ingest_governance_demo
    from copilot.governance.checks.service import GovernanceChecks
    from ingestion.pipeline import Ingestor
    from retrievers.access import AccessLevel, Principal
    from retrievers.embeddings import get_embedder
    from retrievers.retriever import Retriever
    from retrievers.stores.lancedb import LanceDBStore

    labels = json.loads((corpus / "governance_expected.json").read_text())
    embedder = get_embedder()
    tmp = tempfile.TemporaryDirectory(prefix="bench-gov-")
    store = LanceDBStore(Path(tmp.name) / "index", dim=embedder.dim)
    t0 = time.perf_counter()
    docs = ingest_governance_demo(Ingestor(store, embedder), corpus)
    ingest_s = time.perf_counter() - t0
    checks = GovernanceChecks(Retriever(store, embedder), corpus / "templates")

    def who(tenant: str) -> Principal:
        return Principal(subject="bench", tenant_id=tenant, access_level=AccessLevel.PARTNER)

    # ---- SOW deviations --------------------------------------------------------------------
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    sow_cases = []
    sow_seconds = []
    for case in labels["sow"]:
        t = time.perf_counter()
        doc, tenant = checks.sow_from_index(case["doc_id"], who(case["tenant_id"]))
        result = checks.check_sow(doc, who(case["tenant_id"]), tenant_id=tenant)
        sow_seconds.append(time.perf_counter() - t)
        got = {f.rule_id for f in result.findings}
        exp = {e["rule_id"] for e in case["expected"]}
        for split in ("all", case["split"]):
            c = counts[split]
            c[0] += len(got & exp)
            c[1] += len(got - exp)
            c[2] += len(exp - got)
        for rid in got | exp:
            pr = per_rule[rid]
            pr[0] += rid in got and rid in exp
            pr[1] += rid in got and rid not in exp
            pr[2] += rid in exp and rid not in got
        sow_cases.append({
            "doc_id": case["doc_id"], "split": case["split"], "expected": sorted(exp), "predicted": sorted(got),
            "false_positives": sorted(got - exp), "false_negatives": sorted(exp - got),
            "kinds": {f.rule_id: f.kind for f in result.findings},
        })

    # ---- milestone evidence ----------------------------------------------------------------
    flagged = [0, 0, 0]
    missing = [0, 0, 0]
    exact = total = 0
    ms_cases = []
    ms_seconds = []
    for case in labels["milestone"]:
        t = time.perf_counter()
        res = checks.check_milestone(case["project"], case["milestone"], who(case["tenant_id"]))
        ms_seconds.append(time.perf_counter() - t)
        statuses: dict[str, str] = {a.artifact_id: a.status for a in res.artifacts}
        for art, status in case["expected"].items():
            g = statuses.get(art, "missing")
            total += 1
            exact += g == status
            for bucket, pred, gold in ((flagged, g != "found", status != "found"),
                                       (missing, g == "missing", status == "missing")):
                bucket[0] += pred and gold
                bucket[1] += pred and not gold
                bucket[2] += gold and not pred
        ms_cases.append({"project": case["project"], "milestone": case["milestone"], "tenant_id": case["tenant_id"],
                         "expected": case["expected"], "predicted": got})
    tmp.cleanup()
    return {
        "corpus": str(corpus.relative_to(ROOT)) if corpus.is_relative_to(ROOT) else str(corpus),
        "documents_indexed": len(docs),
        "ingest_seconds": round(ingest_s, 1),
        "sow": {
            "unit": "(SOW, template rule) pairs",
            "sows": len(labels["sow"]),
            "overall": _prf(*counts["all"]),
            "dev": _prf(*counts["dev"]),
            "heldout": _prf(*counts["heldout"]),
            "per_rule": {rid: _prf(*v) for rid, v in sorted(per_rule.items())},
            "median_seconds_per_sow": round(sorted(sow_seconds)[len(sow_seconds) // 2], 3),
            "cases": sow_cases,
        },
        "milestone": {
            "unit": "(project, milestone, artifact) triples",
            "artifacts": total,
            "flagged_missing_or_ambiguous": _prf(*flagged),
            "missing_only": _prf(*missing),
            "exact_status_accuracy": round(exact / total, 3) if total else 1.0,
            "median_seconds_per_check": round(sorted(ms_seconds)[len(ms_seconds) // 2], 3),
            "cases": ms_cases,
        },
    }


def to_markdown(r: dict[str, Any]) -> str:
    s, m = r["sow"], r["milestone"]
    lines = [
        "# Governance checks: precision and recall on the labelled demo set",
        "",
        f"Corpus `{r['corpus']}`, {r['documents_indexed']} documents indexed in {r['ingest_seconds']} s. "
        "Labels: `corpora/demo/governance_expected.json`.",
        "",
        f"## SOW deviations ({s['sows']} SOWs; unit: {s['unit']})",
        "",
        "| split | TP | FP | FN | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for split in ("overall", "dev", "heldout"):
        v = s[split]
        lines.append(f"| {split} | {v['tp']} | {v['fp']} | {v['fn']} | {v['precision']:.3f} | {v['recall']:.3f} "
                     f"| {v['f1']:.3f} |")
    lines += [
        "",
        "`dev` SOWs were used while writing the rules and choosing the thresholds; `heldout` SOWs were written "
        "afterwards and not used to change anything, so the held-out row is the honest estimate.",
        "",
        "| rule | TP | FP | FN |",
        "|---|---|---|---|",
    ]
    lines += [f"| {rid} | {v['tp']} | {v['fp']} | {v['fn']} |" for rid, v in s["per_rule"].items()]
    errors = [c for c in s["cases"] if c["false_positives"] or c["false_negatives"]]
    if errors:
        lines += ["", "Errors:", ""]
        lines += [f"- `{c['doc_id']}` ({c['split']}): false positives {c['false_positives'] or '-'}, "
                  f"false negatives {c['false_negatives'] or '-'}" for c in errors]
    f, mo = m["flagged_missing_or_ambiguous"], m["missing_only"]
    lines += [
        "",
        f"Median time per SOW check: {s['median_seconds_per_sow']} s.",
        "",
        f"## Milestone evidence ({m['artifacts']} artifacts; unit: {m['unit']})",
        "",
        "| measure | TP | FP | FN | precision | recall |",
        "|---|---|---|---|---|---|",
        f"| flagged (missing or ambiguous) | {f['tp']} | {f['fp']} | {f['fn']} | {f['precision']:.3f} "
        f"| {f['recall']:.3f} |",
        f"| missing only | {mo['tp']} | {mo['fp']} | {mo['fn']} | {mo['precision']:.3f} | {mo['recall']:.3f} |",
        "",
        f"Exact status accuracy (found / missing / ambiguous): {m['exact_status_accuracy']:.3f}. "
        f"Median time per milestone check: {m['median_seconds_per_check']} s.",
        "",
        "The milestone labels were all available while the classifier and thresholds were chosen (no held-out "
        "projects), so these numbers are optimistic.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=REPORTS)
    args = ap.parse_args()
    result = run(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "governance.json").write_text(json.dumps(result, indent=2) + "\n")
    md = to_markdown(result)
    (args.out / "governance.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
