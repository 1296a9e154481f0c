"""Access-column indexes of a large LanceDB table: the same queries with and without them.

    nice -n 10 python -m evals.bench_filter_index --rows 250000 --cache /tmp/filter-index --out reports/bench

One synthetic table (``evals.bench_perf.fill_store_fast``, single layout, IVF-PQ + full-text index)
is copied; the copy loses its scalar indexes on the access columns. Both answer the same dense and
full-text queries with the full access pre-filter, interleaved in rounds in one process (the order
alternates), and report CPU per query (this process: LanceDB's Rust threads included), wall p50/p95
and whether both returned the same chunks.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_common import lat, machine, write
from evals.bench_perf import clustered, fill_store_fast, topic_centres
from retrievers.access import AccessFilter
from retrievers.stores.lancedb import _FILTER_INDEXES, LanceDBStore

QUERIES = ["policy", "escalation contract", "partner onboarding review", "renewal milestone", "invoice approval"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(cache: Path, rows: int, dim: int = 384, ann_min_rows: int = 10_000) -> Path:
    """The indexed table (built once per cache folder)."""
    folder = cache / f"rows{rows}"
    if not folder.exists():
        store = LanceDBStore(folder, dim=dim, layout="single", ann_min_rows=ann_min_rows)
        fill_store_fast(store, rows, dim)
        store.close()
    return folder


def without_filter_indexes(folder: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(folder, dest)
    store = LanceDBStore(dest, layout="single")
    table = store.tables()[None]
    for column, _ in _FILTER_INDEXES:
        table.drop_index(f"{column}_idx")
    store.close()
    return dest


def run(rows: int, cache: Path, rounds: int, n_vectors: int, ann_min_rows: int = 10_000) -> dict[str, Any]:
    indexed = build(cache, rows, ann_min_rows=ann_min_rows)
    plain = without_filter_indexes(indexed, cache / f"rows{rows}-plain")
    # LanceDB's own queries are compared: the in-process mirror of small tables stays off.
    stores = {"without": LanceDBStore(plain, layout="single", mirror_max_rows=0),
              "with": LanceDBStore(indexed, layout="single", mirror_max_rows=0)}
    flt = AccessFilter(tenants=("alder", "shared"), max_level=1, now=int(time.time()))
    vectors = clustered(np.random.default_rng(3), topic_centres(384, rows), n_vectors)
    same = all(
        [h.chunk.chunk_id for h in stores["without"].dense_search(v, flt, 10)]
        == [h.chunk.chunk_id for h in stores["with"].dense_search(v, flt, 10)]
        for v in vectors[:10]
    ) and all(
        [h.chunk.chunk_id for h in stores["without"].text_search(q, flt, 10)]
        == [h.chunk.chunk_id for h in stores["with"].text_search(q, flt, 10)]
        for q in QUERIES
    )
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        name: {kind: {"cpu": [], "wall": []} for kind in ("dense", "fulltext")} for name in stores
    }
    for r in range(rounds):
        order = list(stores) if r % 2 == 0 else list(reversed(stores))
        for name in order:
            store = stores[name]
            calls = [("dense", lambda v=v, store=store: store.dense_search(v, flt, 50)) for v in vectors]
            calls += [("fulltext", lambda q=q, store=store: store.text_search(q, flt, 50)) for q in QUERIES * 4]
            for kind, call in calls:
                c0, w0 = _cpu(), time.perf_counter()
                call()
                samples[name][kind]["wall"].append((time.perf_counter() - w0) * 1000)
                samples[name][kind]["cpu"].append((_cpu() - c0) * 1000)
    result: dict[str, Any] = {"rows": rows, "rounds": rounds, "same_results": same, "machine": machine(),
                              "filter": "tenant_id IN (2) AND access_level <= 1 AND approved AND NOT superseded "
                                        "AND valid_from <= now < valid_until", "systems": {}}
    for name, kinds in samples.items():
        result["systems"][name] = {
            kind: {"cpu_ms_mean": round(statistics.mean(v["cpu"]), 2), **lat(v["wall"])} for kind, v in kinds.items()
        }
    for store in stores.values():
        store.close()
    return result


def report(res: dict[str, Any], out: Path, name: str) -> None:
    s = res["systems"]
    lines = [
        "# Access-column indexes on a large LanceDB table",
        "",
        f"`python -m evals.bench_filter_index --rows {res['rows']}`: one {res['rows']:,}-row table (IVF-PQ + full-text "
        "index), and a copy without the scalar indexes on the access columns; the same queries (k=50, the "
        "retriever's candidate depth) with the full access pre-filter, interleaved over "
        f"{res['rounds']} rounds in one process. Load average at the end: {res['machine']['load_avg_1m']} "
        f"on {res['machine']['cpus']} CPUs. Same chunks returned by both: **{res['same_results']}**.",
        "",
        "| query | system | CPU ms / query (mean) | wall p50 ms | wall p95 ms |",
        "|---|---|---|---|---|",
    ]
    for kind in ("dense", "fulltext"):
        for sys_name in ("without", "with"):
            m = s[sys_name][kind]
            lines.append(f"| {kind} | {sys_name} filter indexes | {m['cpu_ms_mean']} | {m['p50_ms']} | {m['p95_ms']} |")
        ratio = s["with"][kind]["cpu_ms_mean"] / max(1e-9, s["without"][kind]["cpu_ms_mean"])
        lines.append(f"| {kind} | with ÷ without | {ratio:.2f}× | | |")
    lines += ["", f"![CPU per query]({name}.png)", ""]
    write(out, name, res, "\n".join(lines))
    chart(res, out / f"{name}.png")


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = ["dense", "fulltext"]
    x = np.arange(len(kinds))
    fig, ax = plt.subplots(figsize=(5, 3))
    for i, sys_name in enumerate(("without", "with")):
        ax.bar(x + (i - 0.5) * 0.35, [res["systems"][sys_name][k]["cpu_ms_mean"] for k in kinds], 0.35,
               label=f"{sys_name} filter indexes")
    ax.set_xticks(x, kinds)
    ax.set_ylabel("CPU ms per query")
    ax.set_title(f"{res['rows']:,} rows, full access pre-filter")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--cache", type=Path, default=Path(".data/bench-filter-index"))
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--vectors", type=int, default=40)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_filter_index")
    args = ap.parse_args(argv)
    report(run(args.rows, args.cache, args.rounds, args.vectors), args.out, args.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
