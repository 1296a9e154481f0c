"""CPU of each LanceDB query a hybrid search makes, and of the alternatives to them, side by side.

Opens the benchmark's synthetic index (``evals.bench_perf``: 10k chunks, IVF-PQ), takes one caller's
access filter and times, in interleaved rounds (so every variant sees the same machine load), the
process CPU of: the dense candidate query as served (pre-filtered IVF-PQ, re-ranked, window
re-score), the same without LanceDB's refine step, the full-text candidate query, the read of the
fused top 10 by row id (``hydrate``), both candidate queries with every row column instead of the
candidate columns (what dropping the read by id would cost), an in-process exact best-window
scan in numpy over the same rows with the access rule as a mask, and the store's own dense search,
read by row id and hybrid search with its in-process mirror of small tables on and off. It also
counts the calls into LanceDB's background event loop of one
hybrid search (each is a thread round trip and a Python-to-Rust crossing).

``python -m evals.profile_store_queries --store-cache /tmp/cache --out reports/bench``
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from evals.bench_common import WORDS, machine
from evals.bench_perf import cached_store, fill_store


def _timer(fns: dict[str, Callable[[], Any]], rounds: int, per_round: int) -> dict[str, float]:
    """Mean process CPU ms per call of each function, rounds interleaved."""
    total = dict.fromkeys(fns, 0.0)
    for f in fns.values():
        f()
    for _ in range(rounds):
        for name, f in fns.items():
            c = time.process_time()
            for _ in range(per_round):
                f()
            total[name] += time.process_time() - c
    return {k: round(v * 1000 / (rounds * per_round), 2) for k, v in total.items()}


def _loop_calls(search: Callable[[], Any]) -> int:
    """Calls into LanceDB's background event loop during one ``search()``."""
    import lancedb.background_loop as bl

    count = collections.Counter[str]()
    orig = bl.LOOP.run

    def run(fut: Any) -> Any:
        count["run"] += 1
        return orig(fut)

    bl.LOOP.run = run  # type: ignore[method-assign]
    try:
        search()
    finally:
        bl.LOOP.run = orig  # type: ignore[method-assign]
    return count["run"]


def _numpy_exact(table: Any, flt: Any) -> Callable[[np.ndarray], np.ndarray]:
    """An exact best-window dense search over the table's rows held in memory, access rule as a mask."""
    data = table.search().select(["tenant_id", "access_level", "approved", "superseded", "valid_from",
                                  "valid_until", "windows"]).limit(None).to_arrow()
    windows = data["windows"].combine_chunks()
    offsets = windows.offsets.to_numpy()
    wv = np.stack(windows.values.to_numpy(zero_copy_only=False)).astype(np.float32)
    wv /= np.linalg.norm(wv, axis=1, keepdims=True)
    tenants = np.array(data["tenant_id"].to_pylist())
    level = data["access_level"].to_numpy()
    approved = data["approved"].to_numpy(zero_copy_only=False)
    superseded = data["superseded"].to_numpy(zero_copy_only=False)
    vf, vu = data["valid_from"].to_numpy(), data["valid_until"].to_numpy()
    allowed = np.array(sorted(flt.tenants))

    def search(vec: np.ndarray) -> np.ndarray:
        mask = (np.isin(tenants, allowed) & (level <= int(flt.max_level)) & approved & ~superseded
                & (vf <= flt.now) & (vu > flt.now))
        best = np.maximum.reduceat(wv @ vec, offsets[:-1])
        best[~mask] = -np.inf
        top = np.argpartition(-best, 50)[:50]
        return top[np.argsort(-best[top])]

    return search


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="profile_store_queries")
    ap.add_argument("--store-cache", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--per-round", type=int, default=10)
    args = ap.parse_args(argv)
    import random

    from copilot.core.services import build_services
    from copilot.core.settings import load_settings
    from retrievers.access import AccessLevel, Principal, access_filter
    from retrievers.stores.base import best_window_scores_arrow
    from retrievers.stores.lancedb import _CANDIDATE_COLUMNS, _ROW_COLUMNS

    tmp = Path(tempfile.mkdtemp(prefix="profile-store-"))
    services = build_services(load_settings(data_dir=tmp / "d", pii_detection=False, query_cache_size=0,
                                            answer_prewarm_sentences=0))
    reused = False
    if args.store_cache is not None:
        services, reused = cached_store(args.store_cache, 10_000, services)
    store: Any = services.store
    if reused:
        store.ensure_indexes()
    else:
        fill_store(store, 10_000, services.embedder.dim)
        if args.store_cache is not None:
            (args.store_cache / "n10000" / "complete").write_text("10000")
    principal = Principal("bench", "alder", AccessLevel.INTERNAL)
    flt = access_filter(principal, None, None)
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))) for _ in range(50)]
    vectors = [services.retriever.query_vectors.vector(t) for t in texts]
    (part, where), = store._visible(flt)
    table = part.table
    k, pool = 50, store.refine_factor_for(50)
    it = iter(range(10**9))

    def pick() -> tuple[str, np.ndarray]:
        i = next(it) % len(texts)
        return texts[i], vectors[i]

    def dense(columns: list[str], refine: bool = True) -> list[dict[str, Any]]:
        _, vec = pick()
        q = (table.search(vec, vector_column_name="vector").distance_type("cosine").where(where, prefilter=True)
             .select([*columns, "_distance", "windows"]).limit(k).nprobes(store._nprobes(part)).with_row_id(True))
        t = (q.refine_factor(pool) if refine else q).to_arrow()
        best = best_window_scores_arrow(vec, t.column("windows"))
        order = np.argsort(-best, kind="stable")[:k]
        return t.drop_columns(["windows", "_distance"]).take(pa.array(order)).to_pylist()

    def fulltext(columns: list[str]) -> list[dict[str, Any]]:
        text, _ = pick()
        return (table.search(text, query_type="fts", fts_columns="search_text").where(where, prefilter=True)
                .select([*columns, "_score"]).limit(k).with_row_id(True).to_arrow().to_pylist())

    row_ids = [r["_rowid"] for r in dense(["chunk_id"])[:10]]
    exact = _numpy_exact(table, flt)
    limit = store.mirror_max_rows

    def mirror(on: bool, fn: Callable[[], Any]) -> Callable[[], Any]:
        """``fn`` with the store's in-process mirror on or off (the copy stays loaded)."""
        def run() -> Any:
            store.mirror_max_rows = limit if on else 0
            try:
                return fn()
            finally:
                store.mirror_max_rows = limit
        return run

    hits = store.dense_search(vectors[0], flt, k, candidates=True)[:10]
    fns: dict[str, Callable[[], Any]] = {
        "dense candidates (as served)": lambda: dense(_CANDIDATE_COLUMNS),
        "dense candidates, no refine": lambda: dense(_CANDIDATE_COLUMNS, refine=False),
        "dense, every row column": lambda: dense(_ROW_COLUMNS),
        "full-text candidates (as served)": lambda: fulltext(_CANDIDATE_COLUMNS),
        "full-text, every row column": lambda: fulltext(_ROW_COLUMNS),
        "read top 10 by row id (hydrate)": lambda: table.take_row_ids(row_ids).select(_ROW_COLUMNS).to_arrow(),
        "read 10 by row id, chunk id only": lambda: table.take_row_ids(row_ids).select(["chunk_id"]).to_arrow(),
        "table.version (one loop call)": lambda: table.version,
        "numpy exact best-window scan + mask": lambda: exact(pick()[1]),
        "hybrid retriever.search (all of it)": lambda: services.retriever.search(pick()[0], principal, k=10),
        # The store's own entry points, with its in-process mirror of small tables on and off.
        "store.dense_search candidates, mirror": mirror(True, lambda: store.dense_search(
            pick()[1], flt, k, candidates=True)),
        "store.dense_search candidates, LanceDB": mirror(False, lambda: store.dense_search(
            pick()[1], flt, k, candidates=True)),
        "store.hydrate top 10, mirror": mirror(True, lambda: store.hydrate(hits, flt)),
        "store.hydrate top 10, LanceDB": mirror(False, lambda: store.hydrate(hits, flt)),
        "hybrid retriever.search, mirror": mirror(True, lambda: services.retriever.search(
            pick()[0], principal, k=10)),
        "hybrid retriever.search, LanceDB": mirror(False, lambda: services.retriever.search(
            pick()[0], principal, k=10)),
    }
    cpu = _timer(fns, args.rounds, args.per_round)
    result: dict[str, Any] = {
        "machine": machine(), "rows": table.count_rows(), "rounds": args.rounds, "per_round": args.per_round,
        # Counted warm (the first search also counts the table's access columns).
        "loop_calls_per_hybrid_search": _loop_calls(lambda: services.retriever.search(texts[0], principal, k=10)),
        "loop_calls_per_hybrid_search_without_mirror": _loop_calls(
            mirror(False, lambda: services.retriever.search(texts[0], principal, k=10))),
        "mirror_rows": store.mirror_max_rows, "mirror_mb": round(part.mirror.nbytes / 1e6, 1) if part.mirror else 0,
        "cpu_ms": cpu,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
