"""CPU per stage of a hybrid search on a generated store, and what the ANN settings cost and give.

``python -m evals.bench_search_stages --store-cache /tmp/x --size 1000000``: opens the store that
``evals.bench_perf --store-cache /tmp/x`` built (same size and text generator) and, query by query,
measures this process's CPU time (all threads) of each stage the retriever runs: the query
embedding, the dense store query (every visible table), the full-text store query, reading the
kept rows (hydrate) and the whole hybrid search. The stages run one after the other here, so
their CPU adds up; the served search overlaps them in wall time.

With ``--probes`` / ``--pools`` it also measures the dense query over a grid of IVF probes and
re-rank pools (refine factor = pool / k), each with recall@10 against exact search under the
same access filter (``evals.bench_perf.ann_recall``'s rule), interleaved query by query.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_common import write
from evals.bench_perf import BEFORE, QUERIES, cached_store, clustered, topic_centres, zipf_text


def cpu_ms(fn: Any) -> tuple[float, Any]:
    c = time.process_time()
    out = fn()
    return (time.process_time() - c) * 1000, out


def stages(retriever: Any, store: Any, principal: Any, queries: list[str], repeat: int,
           variants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Mean CPU ms per stage over ``repeat`` x ``queries``, for each variant (label -> store
    attributes set while it runs), interleaved query by query."""
    from retrievers.access import access_filter
    from retrievers.query import ranking_text

    flt = access_filter(principal)
    n_cand = max(10, retriever.candidates)
    names = ("embed", "dense", "fulltext", "hydrate", "hybrid", "hybrid_wall")
    accs: dict[str, dict[str, list[float]]] = {v: {k: [] for k in names} for v in variants}
    for _ in range(repeat):
        for q, (label, attrs) in ((q, v) for q in queries for v in variants.items()):
            for name, value in attrs.items():
                setattr(store, name, value)
            acc = accs[label]
            text = ranking_text(q)
            ms, vec = cpu_ms(lambda t=text: retriever.query_vectors.vector(t))
            acc["embed"].append(ms)
            ms, dense = cpu_ms(lambda v=vec: store.dense_search(v, flt, n_cand, candidates=True))
            acc["dense"].append(ms)
            ms, _ = cpu_ms(lambda t=text: store.text_search(t, flt, n_cand, candidates=True))
            acc["fulltext"].append(ms)
            ms, _ = cpu_ms(lambda d=dense: store.hydrate(d[:10], flt))
            acc["hydrate"].append(ms)
            t = time.perf_counter()
            ms, _ = cpu_ms(lambda q=q: retriever.search(q, principal, k=10))
            acc["hybrid_wall"].append((time.perf_counter() - t) * 1000)
            acc["hybrid"].append(ms)
    return {label: {k: {"mean_ms": round(float(np.mean(v)), 2), "p50_ms": round(float(np.percentile(v, 50)), 2),
                        "p95_ms": round(float(np.percentile(v, 95)), 2)} for k, v in acc.items()}
            for label, acc in accs.items()}


def ann_grid(store: Any, principal: Any, n: int, probes: list[int], pools: list[int], queries: int,
             k: int = 10, candidates: int = 50) -> list[dict[str, Any]]:
    """CPU per dense query (``candidates`` hits, as the retriever asks) and recall@10 of its top 10
    vs exact, for each (probes, pool), interleaved query by query."""
    from retrievers.access import access_filter

    flt = access_filter(principal)
    rng = np.random.default_rng(99)
    qs = clustered(rng, topic_centres(store.dim, n), queries)
    grid = [(p, pool) for p in probes for pool in pools]
    cpu: dict[tuple[int, int], list[float]] = {g: [] for g in grid}
    rec: dict[tuple[int, int], list[float]] = {g: [] for g in grid}
    saved_nprobes = store.ann_nprobes
    saved_partitions = {id(p): p.ann_partitions for p in store._all_parts()}
    try:
        for q in qs:
            exact = [h.chunk.chunk_id for h in store.dense_search(q, flt, k, exact=True)]
            for p, pool in grid:
                store.ann_nprobes = p
                for part in store._all_parts():
                    part.ann_partitions = 0  # _nprobes: max(ann_nprobes, 6 % of partitions) -> ann_nprobes
                # pool 0: no re-rank by LanceDB (PQ distances; the retriever's re-score by best window stays)
                store.refine_factor_for = lambda kk, pool=pool: max(1, -(-pool // kk)) if pool else None
                ms, got = cpu_ms(lambda q=q: store.dense_search(q, flt, candidates, candidates=True))
                cpu[(p, pool)].append(ms)
                top = [h.chunk.chunk_id for h in got[:k]]
                rec[(p, pool)].append(len(set(top) & set(exact)) / max(1, len(exact)))
    finally:
        store.ann_nprobes = saved_nprobes
        for part in store._all_parts():
            part.ann_partitions = saved_partitions[id(part)]
        if "refine_factor_for" in store.__dict__:
            del store.refine_factor_for
    return [{"nprobes": p, "pool": pool, "refine_factor": max(1, -(-pool // candidates)) if pool else None,
             "cpu_ms": round(float(np.mean(cpu[(p, pool)])), 2),
             "recall_at_10": round(float(np.mean(rec[(p, pool)])), 4)} for p, pool in grid]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store-cache", type=Path, required=True)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--text", choices=("zipf", "uniform"), default="zipf")
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--probes", default="", help="IVF probes of the ANN grid, e.g. 10,20,30 (empty: no grid)")
    ap.add_argument("--pools", default="0,50,100,200", help="re-rank pools of the ANN grid (0: no re-rank)")
    ap.add_argument("--recall-queries", type=int, default=100)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_search_stages")
    args = ap.parse_args(argv)
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings
    from retrievers.access import AccessLevel, Principal

    n = args.size
    tmp = Path(tempfile.mkdtemp(prefix="bench-stages-"))
    services = build_services(load_settings(data_dir=tmp / "d", query_cache_size=0, answer_prewarm_sentences=0))
    services, done = cached_store(args.store_cache, n, services, args.text)
    if not done:
        raise SystemExit(f"no finished {n}-chunk {args.text} store under {args.store_cache}: build it with "
                         "evals.bench_perf --store-cache first")
    store: Any = services.store
    store.ensure_indexes()
    principal = Principal("bench", "alder", AccessLevel.INTERNAL)
    queries = zipf_text(n).queries(args.queries) if args.text == "zipf" else QUERIES
    services.retriever.search("warm up", principal, k=10)
    result: dict[str, Any] = {"size": n, "text": args.text, "load_avg_1m_before": round(os.getloadavg()[0], 2),
                              "nprobes": store.effective_nprobes, "refine_factor_50": store.refine_factor_for(50),
                              "stages": stages(services.retriever, store, principal, queries, args.repeat, {
                                  "served": {k: not v for k, v in BEFORE.items()}, "before": BEFORE})}
    if args.probes:
        result["ann_grid"] = ann_grid(store, principal, n, [int(x) for x in args.probes.split(",")],
                                      [int(x) for x in args.pools.split(",")], args.recall_queries)
    result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=1))
    md = [f"# CPU per search stage at {n:,} chunks ({args.text} text)", "",
          f"Load average {result['load_avg_1m_before']} → {result['load_avg_1m_after']}; nprobes "
          f"{result['nprobes']}, refine factor at 50 candidates {result['refine_factor_50']}.", "",
          "| stage | CPU ms mean | p50 | p95 |", "|---|---|---|---|"]
    for label, rows in result["stages"].items():
        md += [f"| {k} ({label}) | {v['mean_ms']} | {v['p50_ms']} | {v['p95_ms']} |" for k, v in rows.items()]
    if "ann_grid" in result:
        md += ["", "| nprobes | re-rank pool | CPU ms per dense query (50 hits) | recall@10 vs exact |",
               "|---|---|---|---|"]
        md += [f"| {g['nprobes']} | {g['pool']} | {g['cpu_ms']} | {g['recall_at_10']} |" for g in result["ann_grid"]]
    write(args.out, args.name, result, "\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
