"""CPU per hybrid search without and with document evidence, in one process on one index.

``python -m evals.bench_doc_evidence --index INDEX_DIR --cases CASES_JSONL [--limit N] [--repeat R]``

Passes over the questions alternate between the two settings (the query vectors are cached after
the warm-up pass, as in the service), so both see the same machine load. Prints process CPU and
wall time per search for each, and the re-rank step alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_doc_evidence", description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--cases", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--weight", type=float, default=None, help="default: the configured doc_evidence_weight")
    args = ap.parse_args(argv)
    from evals.dataset import load_cases
    from evals.run import open_services

    services = open_services(args.index)
    r = services.retriever
    weight = services.settings.doc_evidence_weight if args.weight is None else args.weight
    cases = load_cases(args.cases)[: args.limit]
    for c in cases:  # warm-up: embeds and caches every query vector, loads the indexes
        r.search(c.question, c.principal, k=10, doc_ids=c.doc_scope)
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    wall: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.repeat):
        for name, w in (("old", 0.0), ("new", weight)):
            r.doc_weight = w
            for c in cases:
                c0, w0 = time.process_time(), time.perf_counter()
                r.search(c.question, c.principal, k=10, doc_ids=c.doc_scope)
                cpu[name].append((time.process_time() - c0) * 1000)
                wall[name].append((time.perf_counter() - w0) * 1000)
    # The re-rank step alone, on one search's real candidates.
    from retrievers.access import access_filter
    from retrievers.query import ranking_text
    from retrievers.retriever import rrf_fuse

    c = cases[0]
    flt = access_filter(c.principal, None, c.doc_scope)
    text = ranking_text(c.question)
    lists = {"dense": services.store.dense_search(r.query_vectors.vector(text), flt, r.candidates),
             "fulltext": services.store.text_search(text, flt, r.candidates)}
    fused = rrf_fuse(lists, k=r.rrf_k, weights=r.weights)
    r.doc_weight = weight
    t0 = time.perf_counter()
    for _ in range(1000):
        r.document_rerank(fused, lists)
    step_us = (time.perf_counter() - t0) * 1000
    out = {"searches_per_setting": len(cpu["old"]), "candidates": len(fused), "weight": weight,
           "rerank_step_us": round(step_us, 1)}
    for name in ("old", "new"):
        out[f"{name}_cpu_ms_mean"] = round(statistics.mean(cpu[name]), 2)
        out[f"{name}_wall_ms_p50"] = round(statistics.median(wall[name]), 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
