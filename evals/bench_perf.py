"""Search latency as the index grows, HTTP overhead, peak memory.

``python -m evals.bench_perf --out reports/bench``:

- 1k, 10k and 100k synthetic chunks with synthetic (random, normalised) vectors written
  straight into LanceDB stores (encoding 100k real chunks would take half an hour on
  2 cores); search p50/p95 per mode through the real :class:`Retriever` including the real
  query embedding, plus the growth curve as PNG (target: hybrid p95 ≤ 50 ms at 10k);
- HTTP overhead: ``POST /v1/search`` through a real uvicorn server vs the same search
  called directly on the retriever, on the 10k index;
- peak RSS of the process.
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_common import WORDS, lat, machine, peak_rss_mb, synthetic_paragraph, timed, write

QUERIES = [
    "cutover go/no-go criteria", "who approves a change request", "warranty period for the licence",
    "notice period for termination", "hypercare support priority response", "data conversion validation report",
    "service level credit penalty", "audit rights on invoices", "payroll integration testing", "renewal notice",
]


def fill_store(store: Any, n: int, dim: int, seed: int = 11, batch: int = 5000) -> None:
    from retrievers.access import AccessLevel
    from retrievers.schema import Chunk, chunk_uuid

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    tenants = ["alder", "birch", "cedar", "shared"]
    for lo in range(0, n, batch):
        chunks = []
        for i in range(lo, min(n, lo + batch)):
            tenant = tenants[i % len(tenants)]
            doc = f"docs/{tenant}/doc-{i // 20:05d}.md"
            text = synthetic_paragraph(rng, 6)
            chunks.append(Chunk(
                chunk_id=chunk_uuid(tenant, doc, "1", i % 20), doc_id=doc, tenant_id=tenant,
                access_level=AccessLevel(i % 3), doc_type="playbook", title=f"Handbook {i // 20}", version="1",
                position=i % 20, text=text, index_text=text, section_path=[rng.choice(WORDS).title()],
                char_start=0, char_end=len(text),
            ))
        vecs = nrng.standard_normal((len(chunks), dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        store.upsert(chunks, vecs)
    store.optimize()


def measure(retriever: Any, principal: Any, repeat: int) -> dict[str, Any]:
    out = {}
    for mode in ("hybrid", "dense", "fulltext"):
        ms: list[float] = []
        for _ in range(repeat):
            for q in QUERIES:
                ms += timed(partial(retriever.search, q, principal, k=10, mode=mode), 1)
        out[mode] = lat(ms)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_overhead(data_dir: Path, services: Any, principal_tenant: str, repeat: int) -> dict[str, Any] | None:
    try:
        import httpx
        import uvicorn

        from copilot.app import create_app
    except ImportError:
        return None
    settings = services.settings
    app = create_app(settings, services)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    state = app.state.copilot
    deadline = time.time() + 120
    while not getattr(state, "ready", False) and time.time() < deadline:
        time.sleep(0.2)
    if not getattr(state, "ready", False):
        server.should_exit = True
        return {"error": getattr(state, "startup_error", "API did not become ready")}
    key, _ = state.keys.create("bench", principal_tenant, "internal")
    from retrievers.access import AccessLevel, Principal

    principal = Principal("key:bench", principal_tenant, AccessLevel.INTERNAL)
    direct: list[float] = []
    http: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=30) as client:
        client.post("/v1/search", json={"query": "warm up", "k": 10})
        for _ in range(repeat):
            for q in QUERIES:
                direct += timed(partial(services.retriever.search, q, principal, k=10), 1)

                def call(q: str = q) -> None:
                    r = client.post("/v1/search", json={"query": q, "k": 10})
                    r.raise_for_status()

                http += timed(call, 1)
    server.should_exit = True
    th.join(timeout=10)
    d, h = lat(direct), lat(http)
    return {"direct": d, "http": h, "ratio_p50": round(h["p50_ms"] / d["p50_ms"], 2),
            "ratio_p95": round(h["p95_ms"] / d["p95_ms"], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    from copilot.services import build_services
    from copilot.settings import load_settings
    from retrievers.access import AccessLevel, Principal

    sizes = [int(x) for x in args.sizes.split(",") if x]
    tmp = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    principal = Principal("bench", "alder", AccessLevel.INTERNAL)
    result: dict[str, Any] = {"machine": machine(), "sizes": {}}
    try:
        for n in sizes:
            services = build_services(load_settings(data_dir=tmp / f"n{n}", pii_detection=False))
            t = time.perf_counter()
            fill_store(services.store, n, services.embedder.dim)
            load_s = time.perf_counter() - t
            services.retriever.search("warm up", principal, k=10)
            result["sizes"][n] = {"load_s": round(load_s, 1), **measure(services.retriever, principal, args.repeat)}
            if n == 10_000 or (n == sizes[-1] and "http" not in result):
                result["http"] = http_overhead(tmp / f"n{n}", services, "alder", args.repeat)
                result["http_index_chunks"] = n
        result["peak_rss_mb"] = peak_rss_mb()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for mode in ("hybrid", "dense", "fulltext"):
        for q, style in (("p50_ms", "-o"), ("p95_ms", "--x")):
            ax.plot(sizes, [result["sizes"][n][mode][q] for n in sizes], style, label=f"{mode} {q[:3]}")
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("ms per search (incl. query embedding)")
    ax.set_title("Search latency growth")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "search-latency-growth.png", dpi=110)
    plt.close(fig)

    md = ["# Search performance benchmark", "", f"Machine: {result['machine']}.", "",
          "Synthetic chunks with random normalised vectors; queries embedded by the real model; principal "
          "sees 2 of 4 tenants. Target: hybrid p95 ≤ 50 ms at 10k chunks.", "",
          "| chunks | hybrid p50 | hybrid p95 | dense p50 | dense p95 | full-text p50 | full-text p95 |",
          "|---|---|---|---|---|---|---|"]
    for n in sizes:
        r = result["sizes"][n]
        md.append(f"| {n:,} | {r['hybrid']['p50_ms']} | {r['hybrid']['p95_ms']} | {r['dense']['p50_ms']} | "
                  f"{r['dense']['p95_ms']} | {r['fulltext']['p50_ms']} | {r['fulltext']['p95_ms']} |")
    h = result.get("http")
    if h and "error" not in h:
        md += ["", f"## HTTP overhead ({result['http_index_chunks']:,} chunks)", "",
               "| path | p50 ms | p95 ms |", "|---|---|---|",
               f"| direct Retriever.search | {h['direct']['p50_ms']} | {h['direct']['p95_ms']} |",
               f"| POST /v1/search (uvicorn, API key) | {h['http']['p50_ms']} | {h['http']['p95_ms']} |",
               "", f"Ratio HTTP ÷ direct: p50 {h['ratio_p50']}×, p95 {h['ratio_p95']}×"]
    elif h:
        md += ["", f"HTTP overhead not measured: {h['error']}"]
    md += ["", f"Peak RSS: {result['peak_rss_mb']} MB", "", "![growth](search-latency-growth.png)", ""]
    write(args.out, "bench_perf", result, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
