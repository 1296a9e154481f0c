"""Ten consultant questions on the demo corpus, scored by an explicit rule on required facts.

``python -m evals.consultant [--data-dir .data/demo-index] [--out reports/consultant]`` ingests the
demo corpus (cached), asks every question of ``corpora/demo/consultant_questions.jsonl`` through
the service's answerer (scoping, retrieval, answer, redaction as in ``/v1/ask``) and scores it:

- each question lists required ``facts``; a fact is a group of alternative phrases and counts as
  present when one of them occurs in the answer (lowercased, whitespace collapsed);
- **2** (full): answered, every fact present and, when ``expected_doc`` is set, that document cited;
- **1** (partial): answered and at least half of the facts present;
- **0**: refused, or fewer than half of the facts present.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "corpora" / "demo" / "consultant_questions.jsonl"
CORPUS = ROOT / "corpora" / "demo"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def score_answer(q: dict[str, Any], answer: str, refused: bool, cited_docs: Sequence[str]) -> dict[str, Any]:
    """Points (0-2) and which facts were found, by the rule in the module docstring."""
    text = _norm(answer)
    found = [any(_norm(alt) in text for alt in group) for group in q["facts"]]
    share = sum(found) / len(found) if found else 0.0
    doc_ok = q.get("expected_doc") is None or q["expected_doc"] in cited_docs
    if refused:
        points = 0
    elif share == 1.0 and doc_ok:
        points = 2
    elif share >= 0.5:
        points = 1
    else:
        points = 0
    return {"points": points, "facts_found": found, "doc_cited": doc_ok}


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(data_dir: Path, out: Path | None, ingest: bool = True) -> dict[str, Any]:
    from copilot.answering.answerer import Answerer
    from copilot.answering.llm import build_llm
    from copilot.core.redact import ResponseRedactor, load_policy
    from evals.run import open_services
    from retrievers.access import AccessLevel, Principal

    services = open_services(data_dir)
    if ingest:
        services.ingestor.ingest_corpus(CORPUS, CORPUS / "manifest.yaml", prune=True, progress=False)
    s = services.settings
    answerer = Answerer(services.retriever, services.embedder, s, llm=build_llm(s), scoper=services.scoper)
    policy = load_policy(getattr(s, "redaction_policy_path", None))
    rows = []
    for q in load_questions():
        p = q["principal"]
        principal = Principal(subject="consultant-eval", tenant_id=p["tenant_id"],
                              access_level=AccessLevel.parse(p["access_level"]))
        redactor = ResponseRedactor(principal, policy, services.detector)
        ans = answerer.answer(q["question"], principal, redactor)
        cited = [c.doc_id for c in ans.citations]
        rows.append({"id": q["id"], "kind": q["kind"], "starter": q.get("starter", False), "question": q["question"],
                     "answer": ans.answer, "refused": ans.refused, "cited": cited,
                     **score_answer(q, ans.answer, ans.refused, cited)})
    total = sum(r["points"] for r in rows)
    starters = [r for r in rows if r["starter"]]
    res = {"score": total, "max": 2 * len(rows), "starters_score": sum(r["points"] for r in starters),
           "starters_max": 2 * len(starters), "rows": rows}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return res


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.consultant", description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path(".data/demo-index"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-ingest", action="store_true")
    args = ap.parse_args(argv)
    res = run(args.data_dir, args.out, ingest=not args.no_ingest)
    for r in res["rows"]:
        print(f"{r['id']} {r['points']}/2 {r['question']}\n    -> {r['answer'][:400]}")
    print(f"score {res['score']}/{res['max']} (chat starters {res['starters_score']}/{res['starters_max']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
