"""CPU of a hybrid search, this checkout's retriever and store against an older checkout's, in one
process over one index, rounds interleaved; the results of both must be identical.

``--before DIR`` is an older checkout (``git archive <commit> | tar -x -C DIR``); its
``retrievers/stores/lancedb.py`` and ``retrievers/retriever.py`` are loaded under other module names
and open the same index folder. Query vectors are computed once and cached in both retrievers, so
the figures are the store and fusion work of a search (the query encoder is the same code on both
sides). CPU is the process's (``time.process_time``: LanceDB's own threads and the full-text thread
included); other load on the machine inflates both sides alike within a round.

``python -m evals.bench_candidates --before /tmp/before --index DATA_DIR/index --tenant alder --level internal``
(questions from ``--cases`` JSONL with principals, else generated word queries as the API benchmark sends).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from evals.bench_common import WORDS, load_module, machine


def _key(hits: list[Any]) -> list[tuple[Any, ...]]:
    return [(dataclasses.asdict(h.chunk), h.score, h.source, h.ranks) for h in hits]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True, help="a LanceDB index folder")
    ap.add_argument("--cases", type=Path, default=None, help="JSONL cases with question and principal")
    ap.add_argument("--half", choices=["dev", "test"], default=None,
                    help="only the cases of this half of --cases (evals/splits.py, by reference document)")
    ap.add_argument("--tenant", default="alder", help="principal of generated queries")
    ap.add_argument("--level", default="internal")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--mode", default="hybrid")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from evals.splits import half_of
    from retrievers.access import AccessLevel, Principal
    from retrievers.embeddings import SentenceTransformerEmbedder
    from retrievers.retriever import Retriever
    from retrievers.stores.lancedb import LanceDBStore

    old_store_mod = load_module(args.before / "retrievers" / "stores" / "lancedb.py", "_lancedb_before")
    old_retriever_mod = load_module(args.before / "retrievers" / "retriever.py", "_retriever_before")
    if args.cases:
        cases = []
        for line in args.cases.read_text(encoding="utf-8").splitlines():
            if line.strip():
                c = json.loads(line)
                docs = c.get("reference_doc_ids") or [c["id"]]
                if args.half is not None and half_of(str(docs[0])) != args.half:
                    continue
                p = c.get("principal") or {}
                cases.append((c["question"], Principal("bench", str(p.get("tenant_id", "")),
                                                       AccessLevel[str(p.get("access_level", "public")).upper()])))
        cases = cases[: args.queries]
    else:
        rng = random.Random(10)
        principal = Principal("bench", args.tenant, AccessLevel[args.level.upper()])
        cases = [(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))), principal)
                 for _ in range(args.queries)]
    embedder = SentenceTransformerEmbedder()
    retrievers = {
        "before": old_retriever_mod.Retriever(old_store_mod.LanceDBStore(args.index), embedder),
        "after": Retriever(LanceDBStore(args.index), embedder),
    }
    differ = 0
    for q, p in cases:  # warm-up: every query vector cached in both, files opened; results compared
        got = {way: r.search(q, p, k=args.k, mode=args.mode) for way, r in retrievers.items()}
        differ += _key(got["before"]) != _key(got["after"])
    rounds: list[dict[str, Any]] = []
    for rnd in range(args.rounds):
        for way in ("before", "after") if rnd % 2 == 0 else ("after", "before"):
            r = retrievers[way]
            c0, w0 = time.process_time(), time.perf_counter()
            for q, p in cases:
                r.search(q, p, k=args.k, mode=args.mode)
            n = len(cases)
            rounds.append({"round": rnd, "code": way, "cpu_ms": round((time.process_time() - c0) * 1000 / n, 3),
                           "wall_ms": round((time.perf_counter() - w0) * 1000 / n, 3)})
    med = {way: statistics.median(r["cpu_ms"] for r in rounds if r["code"] == way) for way in retrievers}
    ratios = [a["cpu_ms"] / b["cpu_ms"] for a in rounds if a["code"] == "after"
              for b in rounds if b["code"] == "before" and b["round"] == a["round"]]
    result = {
        "machine": machine(), "index": str(args.index), "rows": retrievers["after"].store.count(),
        "half": args.half, "queries": len(cases), "k": args.k, "mode": args.mode, "results_differ": differ,
        "cpu_ms_median": {k: round(v, 3) for k, v in med.items()},
        "after_over_before_median": round(statistics.median(ratios), 3), "rounds": rounds,
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
