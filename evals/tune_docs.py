"""Choose the document-evidence re-rank on the dev halves only: ``python -m evals.tune_docs``.

Each dev case's dense and full-text candidate lists are fetched once (the product's query handling
and scope, as ``evals.tune``), fused with the product's weights, then re-ranked by
``retrievers.retriever.document_rerank`` for every setting of the grid. The setting with the best
mean of R@5 and nDCG@10 over the sets' dev halves wins among those at or above plain BM25 on every
set's dev half, if it beats no document evidence by ``--min-gain``; the test halves are scored for
the report only, after the choice.

Sets: ``NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]`` as for ``evals.tune``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

from evals.dataset import resolve_gold
from evals.metrics import Item, case_metrics, count_relevant, mean
from evals.splits import HALVES, half_of
from evals.tune import candidate_lists, choose, floor, objective, open_set

# (source, weight, k, decay); weight 0 = the fused ranking unchanged.
GRID: list[tuple[str, float, int, float]] = [("fused", 0.0, 20, 0.0)]
GRID += [("fused", w, k, d) for d in (0.0, 0.5, 1.0) for k in (5, 20, 60) for w in (0.25, 0.5, 1.0)]
GRID += [("lists", w, k, 0.0) for k in (5, 20, 60) for w in (0.1, 0.25, 0.5, 1.0)]


def key_of(source: str, weight: float, k: int, decay: float) -> str:
    if weight == 0:
        return "off"
    return f"{source} w{weight:g} k{k}" + (f" decay{decay:g}" if source == "fused" else "")


def score(lists: list[dict[str, list]], golds: list, ranges: dict, services: Any, setting: tuple) -> dict:
    from retrievers.retriever import document_rerank, rrf_fuse

    source, weight, k, decay = setting
    weights = services.retriever.weights
    rows = []
    for ls, gold in zip(lists, golds, strict=True):
        fused = rrf_fuse(ls, k=services.settings.rrf_k, weights=weights)
        ranked = document_rerank(fused, weight=weight, k=k, decay=decay, lists=ls if source == "lists" else None,
                                 list_weights=weights)[:10]
        items = [Item(h.chunk.doc_id, h.chunk.char_start, h.chunk.char_end) for h in ranked]
        rows.append(case_metrics(items, gold, count_relevant(ranges, gold)))
    return {"recall@5": mean(r["recall@5"] for r in rows), "ndcg@10": mean(r["ndcg@10"] for r in rows),
            "n": len(rows)}


def choose_setting(per_set: dict[str, dict[str, Any]], keys: list[str], min_gain: float) -> tuple[str, list[str]]:
    """The best dev objective at or above plain BM25 on every set (``evals.tune.choose``); ``off`` unless
    it gains at least ``min_gain`` over ``off``, so a gain smaller than a question's share changes nothing."""
    best, eligible = choose(per_set, keys)
    if best != "off" and objective(per_set, best) < objective(per_set, "off") + min_gain:
        best = "off"
    return best, eligible


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.tune_docs", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]")
    ap.add_argument("--out", type=Path, default=Path("reports/tuning"))
    ap.add_argument("--min-gain", type=float, default=0.001,
                    help="a setting replaces 'off' only when its dev objective is higher by at least this much "
                         "(.001 is more than one question's share of the objective on each of the sets)")
    ap.add_argument("--cache", type=Path, default=Path(".data/tune-docs"),
                    help="candidate lists are kept here between runs (delete after an index change)")
    args = ap.parse_args(argv)
    from evals.run import table

    per_set: dict[str, dict[str, Any]] = {}
    for spec in args.sets:
        ts = open_set(spec)
        name, services, texts, ranges, index = ts.name, ts.services, ts.texts, ts.ranges, ts.index
        per_set[name] = {}
        for h in HALVES:
            hc = [c for c in ts.cases if half_of(c.doc_key) == h]
            golds = [resolve_gold(c, texts) for c in hc]
            cache = args.cache / f"{name}-{h}-{index.name}.pkl"
            if cache.exists():
                lists, bm25 = pickle.loads(cache.read_bytes())
            else:
                lists = candidate_lists(services, hc, services.settings.candidates,
                                        services.settings.query_scope_min_score)
                bm25 = floor(services, hc, golds, texts)
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_bytes(pickle.dumps((lists, bm25)))
            per_set[name][h] = {key_of(*g): score(lists, golds, ranges, services, g) for g in GRID}
            per_set[name][h]["bm25-plain"] = bm25
            print(name, h, json.dumps({k: per_set[name][h][k] for k in ("off", "bm25-plain")}), file=sys.stderr)

    keys = list(dict.fromkeys(key_of(*g) for g in GRID))
    best, eligible = choose_setting(per_set, keys, args.min_gain)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "doc-evidence.json").write_text(json.dumps({"grid": keys, "chosen": best, "above_floor": eligible,
                                                            "sets": per_set}, indent=1))
    rows = []
    for key in [*keys, "bm25-plain"]:
        mark = " **chosen**" if key == best else ("" if key in eligible or key == "bm25-plain" else " (below BM25)")
        row = [key + mark, f"{objective(per_set, key):.3f}" if key != "bm25-plain" else "–"]
        for s in per_set:
            for h in HALVES:
                m = per_set[s][h][key]
                row.append(f"{m['recall@5']:.3f} / {m['ndcg@10']:.3f}")
        rows.append(row)
    hdr = ["document evidence", "dev objective"] + [f"{s} {h} R@5 / nDCG@10" for s in per_set for h in HALVES]
    md = ["# Document evidence in hybrid ranking, chosen on the dev halves", "",
          "Generated by `python -m evals.tune_docs`. Each chunk's fused score (RRF, k = 60, dense:fulltext 1:2, "
          "50 candidates a side, the product's query handling) gets `weight / (k + rank of its document)`. "
          "Documents are ranked by their evidence among the same candidates: `fused` = the decayed sum of their "
          "chunks' fused scores, best first (decay 0 = best chunk only, 1 = plain sum); `lists` = RRF of the "
          "document's first chunk in the dense and the full-text list (weights 1:2). Objective: mean over sets "
          "of (R@5 + nDCG@10) / 2 on the dev half; only settings at or above plain BM25 (last row) on every "
          "set's dev half compete" + ("" if eligible else " (none did: the best objective is shown as chosen)")
          + f", and one replaces `off` only when its dev objective is at least {args.min_gain:g} higher"
          + "; the test halves are shown only after the choice.", "", table(hdr, rows), ""]
    (args.out / "doc-evidence.md").write_text("\n".join(md))
    print(f"chosen: {best}; report: {args.out / 'doc-evidence.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
