"""Why answers miss, on the dev half only: refusal, wrong document, wrong chunk, or wrong unit.

``python -m evals.answer_failures --set docs --out .data/runs/failures-dev.json`` asks every dev-half
question of a set (the split of ``evals/splits.py``) through the answerer and sorts each answerable
case that does not cite its gold span into one cause. ``--set cuad`` asks the contract questions,
each of its own contract as ``evals.answer_eval`` does (``--cuad-per-half N``: the first N contracts).
Causes:

- ``refused``: the refusal rule fired;
- ``wrong_doc``: the first citation is in a document other than the gold one;
- ``wrong_chunk``: no passage the answerer read overlaps the gold span;
- ``wrong_unit``: a passage read overlaps the gold span, but the units picked from it do not.

For ``wrong_unit`` it also records where the best gold-overlapping unit ranked among the scored
units and what kind it was. Test-half cases are never asked (choices are made on dev only); the
per-case file is written under ``.data/`` because it quotes the set's text.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.answer_metrics import token_f1, token_precision_recall
from evals.metrics import Item, overlaps
from evals.splits import half_of


def classify(cited: Sequence[Item], read: Sequence[Item], gold: Sequence[Any], gold_docs: set[str],
             refused: bool) -> str:
    """One cause per case (``ok`` when a citation overlaps a gold span)."""
    if refused:
        return "refused"
    if any(overlaps(c, s) for c in cited for s in gold):
        return "ok"
    if cited and cited[0].doc_id not in gold_docs:
        return "wrong_doc"
    if not any(overlaps(r, s) for r in read for s in gold):
        return "wrong_chunk"
    return "wrong_unit"


def summarise_ok(ok: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Answers that cite the gold passage: mean F1, its precision and recall sides, and F1 by how
    many units the answer joined."""
    if not ok:
        return {}
    by_units: dict[int, list[float]] = {}
    for r in ok:
        by_units.setdefault(min(r["units"], 4), []).append(r["f1"])
    return {
        "ok_f1": round(float(np.mean([r["f1"] for r in ok])), 3),
        "ok_precision": round(float(np.mean([r["precision_recall"][0] for r in ok])), 3),
        "ok_recall": round(float(np.mean([r["precision_recall"][1] for r in ok])), 3),
        "ok_f1_by_units": {f"{n}{'+' if n == 4 else ''}": [len(v), round(float(np.mean(v)), 3)]
                           for n, v in sorted(by_units.items())},
    }


def diagnose(services: Any, answerer: Any, cases: Sequence[Any], texts: Any,
             scoped: bool = False) -> list[dict[str, Any]]:
    from copilot.answering.answerer import evidence_question
    from copilot.core.redact import ResponseRedactor, load_policy
    from evals.dataset import resolve_gold

    policy = load_policy(getattr(services.settings, "redaction_policy_path", None))
    rows = []
    for case in cases:
        gold = resolve_gold(case, texts)
        redactor = ResponseRedactor(case.principal, policy, None)
        asked = answerer.read_question(case.question, case.principal)
        scope = case.doc_scope if scoped else None
        plan = answerer.plan(asked, case.principal, scope)
        hits = answerer.expand_within_document(
            plan.text, case.principal, answerer.retrieve(plan.text, case.principal, plan.doc_ids))
        ans = answerer._answer(case.question, case.principal, hits, redactor, scoped,
                               evidence_question=evidence_question(asked, plan))
        cited = [Item(c.doc_id, c.char_start, c.char_end) for c in ans.citations]
        read = [Item(h.chunk.doc_id, h.chunk.char_start, h.chunk.char_end) for h in hits]
        cause = classify(cited, read, gold.spans, set(gold.doc_ids), bool(ans.refused))
        row: dict[str, Any] = {
            "id": case.id, "doc": case.reference_doc_ids[0], "cause": cause, "question": case.question,
            "reference": case.reference_answer, "answer": ans.answer[:800],
            "f1": token_f1(ans.answer, case.reference_answer) if not ans.refused else 0.0,
            # Which side F1 loses on: precision (answer too long) or recall (too short).
            "precision_recall": (token_precision_recall(ans.answer, case.reference_answer)
                                 if not ans.refused else (0.0, 0.0)),
            "units": len(ans.sentences) if not ans.refused else 0,
            "signals": ans.details.get("signals"),
            "read": [f"{h.chunk.doc_id} {' > '.join(h.chunk.section_path)}" for h in hits],
            "read_gold": [any(overlaps(r, s) for s in gold.spans) for r in read],
        }
        if cause in ("wrong_unit", "ok"):
            cands, scores, _ = answerer.score_units(evidence_question(asked, plan), case.principal, hits)
            order = [int(i) for i in np.argsort(-scores)]
            for rank, i in enumerate(order):
                u = cands[i][0]
                it = Item(u.chunk.doc_id, u.chunk.char_start + u.start, u.chunk.char_start + u.end)
                if any(overlaps(it, s) for s in gold.spans):
                    row["gold_unit"] = {"rank": rank, "kind": u.kind, "score": round(float(scores[i]), 4),
                                        "coverage": round(cands[i][1], 4), "chunk_rank": u.hit_rank,
                                        "text": u.text[:400]}
                    break
            else:
                row["gold_unit"] = None
            if order:
                b = cands[order[0]][0]
                row["best_unit"] = {"kind": b.kind, "chunk_rank": b.hit_rank,
                                    "score": round(float(scores[order[0]]), 4),
                                    "coverage": round(cands[order[0]][1], 4), "text": b.text[:400]}
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.answer_failures", description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="docs", choices=["docs", "cuad"])
    ap.add_argument("--cuad-per-half", type=int, default=0, help="only the first N contracts of each half")
    ap.add_argument("--out", type=Path, default=Path(".data/runs/failures-dev.json"))
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)

    from copilot.answering.answerer import Answerer
    from copilot.core.settings import load_settings
    from evals.answer_eval import SHARED
    from evals.dataset import DocumentTexts, load_cases
    from evals.docs_qa import build as build_docs
    from evals.run import ingest, open_services

    if args.set == "cuad":
        from evals.answer_eval import cuad_subset
        from evals.cuad import build as build_cuad

        corpus = Path(".data/cuad-corpus")
        if not (corpus / "evalset-scoped.jsonl").is_file():
            build_cuad(SHARED / "cuad", corpus)
        d = load_settings()
        size = f"c{d.chunk_tokens}-o{d.chunk_overlap_tokens}-pii0"
        data_dir = Path(f".data/cuad/index-{size}")
        if args.cuad_per_half:
            corpus = cuad_subset(corpus, Path(f".data/cuad-sub{args.cuad_per_half}"), args.cuad_per_half)
            data_dir = Path(f".data/cuad/index-sub{args.cuad_per_half}-{size}")
        file, scoped = corpus / "evalset-scoped.jsonl", True
    else:
        corpus = Path(".data/docs-qa-corpus")
        build_docs(SHARED / "docs_qa_dev", corpus)
        d = load_settings()
        data_dir = Path(f".data/docs-qa/index-c{d.chunk_tokens}-o{d.chunk_overlap_tokens}-pii0")
        file, scoped = corpus / "evalset.jsonl", False
    services = open_services(data_dir, pii_detection=False)
    ingest(services, corpus, corpus / "manifest.yaml", progress=False)
    texts = DocumentTexts(corpus, data_dir / "parsed-cache")
    answerer = Answerer(services.retriever, services.embedder, services.settings, scoper=services.scoper)
    cases = [c for c in load_cases(file, None)
             if c.answerable and half_of(c.reference_doc_ids[0]) == "dev"][: args.limit]
    rows = diagnose(services, answerer, cases, texts, scoped)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    counts = Counter(r["cause"] for r in rows)
    answered = [r["f1"] for r in rows if r["cause"] != "refused"]
    ok = [r for r in rows if r["cause"] == "ok"]
    print(json.dumps({"cases": len(rows), **counts,
                      "mean_f1_answered": round(float(np.mean(answered)), 3) if answered else None,
                      **summarise_ok(ok)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
