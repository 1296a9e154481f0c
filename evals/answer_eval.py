"""Answer-level evaluation per dev/test half: CUAD ask-this-contract and docs_qa_dev.

``python -m evals.answer_eval --sets cuad,docs --out reports/answers`` ingests each corpus
(cached under ``.data/``), asks every question through the service's answerer and reports per
half (``evals/splits.py``, by document):

- answered share of answerable and refused share of unanswerable questions;
- cites gold: answered answerable questions with a citation overlapping a gold span;
- token F1 against the reference answer, and containment of the short answer (CUAD).

Per-case rows keep the answerer's refusal features (``details["signals"]``) so the refusal rule
can be calibrated on the dev half without re-running. docs_qa_dev is read at run time from
``../shared/data/docs_qa_dev`` and written only under ``.data/`` (never into the repository).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.answer_metrics import cites_gold, contains_short, token_f1
from evals.metrics import Item
from evals.splits import HALVES, half_of

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def cuad_subset(full: Path, out: Path, per_half: int) -> Path:
    """The first ``per_half`` contracts of each half (by sorted id): a smaller corpus for slow machines."""
    import re

    docs = sorted(p.name for p in (full / "contracts").glob("*.txt"))
    chosen = {f"contracts/{d}" for h in HALVES for d in [x for x in docs if half_of(f"contracts/{x}") == h][:per_half]}
    (out / "contracts").mkdir(parents=True, exist_ok=True)
    for d in chosen:
        if not (out / d).exists():
            shutil.copyfile(full / d, out / d)
    text = (full / "manifest.yaml").read_text()
    head, _, body = text.partition("documents:\n")
    entries = re.split(r"(?m)^(?=  - path: )", body)
    keep = [e for e in entries if e.strip() and json.loads(e.split("path: ", 1)[1].splitlines()[0]) in chosen]
    (out / "manifest.yaml").write_text(head + "documents:\n" + "".join(keep))
    rows = [line for line in (full / "evalset-scoped.jsonl").read_text().splitlines()
            if line.strip() and json.loads(line)["reference_doc_ids"][0] in chosen]
    (out / "evalset-scoped.jsonl").write_text("\n".join(rows) + "\n")
    return out


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    answered = [r for r in ans if not r["refused"]]
    out: dict[str, Any] = {"cases": len(rows), "answerable": len(ans), "unanswerable": len(unans)}
    out["answered_answerable"] = len(answered) / len(ans) if ans else None
    out["refused_unanswerable"] = sum(r["refused"] for r in unans) / len(unans) if unans else None
    out["cites_gold"] = sum(r["cites_gold"] for r in answered) / len(answered) if answered else None
    out["token_f1"] = sum(r["token_f1"] for r in answered) / len(answered) if answered else None
    shorts = [r for r in answered if r.get("contains_short") is not None]
    out["contains_short"] = sum(r["contains_short"] for r in shorts) / len(shorts) if shorts else None
    return out


ANSWER_KEYS = ("answered_answerable", "refused_unanswerable", "cites_gold", "token_f1", "contains_short")


def answer_half_gaps(halves: dict[str, dict[str, Any]], max_gap: float = 0.03) -> list[str]:
    """Answer figures whose dev and test values differ by more than ``max_gap`` (the split or the
    chosen parameters do not generalise)."""
    out = []
    for key in ANSWER_KEYS:
        a, b = halves.get("dev", {}).get(key), halves.get("test", {}).get(key)
        if a is not None and b is not None and abs(a - b) > max_gap:
            out.append(f"{key}: dev {a:.3f} vs test {b:.3f} (gap {abs(a - b):.3f} > {max_gap:.2f})")
    return out


def evaluate_set(services: Any, answerer: Any, cases: list[Any], texts: Any, scoped: bool,
                 label: str) -> dict[str, Any]:
    from copilot.core.redact import ResponseRedactor, load_policy
    from evals.dataset import resolve_gold

    policy = load_policy(getattr(services.settings, "redaction_policy_path", None))
    rows = []
    for i, case in enumerate(cases):
        gold = resolve_gold(case, texts)
        redactor = ResponseRedactor(case.principal, policy, None)
        ans = answerer.answer(case.question, case.principal, redactor,
                              doc_ids=case.doc_scope if scoped else None)
        cits = [Item(c.doc_id, c.char_start, c.char_end) for c in ans.citations]
        # Cases with no reference document (unanswerable) are split by their own id.
        doc = case.reference_doc_ids[0] if case.reference_doc_ids else case.id
        short = case.reference_answer if scoped else ""
        usable_short = short and short.lower() not in ("yes", "no")
        rows.append({
            "id": case.id, "doc": doc, "half": half_of(doc),
            "answerable": case.answerable, "refused": bool(ans.refused), "confidence": ans.confidence,
            "signals": ans.details.get("signals"),
            "cites_gold": bool(gold.spans) and cites_gold(cits, gold.spans),
            "token_f1": token_f1(ans.answer, case.reference_answer) if case.reference_answer else 0.0,
            "contains_short": contains_short(ans.answer, short) if usable_short and not ans.refused else None,
            "answer": ans.answer[:600],
        })
        if (i + 1) % 100 == 0:
            print(f"{label}: {i + 1}/{len(cases)}", file=sys.stderr)
    return {"halves": {h: _summary([r for r in rows if r["half"] == h]) for h in HALVES}, "rows": rows}


def run(sets: Sequence[str], out: Path, limit: int | None = None, cuad_per_half: int = 0,
        **overrides: Any) -> dict[str, Any]:
    from copilot.answering.answerer import Answerer
    from copilot.core.settings import load_settings
    from evals.cuad import build as build_cuad
    from evals.dataset import DocumentTexts, load_cases
    from evals.docs_qa import build as build_docs
    from evals.run import ingest, open_services

    d = load_settings()  # the product's chunk size, as `python -m evals.cuad run` uses
    # one index folder per chunk size: a re-chunked corpus is never mixed into an older index
    size = f"c{d.chunk_tokens}-o{d.chunk_overlap_tokens}"
    results: dict[str, Any] = {}
    for name in sets:
        if name == "cuad":
            corpus = Path(".data/cuad-corpus")
            if not (corpus / "evalset-scoped.jsonl").is_file():
                build_cuad(SHARED / "cuad", corpus)
            data_dir = Path(f".data/cuad/index-{size}-pii0")
            if cuad_per_half:
                corpus = cuad_subset(corpus, Path(f".data/cuad-sub{cuad_per_half}"), cuad_per_half)
                data_dir = Path(f".data/cuad/index-sub{cuad_per_half}-{size}-pii0")
            services = open_services(data_dir, pii_detection=False, **overrides)
            file, scoped = corpus / "evalset-scoped.jsonl", True
        elif name == "docs":
            corpus = Path(".data/docs-qa-corpus")
            build_docs(SHARED / "docs_qa_dev", corpus)
            data_dir = Path(f".data/docs-qa/index-{size}-pii0")
            services = open_services(data_dir, pii_detection=False, **overrides)
            file, scoped = corpus / "evalset.jsonl", False
        elif name == "demo":
            corpus = Path(__file__).resolve().parents[1] / "corpora" / "demo"
            data_dir = Path(f".data/demo-index-{size}")
            services = open_services(data_dir, **overrides)
            file, scoped = corpus / "evalset.jsonl", False
        else:
            raise SystemExit(f"unknown set {name!r} (expected cuad, docs, demo)")
        ingest(services, corpus, corpus / "manifest.yaml", progress=False)
        texts = DocumentTexts(corpus, data_dir / "parsed-cache")
        answerer = Answerer(services.retriever, services.embedder, services.settings, scoper=services.scoper)
        cases = load_cases(file, limit)
        results[name] = evaluate_set(services, answerer, cases, texts, scoped, name)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}-rows.json").write_text(json.dumps(results[name]["rows"], indent=0))
        print(name, json.dumps(results[name]["halves"], indent=1))
    (out / "summary.json").write_text(json.dumps({k: v["halves"] for k, v in results.items()}, indent=1))
    return results


# Refusal off: every case is answered when it could be; the signals are kept for calibration.
NO_REFUSAL: dict[str, Any] = {"answer_min_confidence": -1.0, "answer_min_coverage": 0.0,
                              "answer_min_idf_coverage": 0.0}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.answer_eval", description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="cuad,docs")
    ap.add_argument("--out", type=Path, default=Path("reports/answers"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--cuad-per-half", type=int, default=0, help="only the first N contracts of each half")
    ap.add_argument("--no-refusal", action="store_true",
                    help="answer everything the rule could answer (signals are kept for calibration)")
    ap.add_argument("--max-half-gap", type=float, default=0.03,
                    help="fail (exit 3) when an answer figure differs by more than this between the halves")
    args = ap.parse_args(argv)
    overrides = NO_REFUSAL if args.no_refusal else {}
    results = run([s for s in args.sets.split(",") if s], args.out, args.limit, args.cuad_per_half, **overrides)
    status = 0
    for name, res in results.items():
        for gap in answer_half_gaps(res["halves"], args.max_half_gap):
            print(f"half gap: {name}: {gap}", file=sys.stderr)
            status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
