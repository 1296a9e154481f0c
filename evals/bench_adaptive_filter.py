"""Pre-filter vs post-filter per visible share: where adaptive filtering should switch.

    nice -n 5 python -m evals.bench_adaptive_filter --store /path/to/index [--store ...] --out reports/bench

Each ``--store`` is a LanceDB folder written by ``evals.bench_perf`` (``--store-cache``): its
tables are searched directly with callers that see different shares of them (tenant subsets x
levels). Every query (dense k=50 through the IVF-PQ index, full-text k=50) runs three ways in one
process, interleaved with the order alternating: pre-filtered, post-filtered with over-fetch
(``postfilter_min_share=0``, ``postfilter_min_rows=0``: post-filter at any share and size) and
adaptive (the served rule). Reported per share: CPU per query (this process, LanceDB's threads
included), how many post-filtered queries fell back, whether the post-filtered results equal the
pre-filtered ones, and recall@10 of each against exact search under the same filter.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_common import machine, write
from evals.bench_perf import QUERIES, clustered, topic_centres
from retrievers.access import AccessFilter
from retrievers.stores.lancedb import LanceDBStore

CALLERS = [  # (tenants, max level): shares of 1/12 up to 1 of a table holding 4 tenants x 3 levels
    (("alder",), 0), (("alder", "shared"), 0), (("alder", "shared"), 1), (("alder", "birch", "shared"), 1),
    (("alder", "shared"), 2), (("alder", "birch", "shared"), 2), (("alder", "birch", "cedar", "shared"), 2),
]
SYSTEMS = ("pre", "post", "adaptive")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _ids(hits: list[Any]) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def run_store(folder: Path, vectors: int, rounds: int) -> list[dict[str, Any]]:
    # LanceDB's own queries are compared: the in-process mirror of small tables stays off.
    stores = {
        "pre": LanceDBStore(folder, adaptive_filter=False, mirror_max_rows=0),
        "post": LanceDBStore(folder, postfilter_min_share=0.0, postfilter_min_rows=0, mirror_max_rows=0),
        "adaptive": LanceDBStore(folder, mirror_max_rows=0),
    }
    rows = stores["pre"].count()
    vecs = clustered(np.random.default_rng(3), topic_centres(stores["pre"].dim, rows), vectors)
    now = int(time.time())
    out = []
    for tenants, level in CALLERS:
        flt = AccessFilter(tenants=tenants, max_level=level, now=now)
        parts = stores["adaptive"]._visible(flt)
        shares = [round(p.access_stats().visible_share(flt), 3) for p, _ in parts]
        cpu: dict[str, dict[str, list[float]]] = {s: {"dense": [], "fulltext": []} for s in SYSTEMS}
        same = {"dense": 0, "fulltext": 0}
        recall: dict[str, list[float]] = {s: [] for s in SYSTEMS}
        before = {s: dict(st.filter_counts) for s, st in stores.items()}
        for r in range(rounds):
            order = SYSTEMS if r % 2 == 0 else tuple(reversed(SYSTEMS))
            for v in vecs:
                got = {}
                for name in order:
                    c = _cpu()
                    got[name] = _ids(stores[name].dense_search(v, flt, 50))
                    cpu[name]["dense"].append((_cpu() - c) * 1000)
                if r == 0:
                    exact = set(_ids(stores["pre"].dense_search(v, flt, 10, exact=True)))
                    same["dense"] += got["post"] == got["pre"]
                    for name in SYSTEMS:
                        recall[name].append(len(set(got[name][:10]) & exact) / max(1, len(exact)))
            for q in QUERIES:
                texts = {}
                for name in order:
                    c = _cpu()
                    texts[name] = [(h.chunk.chunk_id, round(h.score, 4)) for h in stores[name].text_search(q, flt, 50)]
                    cpu[name]["fulltext"].append((_cpu() - c) * 1000)
                if r == 0:
                    # BM25 ties may fall either way: the same scores in the same order is the test.
                    same["fulltext"] += [s for _, s in texts["post"]] == [s for _, s in texts["pre"]]
        counts = {s: {k: stores[s].filter_counts[k] - before[s][k] for k in ("pre", "post", "fallback")}
                  for s in SYSTEMS}
        out.append({
            "store": folder.name, "rows": rows, "tenants": list(tenants), "max_level": level,
            "tables": len(parts), "share": min(shares) if shares else 0.0, "shares": shares,
            "cpu_ms": {s: {k: round(statistics.mean(v), 2) for k, v in cpu[s].items()} for s in SYSTEMS},
            "same_as_pre": {"dense": f"{same['dense']}/{len(vecs)}", "fulltext": f"{same['fulltext']}/{len(QUERIES)}"},
            "recall_at_10": {s: round(float(np.mean(v)), 4) for s, v in recall.items()},
            "filter_counts": counts,
        })
        print(out[-1], flush=True)
    for st in stores.values():
        st.close()
    return out


def report(res: dict[str, Any], out: Path, name: str) -> None:
    lines = [
        "# Pre-filter vs post-filter by the share of a table the caller sees",
        "",
        f"`python -m evals.bench_adaptive_filter`: {res['rounds']} rounds of {res['vectors']} dense and "
        f"{len(QUERIES)} full-text queries (k=50) per caller, interleaved, one process. Machine: {res['machine']}.",
        "`post` post-filters at any share and table size (k / share x 1.5 fetched, pre-filtered again when short); "
        "`adaptive` is the served rule (every row visible, or a share of 0.5+ of a 100k+ table). "
        "Recall@10 against exact search under the same filter.",
        "",
        "| rows | tables | caller | share | dense CPU ms pre / post / adaptive "
        "| full-text CPU ms pre / post / adaptive | post ÷ pre (dense, full-text) | post fallbacks "
        "| post = pre (dense, full-text) | recall@10 pre / post |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["results"]:
        c = r["cpu_ms"]
        lines.append(
            f"| {r['rows']:,} | {r['tables']} | {'+'.join(r['tenants'])} ≤{r['max_level']} | {r['share']} | "
            f"{c['pre']['dense']} / {c['post']['dense']} / {c['adaptive']['dense']} | "
            f"{c['pre']['fulltext']} / {c['post']['fulltext']} / {c['adaptive']['fulltext']} | "
            f"{c['post']['dense'] / c['pre']['dense']:.2f} / {c['post']['fulltext'] / c['pre']['fulltext']:.2f} | "
            f"{r['filter_counts']['post']['fallback']} of {r['filter_counts']['post']['post'] + r['filter_counts']['post']['fallback']} | "  # noqa: E501
            f"{r['same_as_pre']['dense']}, {r['same_as_pre']['fulltext']} | "
            f"{r['recall_at_10']['pre']} / {r['recall_at_10']['post']} |")
    lines += ["", f"![CPU ratio]({name}.png)", ""]
    write(out, name, res, "\n".join(lines))
    chart(res, out / f"{name}.png")


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for rows in sorted({r["rows"] for r in res["results"]}):
        rs = sorted((r for r in res["results"] if r["rows"] == rows), key=lambda r: r["share"])
        for kind, style in (("dense", "-o"), ("fulltext", "--s")):
            ax.plot([r["share"] for r in rs], [r["cpu_ms"]["post"][kind] / r["cpu_ms"]["pre"][kind] for r in rs],
                    style, label=f"{kind}, {rows:,} rows")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.axvline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("share of the table the caller sees")
    ax.set_ylabel("CPU post-filter ÷ pre-filter")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, action="append", required=True, help="a LanceDB folder (repeatable)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--vectors", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_adaptive_filter")
    args = ap.parse_args(argv)
    results = [r for folder in args.store for r in run_store(folder, args.vectors, args.rounds)]
    report({"rounds": args.rounds, "vectors": args.vectors, "machine": machine(), "results": results},
           args.out, args.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
