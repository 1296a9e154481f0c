"""Choose fusion weights on the dev halves only: ``python -m evals.tune``.

For every answerable case of the dev half of each set, the dense and full-text candidate lists
are fetched once (with the product's query handling and scope), then fused with each weighting
of the grid (reciprocal rank fusion, ``retrievers.retriever.rrf_fuse``). The weighting with the
best mean of R@5 and nDCG@10 averaged over the sets wins among those that keep every set's dev R@5
and nDCG@10 at or above plain BM25's (``evals.systems.PlainBM25``, the floor of issue #14); when
none does, the best objective wins and the report says so. The test halves are scored only for
the report, after the choice, so they cannot influence it.

Sets: ``NAME=CASES_JSONL:CORPUS_DIR`` (the corpus must have been ingested with the same settings;
``evals.run.default_index_dir`` names its cached index).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.dataset import DocumentTexts, load_cases, resolve_gold
from evals.metrics import Item, case_metrics, count_relevant, mean
from evals.splits import HALVES, half_of

GRID = [(1.0, 1.0), (1.0, 1.5), (1.0, 2.0), (1.0, 3.0), (1.5, 1.0), (2.0, 1.0), (0.0, 1.0), (1.0, 0.0)]


@dataclass
class TuningSet:
    """One evaluation set opened for tuning: its index, texts, chunk ranges and answerable cases."""

    name: str
    services: Any
    texts: DocumentTexts
    ranges: dict[str, list[tuple[int, int]]]
    cases: list
    index: Path


def open_set(spec: str) -> TuningSet:
    """``NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]`` opened: the index (default: the eval run's), the
    parsed texts, each document's chunk ranges and the answerable cases."""
    from evals.run import default_index_dir, open_services

    name, rest = spec.split("=", 1)
    parts = rest.split(":")
    cases_path, corpus = Path(parts[0]), Path(parts[1])
    index = Path(parts[2]) if len(parts) > 2 else default_index_dir(Path(".data/eval"), corpus,
                                                                     corpus / "manifest.yaml")
    services = open_services(index)
    texts = DocumentTexts(corpus, index / "parsed-cache")
    ranges: dict[str, list[tuple[int, int]]] = {}
    for chunks, _ in services.store.iter_all():
        for ch in chunks:
            ranges.setdefault(ch.doc_id, []).append((ch.char_start, ch.char_end))
    cases = [c for c in load_cases(cases_path) if c.answerable]
    return TuningSet(name, services, texts, ranges, cases, index)


def candidate_lists(services: Any, cases: list, n: int, scope_min: float) -> list[dict[str, list]]:
    from retrievers.access import access_filter
    from retrievers.embeddings import model_lexicon
    from retrievers.query import MentionScoper, QueryPlan, ranking_text

    scoper = MentionScoper(services.store, ttl=float("inf"), min_scope_score=scope_min,
                           lexicon=model_lexicon(services.embedder))
    out = []
    for c in cases:
        plan = (QueryPlan(query=c.question, text=c.question, doc_ids=c.doc_scope) if c.doc_scope is not None
                else scoper.plan(c.question, c.principal))
        flt = access_filter(c.principal, None, plan.doc_ids)
        text = ranking_text(plan.text)
        vec = services.embedder.encode([text])[0]
        out.append({"dense": services.store.dense_search(vec, flt, n),
                    "fulltext": services.store.text_search(text, flt, n)})
    return out


def floor(services: Any, cases: list, golds: list, texts: Any) -> dict:
    """Plain BM25 (bm25s over 250-word chunks) on the same cases: the figures not to fall below."""
    from evals.systems import PlainBM25

    bm25 = PlainBM25(services.retriever, texts)
    ranges = bm25.doc_ranges()
    rows = [case_metrics([h.item for h in bm25.search(c, 10)], g, count_relevant(ranges, g))
            for c, g in zip(cases, golds, strict=True)]
    return {"recall@5": mean(r["recall@5"] for r in rows), "ndcg@10": mean(r["ndcg@10"] for r in rows),
            "n": len(rows)}


def score(lists: list[dict[str, list]], golds: list, ranges: dict, weights: tuple[float, float], k_rrf: int) -> dict:
    from retrievers.retriever import rrf_fuse

    rows = []
    for ls, gold in zip(lists, golds, strict=True):
        w = {"dense": weights[0], "fulltext": weights[1]}
        fused = rrf_fuse({n: h for n, h in ls.items() if w[n] > 0}, k=k_rrf, weights=w)[:10]
        items = [Item(h.chunk.doc_id, h.chunk.char_start, h.chunk.char_end) for h in fused]
        rows.append(case_metrics(items, gold, count_relevant(ranges, gold)))
    return {"recall@5": mean(r["recall@5"] for r in rows), "ndcg@10": mean(r["ndcg@10"] for r in rows),
            "n": len(rows)}


def objective(per_set: dict[str, dict[str, Any]], key: str) -> float:
    """Mean over the sets of (R@5 + nDCG@10) / 2 on the dev half."""
    return mean((per_set[s]["dev"][key]["recall@5"] + per_set[s]["dev"][key]["ndcg@10"]) / 2 for s in per_set)


def choose(per_set: dict[str, dict[str, Any]], keys: list[str]) -> tuple[str, list[str]]:
    """The best dev objective among weightings at or above plain BM25 on every set's dev half (all
    weightings when none is); returns it and the eligible ones."""
    def above_floor(key: str) -> bool:
        return all(per_set[s]["dev"][key][m] >= per_set[s]["dev"]["bm25-plain"][m] - 1e-9
                   for s in per_set for m in ("recall@5", "ndcg@10"))

    eligible = [k for k in keys if above_floor(k)]
    return max(eligible or keys, key=lambda k: objective(per_set, k)), eligible


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.tune", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]")
    ap.add_argument("--out", type=Path, default=Path("reports/tuning"))
    ap.add_argument("--candidates", type=int, default=50)
    args = ap.parse_args(argv)
    from evals.run import table

    per_set: dict[str, dict[str, Any]] = {}
    for spec in args.sets:
        ts = open_set(spec)
        name, services, texts, ranges = ts.name, ts.services, ts.texts, ts.ranges
        per_set[name] = {}
        for h in HALVES:
            hc = [c for c in ts.cases if half_of(c.doc_key) == h]
            golds = [resolve_gold(c, texts) for c in hc]
            lists = candidate_lists(services, hc, args.candidates, services.settings.query_scope_min_score)
            per_set[name][h] = {f"{d}:{f}": score(lists, golds, ranges, (d, f), services.settings.rrf_k)
                                for d, f in GRID}
            per_set[name][h]["bm25-plain"] = floor(services, hc, golds, texts)
            print(name, h, json.dumps(per_set[name][h]), file=sys.stderr)

    def dev_objective(key: str) -> float:
        return objective(per_set, key)

    keys = [f"{d}:{f}" for d, f in GRID]
    best, eligible = choose(per_set, keys)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fusion.json").write_text(json.dumps({"grid": keys, "chosen": best, "above_floor": eligible,
                                                      "sets": per_set}, indent=1))
    rows = []
    for key in [*keys, "bm25-plain"]:
        mark = " **chosen**" if key == best else ("" if key in eligible or key == "bm25-plain" else " (below BM25)")
        row = [key + mark, f"{dev_objective(key):.3f}" if key != "bm25-plain" else "–"]
        for s in per_set:
            for h in HALVES:
                m = per_set[s][h][key]
                row.append(f"{m['recall@5']:.3f} / {m['ndcg@10']:.3f}")
        rows.append(row)
    hdr = ["dense:fulltext weight", "dev objective"] + [f"{s} {h} R@5 / nDCG@10" for s in per_set for h in HALVES]
    md = ["# Fusion weights, chosen on the dev halves", "",
          "Generated by `python -m evals.tune`. Objective: mean over sets of (R@5 + nDCG@10) / 2 on the dev half; "
          "the test halves are shown only after the choice. Reciprocal rank fusion, k = 60, 50 candidates a side, "
          "with the product's query handling. Only weightings whose dev R@5 and nDCG@10 stay at or above plain "
          "BM25's (last row) on every set compete" + ("" if eligible else " (none did: the best objective is "
                                                        "shown as chosen)") + ".", "", table(hdr, rows), ""]
    (args.out / "fusion.md").write_text("\n".join(md))
    print(f"chosen dense:fulltext = {best}; report: {args.out / 'fusion.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
