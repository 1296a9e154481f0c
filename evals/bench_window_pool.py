"""Dense query cost and agreement: every window scanned vs a pooled-vector candidate pool re-scored.

Runs both query paths of :class:`~retrievers.stores.lancedb.LanceDBStore` side by side in one process on
the same table, in whole passes over the queries alternating between the paths, and reports CPU per
query (process time), wall p50/p95, and how often the pool's top-k equals the full window scan's
(ids in order, and as a set).

``python -m evals.bench_window_pool --index .data/cuad/index-c640-o128-pii0/index
--cases .data/cuad-corpus/evalset.jsonl --pools 0,50,100,200``
(``--generated N`` writes N synthetic chunks of 1-5 windows instead of opening an index.)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.metrics import percentile
from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.stores.lancedb import LanceDBStore


def _cases(path: Path, limit: int | None) -> list[tuple[str, Principal]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        p = case.get("principal") or {}
        level = AccessLevel[str(p.get("access_level", "restricted")).upper()]
        out.append((case["question"], Principal("bench@local", str(p.get("tenant_id", "")), level)))
    return out[:limit] if limit else out


def _generated(n: int, folder: Path, dim: int = 384, seed: int = 7) -> tuple[LanceDBStore, list[Any]]:
    """A table of ``n`` chunks whose windows are topical (a chunk's windows share a topic vector),
    so pooled and best-window ranks are related as in real text; queries are noisy windows."""
    from tests.retrievers.test_ann import chunks_and_vectors

    rng = np.random.default_rng(seed)
    chunks, _ = chunks_and_vectors(n)
    topics = rng.normal(size=(64, dim)).astype(np.float32)
    windows = []
    for _ in range(n):
        base = topics[rng.integers(64)] + rng.normal(scale=0.8, size=dim)
        w = base + rng.normal(scale=0.9, size=(int(rng.integers(1, 6)), dim))
        windows.append((w / np.linalg.norm(w, axis=1, keepdims=True)).astype(np.float32))
    store = LanceDBStore(folder, dim=dim, ann_min_rows=10 * n, mirror_max_rows=0)  # LanceDB's query paths
    store.upsert(chunks, windows)
    store.optimize()
    queries = []
    for _ in range(200):
        src = windows[int(rng.integers(n))]
        q = src[int(rng.integers(len(src)))] + rng.normal(scale=0.05, size=dim)
        tenant = chunks[int(rng.integers(n))].tenant_id
        queries.append((q.astype(np.float32), access_filter(Principal("bench@local", tenant, AccessLevel.RESTRICTED))))
    return store, queries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="a LanceDB index folder")
    ap.add_argument("--cases", type=Path, help="JSONL cases with question and principal")
    ap.add_argument("--generated", type=int, default=0, help="synthetic chunks instead of --index")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--k", type=int, default=50, help="dense candidates asked for (the retriever asks 50)")
    ap.add_argument("--pools", default="0,50,100,200", help="window_pool values; 0 = scan every window")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    pools = [int(p) for p in args.pools.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        if args.generated:
            store, queries = _generated(args.generated, Path(tmp) / "gen")
            source = f"generated {args.generated} chunks"
        else:
            from retrievers.embeddings import SentenceTransformerEmbedder

            store = LanceDBStore(args.index, mirror_max_rows=0)  # LanceDB's query paths
            embedder = SentenceTransformerEmbedder()
            cases = _cases(args.cases, args.limit)
            vecs = embedder.encode([q for q, _ in cases])
            queries = [(v, access_filter(p)) for v, (_, p) in zip(vecs, cases, strict=True)]
            source = str(args.index)
        rows = store.count()
        windows = sum(sum(len(w) for w in ws) for _, ws in store.iter_windows())
        cpu: dict[int, list[float]] = {p: [] for p in pools}
        wall: dict[int, list[float]] = {p: [] for p in pools}
        same_order = dict.fromkeys(pools, 0)
        same_set = dict.fromkeys(pools, 0)
        same_top10 = dict.fromkeys(pools, 0)
        for vec, flt in queries:  # warm-up: open files, caches
            store.window_pool = 0
            store.dense_search(vec, flt, args.k)
        # Whole passes over the queries, the paths alternating pass by pass (ABBA...): interleaving
        # the paths query by query let one path's reads warm or evict the other's.
        got: dict[int, list[list[str]]] = {}
        for r in range(args.repeat):
            for p in pools if r % 2 == 0 else list(reversed(pools)):
                store.window_pool = p
                ids = []
                for vec, flt in queries:
                    c0, w0 = time.process_time(), time.perf_counter()
                    hits = store.dense_search(vec, flt, args.k)
                    wall[p].append((time.perf_counter() - w0) * 1000)
                    cpu[p].append((time.process_time() - c0) * 1000)
                    ids.append([h.chunk.chunk_id for h in hits])
                got.setdefault(p, ids)
        ref = got[0] if 0 in got else got[pools[0]]
        for p in pools:
            for a, b in zip(got[p], ref, strict=True):
                same_order[p] += a == b
                same_set[p] += set(a) == set(b)
                same_top10[p] += a[:10] == b[:10]
        n = len(queries)
        result = {
            "source": source,
            "rows": rows,
            "windows": windows,
            "queries": n,
            "k": args.k,
            "repeat": args.repeat,
            "pools": {
                str(p): {
                    "cpu_ms_mean": round(float(np.mean(cpu[p])), 2),
                    "wall_ms_p50": round(percentile(wall[p], 50), 2),
                    "wall_ms_p95": round(percentile(wall[p], 95), 2),
                    "top_k_same_order": round(same_order[p] / n, 3),
                    "top_k_same_set": round(same_set[p] / n, 3),
                    "top_10_same_order": round(same_top10[p] / n, 3),
                }
                for p in pools
            },
        }
        print(json.dumps(result, indent=1))
        if args.out:
            args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
