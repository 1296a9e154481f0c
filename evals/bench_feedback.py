"""CPU and wall time per hybrid search without and with dense feedback, in one process on one index.

``python -m evals.bench_feedback --index INDEX_DIR --cases CASES_JSONL [--limit N] [--repeat R]``

Passes over the questions alternate between the two settings (query vectors cached after the
warm-up pass, as in the service), so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def _p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_feedback", description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--cases", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--weight", type=float, default=0.25)
    ap.add_argument("--docs", type=int, default=5)
    args = ap.parse_args(argv)
    from evals.dataset import load_cases
    from evals.run import open_services

    services = open_services(args.index)
    r = services.retriever
    r.feedback_docs = args.docs
    cases = load_cases(args.cases)[: args.limit]
    for c in cases:  # warm-up: embeds and caches every query vector, loads the indexes
        r.search(c.question, c.principal, k=10, doc_ids=c.doc_scope)
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    wall: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.repeat):
        for name, w in (("off", 0.0), ("on", args.weight)):
            r.feedback_weight = w
            for c in cases:
                c0, w0 = time.process_time(), time.perf_counter()
                r.search(c.question, c.principal, k=10, doc_ids=c.doc_scope)
                cpu[name].append((time.process_time() - c0) * 1000)
                wall[name].append((time.perf_counter() - w0) * 1000)
    out: dict[str, float] = {"searches_per_setting": len(cpu["off"]), "weight": args.weight, "docs": args.docs}
    for name in ("off", "on"):
        out[f"{name}_cpu_ms_mean"] = round(statistics.mean(cpu[name]), 2)
        out[f"{name}_wall_ms_p50"] = round(_p(wall[name], 0.5), 2)
        out[f"{name}_wall_ms_p95"] = round(_p(wall[name], 0.95), 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
