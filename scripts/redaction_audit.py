"""Redaction audit of an eval index: placeholders per chunk, and what redaction costs full-text search.

``python scripts/redaction_audit.py INDEX_DIR [CASES_JSONL CORPUS_DIR]`` prints JSON:

- ``chunks``, ``chunks_with_placeholder``, ``placeholders``, ``chunks_with_masked_title`` and PII
  spans by entity: a placeholder counts when it is in a chunk's ``index_text`` (what embeddings and
  the full-text index see) and not in its raw text;
- with an eval set: bm25s (defaults) over the index's own chunks, searching the raw text, the
  full-text field (``search_text``) and the redacted body, R@5 / nDCG@10 per half of the
  by-document split, so redaction's cost is measured apart from chunking and ranking.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]+>")


def placeholder_counts(chunks: list[Any]) -> dict[str, Any]:
    with_ph = total = masked_title = 0
    entities: collections.Counter[str] = collections.Counter()
    for c in chunks:
        extra = 0 if c.text == c.index_text else max(
            0, len(PLACEHOLDER.findall(c.index_text)) - len(PLACEHOLDER.findall(c.text)))
        with_ph += bool(extra)
        total += extra
        masked_title += bool(PLACEHOLDER.search(c.title or ""))
        entities.update(str(getattr(sp, "entity", getattr(sp, "entity_type", "?"))) for sp in c.pii_spans)
    return {"chunks": len(chunks), "chunks_with_placeholder": with_ph, "placeholders": total,
            "chunks_with_masked_title": masked_title, "pii_spans_by_entity": dict(entities)}


def field_costs(chunks: list[Any], cases_path: Path, corpus: Path, index: Path) -> dict[str, Any]:
    import bm25s
    import numpy as np

    from evals.dataset import DocumentTexts, load_cases, resolve_gold
    from evals.metrics import Item, case_metrics, count_relevant, mean
    from evals.splits import HALVES, half_of
    from retrievers.stores.lancedb import search_text

    texts = DocumentTexts(corpus, index / "parsed-cache")
    ranges: dict[str, list[tuple[int, int]]] = {}
    for c in chunks:
        ranges.setdefault(c.doc_id, []).append((c.char_start, c.char_end))
    cases = [c for c in load_cases(cases_path) if c.answerable]
    fields: dict[str, Callable[[Any], str]] = {
        "raw": lambda c: str(c.text), "search_text": search_text, "redacted_body": lambda c: str(c.index_text)}
    out: dict[str, Any] = {}
    for name, get in fields.items():
        bm = bm25s.BM25()
        bm.index(bm25s.tokenize([get(c) for c in chunks], show_progress=False), show_progress=False)
        for h in HALVES:
            rows = []
            for case in (c for c in cases if half_of(c.doc_key) == h):
                gold = resolve_gold(case, texts)
                scores = bm.get_scores(bm25s.tokenize([case.question], show_progress=False, return_ids=False)[0])
                top = np.argsort(-scores, kind="stable")[:10]
                items = [Item(chunks[i].doc_id, chunks[i].char_start, chunks[i].char_end) for i in top]
                rows.append(case_metrics(items, gold, count_relevant(ranges, gold)))
            out[f"{name}:{h}"] = {"recall@5": round(mean(r["recall@5"] for r in rows), 3),
                                  "ndcg@10": round(mean(r["ndcg@10"] for r in rows), 3), "n": len(rows)}
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 3):
        print("usage: python scripts/redaction_audit.py INDEX_DIR [CASES_JSONL CORPUS_DIR]", file=sys.stderr)
        return 2
    index = Path(argv[0])
    if not (index / "index").is_dir():
        print(f"error: no index under {index}", file=sys.stderr)
        return 2
    from evals.run import open_services

    chunks = [c for batch, _ in open_services(index).store.iter_all() for c in batch]
    result = {"index": str(index), **placeholder_counts(chunks)}
    if len(argv) == 3:
        result["fields"] = field_costs(chunks, Path(argv[1]), Path(argv[2]), index)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
