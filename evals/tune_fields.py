"""Full-text fields, chosen on the dev halves: ``python -m evals.tune_fields``.

Today the full-text index covers one concatenated field (``search_text`` = title + section path +
redacted body). This compares it with two fields searched together, the head (title + section path)
boosted against the body (LanceDB multi-match: per-field BM25, weighted sum), each fused with the
same dense list as the product does (RRF 1:2). The index folder is copied first; the copy gets the
``head_text`` column and the two field indexes, the original is never written. Small indexes only
(every row in the common table). Objective and rule as ``evals.tune_ret``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from evals.dataset import resolve_gold
from evals.metrics import Item, case_metrics, count_relevant, mean
from evals.splits import HALVES, half_of
from evals.tune import open_set

BOOSTS = (0.25, 0.5, 1.0, 2.0)


def field_table(index: Path, work: Path) -> Any:
    """A copy of the index's common table with ``head_text`` and full-text indexes on it and the body."""
    import lancedb

    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(index, work)
    table = lancedb.connect(str(work)).open_table("chunks")
    table.add_columns({"head_text": "concat_ws(' ', title, array_to_string(section_path, ' '))"})
    for col in ("head_text", "index_text"):
        table.create_fts_index(col, replace=True, with_position=False, stem=True, remove_stop_words=True)
    return table


def multi_search(table: Any, text: str, where: str, n: int, boost: float) -> list[Any]:
    from lancedb.query import FullTextOperator, MultiMatchQuery

    from retrievers.schema import ScoredChunk
    from retrievers.stores.lancedb import _ROW_COLUMNS, row_to_chunk

    q = MultiMatchQuery(text, ["head_text", "index_text"], boosts=[boost, 1.0], operator=FullTextOperator.OR)
    rows = (table.search(q, query_type="fts").where(where, prefilter=True).select([*_ROW_COLUMNS, "_score"])
            .limit(n).to_arrow().to_pylist())
    return [ScoredChunk(chunk=row_to_chunk(r), score=float(r["_score"]), source="fulltext") for r in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.tune_fields", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="NAME=CASES_JSONL:CORPUS_DIR[:INDEX_DIR]")
    ap.add_argument("--work", type=Path, default=Path(".data/tune-fields"))
    ap.add_argument("--out", type=Path, default=Path("reports/tuning"))
    args = ap.parse_args(argv)
    from evals.run import table as md_table
    from retrievers.access import access_filter
    from retrievers.embeddings import model_lexicon
    from retrievers.query import MentionScoper, QueryPlan, ranking_text
    from retrievers.retriever import rrf_fuse
    from retrievers.stores.lancedb import filter_sql

    per_set: dict[str, dict[str, Any]] = {}
    for spec in args.sets:
        ts = open_set(spec)
        services = ts.services
        tbl = field_table(ts.index / "index", args.work / ts.name)
        scoper = MentionScoper(services.store, ttl=float("inf"),
                               min_scope_score=services.settings.query_scope_min_score,
                               lexicon=model_lexicon(services.embedder))
        n, weights, k_rrf = services.settings.candidates, services.retriever.weights, services.settings.rrf_k
        per_set[ts.name] = {}
        for h in HALVES:
            hc = [c for c in ts.cases if half_of(c.doc_key) == h]
            rows: dict[str, list[dict[str, float]]] = {}
            for c in hc:
                gold = resolve_gold(c, ts.texts)
                plan = (QueryPlan(query=c.question, text=c.question, doc_ids=c.doc_scope) if c.doc_scope is not None
                        else scoper.plan(c.question, c.principal))
                flt = access_filter(c.principal, None, plan.doc_ids)
                text = ranking_text(plan.text)
                dense = services.store.dense_search(services.embedder.encode([text])[0], flt, n)
                variants = {"concatenated": services.store.text_search(text, flt, n)}
                for b in BOOSTS:
                    variants[f"head x{b:g} + body"] = multi_search(tbl, text, filter_sql(flt), n, b)
                for key, text_hits in variants.items():
                    fused = rrf_fuse({"dense": dense, "fulltext": text_hits}, k=k_rrf, weights=weights)[:10]
                    items = [Item(x.chunk.doc_id, x.chunk.char_start, x.chunk.char_end) for x in fused]
                    rows.setdefault(key, []).append(case_metrics(items, gold, count_relevant(ts.ranges, gold)))
            per_set[ts.name][h] = {k: {"recall@5": mean(r["recall@5"] for r in v),
                                       "ndcg@10": mean(r["ndcg@10"] for r in v), "n": len(v)} for k, v in rows.items()}
            print(ts.name, h, json.dumps(per_set[ts.name][h]), file=sys.stderr)
    keys = list(next(iter(per_set.values()))["dev"])
    out = []
    for key in keys:
        obj = mean((per_set[s]["dev"][key]["recall@5"] + per_set[s]["dev"][key]["ndcg@10"]) / 2 for s in per_set)
        out.append([key, f"{obj:.4f}"] + [f"{per_set[s][h][key]['recall@5']:.3f} / {per_set[s][h][key]['ndcg@10']:.3f}"
                                         for s in per_set for h in HALVES])
    hdr = ["full-text fields", "dev objective"] + [f"{s} {h} R@5 / nDCG@10" for s in per_set for h in HALVES]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fields.json").write_text(json.dumps(per_set, indent=1))
    (args.out / "fields.md").write_text("\n".join([
        "# Full-text fields: one concatenated field vs head and body searched apart", "",
        "Generated by `python -m evals.tune_fields` (see its docstring). Hybrid RRF 1:2 with the same dense list; "
        "objective: mean over sets of (R@5 + nDCG@10) / 2 on the dev half; test halves only reported.", "",
        md_table(hdr, out), ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
