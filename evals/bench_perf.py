"""Search latency as the index grows, ANN recall, concurrent clients, memory.

``python -m evals.bench_perf --out reports/bench``:

- 1k, 10k, 100k (and with ``--sizes ...,1000000`` 1M) synthetic chunks with generated
  vectors written straight into LanceDB stores (encoding 100k real chunks would take half
  an hour on 2 cores). Vectors are drawn around topic centres (a mixture, as real
  embeddings cluster; uniform random vectors have no neighbourhood structure at all);
  search p50/p95 per mode through the real :class:`Retriever` including the real query
  embedding (query cache off), side by side with the exact (flat) scan on the same store;
- recall@10 of the ANN index against exact search under the access pre-filter;
- RSS after each size; HTTP overhead and 1/10/50 concurrent clients over loopback;
- with ``--layouts tenant,single`` the same data in LanceDB's table-per-tenant layout and in
  the former single table, opened in one process and searched interleaved query by query
  (the comparison is the point: absolute latencies on a shared machine are noisy);
- with ``--compare-prefilter`` the same folder opened a second time with adaptive filtering off
  (every table query pre-filtered, as before it), searched interleaved the same way.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
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
from evals.zipf_text import ZipfText

QUERIES = [
    "cutover go/no-go criteria", "who approves a change request", "warranty period for the licence",
    "notice period for termination", "hypercare support priority response", "data conversion validation report",
    "service level credit penalty", "audit rights on invoices", "payroll integration testing", "renewal notice",
]


def topic_centres(dim: int, n: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((max(50, n // 200), dim)).astype(np.float32)


def clustered(rng: np.random.Generator, centres: np.ndarray, n: int, noise: float = 0.9,
              topics: np.ndarray | None = None) -> np.ndarray:
    """``n`` unit vectors around ``centres`` (each row's centre: ``topics``, else drawn at random)."""
    which = rng.integers(0, len(centres), n) if topics is None else topics
    v = centres[which] + noise * rng.standard_normal((n, centres.shape[1])).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def zipf_text(n: int) -> ZipfText:
    """The Zipf generator for an ``n``-chunk store: one text topic per vector topic centre."""
    return ZipfText(len(topic_centres(1, n)))


# Tokens per chunk with the Zipf generator: about the old generator's length at each size
# (6 sentences of 8-20 words up to 100k, 36 words at 1M), so only the vocabulary differs.
def zipf_length(n: int) -> int:
    return 84 if n <= 100_000 else 36


def zipf_batch(gen: ZipfText, centres: np.ndarray, nrng: np.random.Generator, idx: np.ndarray,
               length: int) -> tuple[list[str], np.ndarray]:
    """Texts and vectors of rows ``idx`` (20 chunks a document): a document's text topic is the
    centre its vectors are drawn around, as text and embedding agree in real documents."""
    docs = idx // 20
    texts = gen.texts(nrng, docs, length)
    return texts, clustered(nrng, centres, len(idx), topics=gen.topic_of_docs(docs) % len(centres))


def fill_store(store: Any, n: int, dim: int, seed: int = 11, batch: int = 5000, text: str = "zipf") -> None:
    from retrievers.access import AccessLevel
    from retrievers.schema import Chunk, chunk_uuid

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    centres = topic_centres(dim, n)
    gen = zipf_text(n) if text == "zipf" else None
    tenants = ["alder", "birch", "cedar", "shared"]
    sentences = 6 if n <= 100_000 else 3  # shorter texts keep the 1M build within memory and time
    for lo in range(0, n, batch):
        chunks = []
        hi = min(n, lo + batch)
        if gen is not None:
            ztexts, vectors = zipf_batch(gen, centres, nrng, np.arange(lo, hi), zipf_length(n))
        for i in range(lo, hi):
            tenant = tenants[i % len(tenants)]
            doc = f"docs/{tenant}/doc-{i // 20:05d}.md"
            text = ztexts[i - lo] if gen is not None else synthetic_paragraph(rng, sentences)
            chunks.append(Chunk(
                chunk_id=chunk_uuid(tenant, doc, "1", i % 20), doc_id=doc, tenant_id=tenant,
                access_level=AccessLevel(i % 3), doc_type="playbook", title=f"Handbook {i // 20}", version="1",
                position=i % 20, text=text, index_text=text, section_path=[rng.choice(WORDS).title()],
                char_start=0, char_end=len(text),
            ))
        store.upsert(chunks, vectors if gen is not None else clustered(nrng, centres, len(chunks)))
    store.optimize()


def fill_store_fast(store: Any, n: int, dim: int, seed: int = 11, batch: int = 50_000, text: str = "zipf") -> None:
    """Like :func:`fill_store`, but columns are built with numpy/pyarrow (1M rows in minutes, not hours)."""
    import pyarrow as pa

    from retrievers.access import MAX_TS, MIN_TS
    from retrievers.schema import chunk_uuid
    from retrievers.stores.lancedb import _schema

    nrng = np.random.default_rng(seed)
    centres = topic_centres(dim, n)
    gen = zipf_text(n) if text == "zipf" else None
    words = np.array(WORDS)
    tenants = np.array(["alder", "birch", "cedar", "shared"])
    # Generated rows have one vector each: bulk_add makes it the row's one window.
    schema = pa.schema([f for f in _schema(dim) if f.name != "windows"])
    for lo in range(0, n, batch):
        idx = np.arange(lo, min(n, lo + batch))
        m = len(idx)
        ten = tenants[idx % 4]
        docs = [f"docs/{t}/doc-{i // 20:06d}.md" for t, i in zip(ten, idx, strict=True)]
        pos = (idx % 20).astype(np.int32)
        if gen is not None:
            texts, vecs = zipf_batch(gen, centres, nrng, idx, zipf_length(n))
        else:
            wi = nrng.integers(0, len(words), (m, 36))
            texts = [" ".join(row) + "." for row in words[wi]]
            vecs = clustered(nrng, centres, m)
        cols = {
            "chunk_id": [chunk_uuid(t, d, "1", int(q)) for t, d, q in zip(ten, docs, pos, strict=True)],
            "doc_id": docs, "tenant_id": ten.tolist(), "access_level": (idx % 3).astype(np.int32),
            "doc_type": ["playbook"] * m, "title": [f"Handbook {i // 20}" for i in idx], "version": ["1"] * m,
            "position": pos, "text": texts, "index_text": texts, "search_text": texts,
            "section_path": [[] for _ in range(m)], "page": pa.nulls(m, pa.int32()),
            "char_start": np.zeros(m, np.int64), "char_end": np.array([len(t) for t in texts], np.int64),
            "approved": np.ones(m, bool), "superseded": np.zeros(m, bool),
            "valid_from": np.full(m, MIN_TS, np.int64), "valid_until": np.full(m, MAX_TS, np.int64),
            "content_hash": [""] * m, "doc_hash": [""] * m, "pii_spans": ["[]"] * m,
            "injection_flag": np.zeros(m, bool),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vecs.ravel()), dim),
        }
        store.bulk_add(pa.table(cols, schema=schema))
    store.optimize()


def measure(retriever: Any, principal: Any, repeat: int, store: Any = None, *,
            others: dict[str, Any] | None = None, flat: bool = True,
            queries: list[str] | None = None) -> dict[str, Any]:
    """p50/p95 per mode; with an ANN ``store`` (and ``flat``) also the flat scan, interleaved query by
    query so both see the same machine load (the comparison is the point, absolute values are noisy).
    ``others``: more retrievers (label -> retriever) run interleaved the same way; their rows come
    back under ``"others"``. ``queries``: the searches (default :data:`QUERIES`). ``cpu_ms``: CPU
    time of this process per search (all its threads:
    LanceDB's, the full-text pool's, torch's), which other load on the machine barely changes."""
    out: dict[str, Any] = {}
    exact: dict[str, Any] = {}
    compare = flat and store is not None and getattr(store, "has_ann_index", False)
    others = others or {}
    other_rows: dict[str, dict[str, Any]] = {label: {} for label in others}

    def run(r: Any, mode: str, q: str, cpu: list[float]) -> list[float]:
        c = time.process_time()
        ms = timed(partial(r.search, q, principal, k=10, mode=mode), 1)
        cpu.append((time.process_time() - c) * 1000)
        return ms

    for mode in ("hybrid", "dense", "fulltext"):
        ms: list[float] = []
        flat_ms: list[float] = []
        cpu: list[float] = []
        flat_cpu: list[float] = []
        oms: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in others}
        for _ in range(repeat):
            for q in queries or QUERIES:
                ms += run(retriever, mode, q, cpu)
                for label, r in others.items():
                    oms[label][0].extend(run(r, mode, q, oms[label][1]))
                if compare and mode != "fulltext":
                    store.exact_search = True
                    try:
                        flat_ms += run(retriever, mode, q, flat_cpu)
                    finally:
                        store.exact_search = False
        out[mode] = {**lat(ms), "cpu_ms": round(float(np.mean(cpu)), 2)}
        for label, (lms, lcpu) in oms.items():
            other_rows[label][mode] = {**lat(lms), "cpu_ms": round(float(np.mean(lcpu)), 2)}
        if flat_ms:
            exact[mode] = {**lat(flat_ms), "cpu_ms": round(float(np.mean(flat_cpu)), 2)}
    if exact:
        exact["fulltext"] = out["fulltext"]
        out["exact"] = exact
    if others:
        out["others"] = other_rows
    return out


def ann_recall(store: Any, principal: Any, n: int, queries: int = 100, k: int = 10,
               candidates: int = 50, pool_compare: bool = True) -> dict[str, Any]:
    """recall@k of the ANN path vs exact search, same pre-filter; also whether top-k stays full.

    Measured for a top-``k`` query and for the retriever's own request (``candidates`` hits, of
    which the top ``k`` are compared; the recall of all ``candidates`` is reported too)."""
    from retrievers.access import access_filter

    flt = access_filter(principal)
    rng = np.random.default_rng(99)
    qs = clustered(rng, topic_centres(store.dim, n), queries)
    rec, rec_c_top, rec_c, full, ann_ms, ann_c_ms, exact_ms, wide_ms = [], [], [], 0, [], [], [], []
    legacy = getattr(store, "ann_refine_factor", None) if pool_compare else None
    for q in qs:
        t = time.perf_counter()
        exact_c = [h.chunk.chunk_id for h in store.dense_search(q, flt, candidates, exact=True)]
        exact_ms.append((time.perf_counter() - t) * 1000)
        exact = exact_c[:k]
        t = time.perf_counter()
        got = [h.chunk.chunk_id for h in store.dense_search(q, flt, k)]
        ann_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        got_c = [h.chunk.chunk_id for h in store.dense_search(q, flt, candidates)]
        ann_c_ms.append((time.perf_counter() - t) * 1000)
        if legacy is not None:
            # The same wide request re-ranking refine_factor x candidates (the rule before the
            # fixed re-rank pool), interleaved so both see the same load.
            store.refine_factor_for = lambda k, f=legacy: f
            try:
                t = time.perf_counter()
                store.dense_search(q, flt, candidates)
                wide_ms.append((time.perf_counter() - t) * 1000)
            finally:
                del store.refine_factor_for
        rec.append(len(set(got) & set(exact)) / max(1, len(exact)))
        rec_c_top.append(len(set(got_c[:k]) & set(exact)) / max(1, len(exact)))
        rec_c.append(len(set(got_c) & set(exact_c)) / max(1, len(exact_c)))
        full += len(got) == k and len(got_c) == candidates
    return {"recall_at_10": round(float(np.mean(rec)), 4), "full_topk_share": round(full / queries, 3),
            f"recall_at_10_of_{candidates}": round(float(np.mean(rec_c_top)), 4),
            f"recall_at_{candidates}": round(float(np.mean(rec_c)), 4),
            "nprobes": getattr(store, "effective_nprobes", None),
            "refine_factor": {str(k): store.refine_factor_for(k), str(candidates): store.refine_factor_for(candidates)}
            if hasattr(store, "refine_factor_for") else None,
            "ann_vector_query": lat(ann_ms), f"ann_vector_query_{candidates}": lat(ann_c_ms),
            f"exact_vector_query_{candidates}": lat(exact_ms),
            f"ann_vector_query_{candidates}_pool_x{candidates}": lat(wide_ms) if wide_ms else None,
            "queries": queries, "index": store.has_ann_index}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def concurrent_clients(base_url: str, key: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads, each with its own connection, searching distinct queries for ``seconds``
    (run in a child process by :func:`clients_in_child`, so the clients never share the server's GIL)."""
    import httpx

    rng = random.Random(clients)
    pool = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))) for _ in range(5000)]
    ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=120) as c:
            j = i
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = c.post("/v1/search", json={"query": pool[j % len(pool)], "k": 10})
                dt = (time.perf_counter() - t) * 1000
                j += clients
                with lock:
                    if r.status_code == 200:
                        ms.append(dt)
                    else:
                        errors += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(ms), "errors": errors, "req_per_s": round(len(ms) / wall, 1),
            **lat(ms)}


def clients_in_child(base_url: str, key: str, clients: int, seconds: float) -> dict[str, Any]:
    """:func:`concurrent_clients` in a separate process; adds the server's CPU time per request
    (CPU seconds of this process, which runs only the server meanwhile: robust to other load)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    cpu0, load0 = time.process_time(), os.getloadavg()[0]
    with ctx.Pool(1) as pool:
        res: dict[str, Any] = pool.apply(concurrent_clients, (base_url, key, clients, seconds))
    cpu = time.process_time() - cpu0
    res["server_cpu_ms_per_request"] = round(cpu * 1000 / max(1, res["requests"] + res["errors"]), 2)
    res["load_avg_1m"] = round(max(load0, os.getloadavg()[0]), 2)
    return res


def http_overhead(data_dir: Path, services: Any, principal_tenant: str, repeat: int,
                  clients: tuple[int, ...] = (), seconds: float = 20.0) -> dict[str, Any] | None:
    try:
        import httpx
        import uvicorn

        from copilot.api.app import create_app
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
    # Measure the steady state: the background sentence prewarm (one core for a minute or two
    # after startup; it yields the model to queries) has finished.
    t_pre = time.time()
    while (settings.answer_prewarm_sentences > 0 and getattr(state, "prewarm_seconds", None) is None
           and time.time() - t_pre < 900):
        time.sleep(0.5)
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
    url = f"http://127.0.0.1:{port}"
    conc = [clients_in_child(url, key, c, seconds) for c in clients]
    # The same load with one forward pass per query (batching off), right after: what batching buys.
    unbatched = []
    batcher = services.retriever.query_vectors.batcher
    for c in [c for c in clients if c > 1][:1]:
        batcher.max_batch = 1
        try:
            unbatched.append(clients_in_child(url, key, c, seconds))
        finally:
            batcher.max_batch = services.settings.query_batch_size
    server.should_exit = True
    th.join(timeout=10)
    d, h = lat(direct), lat(http)
    return {"direct": d, "http": h, "ratio_p50": round(h["p50_ms"] / d["p50_ms"], 2),
            "ratio_p95": round(h["p95_ms"] / d["p95_ms"], 2), "concurrent": conc, "concurrent_unbatched": unbatched,
            "prewarm_s": getattr(state, "prewarm_seconds", None), "pii_detection": services.settings.pii_detection}


def store_name(n: int, text: str) -> str:
    """Folder name of a generated store (the uniform generator's keeps its former name)."""
    return f"n{n}" if text == "uniform" else f"n{n}-{text}"


def fill(store: Any, n: int, dim: int, text: str) -> None:
    (fill_store if n <= 10_000 else fill_store_fast)(store, n, dim, text=text)


def cached_store(cache: Path, n: int, services: Any, text: str = "zipf") -> tuple[Any, bool]:
    """Point the services' index at ``cache/<store_name>`` (a symlink); reuse it when a finished build is there."""
    from copilot.core.services import build_services

    target = cache / store_name(n, text)
    done = (target / "complete").exists()
    if not done:
        shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    settings = services.settings
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    settings.index_dir.symlink_to(target.resolve(), target_is_directory=True)
    return build_services(settings), done


def layout_store(folder: Path, n: int, services: Any, layout: str, text: str = "zipf") -> tuple[Any, float, bool]:
    """The same generated data in another LanceDB layout (reused when a finished build is in ``folder``)."""
    from retrievers.stores.lancedb import LanceDBStore

    s = services.settings
    done = (folder / "complete").exists()
    if not done:
        shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    store = LanceDBStore(folder, dim=services.embedder.dim, ann_min_rows=s.ann_min_rows, ann_nprobes=s.ann_nprobes,
                         ann_refine_factor=s.ann_refine_factor, layout=layout)
    if done:
        store.ensure_indexes()
    else:
        fill(store, n, services.embedder.dim, text)
        (folder / "complete").write_text(str(n))
    return store, round(time.perf_counter() - t, 1), done


# The store's query-path options as they were before the 1M search work: the tables' kept rows
# read one after the other.
BEFORE: dict[str, Any] = {"concurrent_reads": False}


def prefilter_twin(services: Any, store: Any, path: Path | None = None, **options: Any) -> tuple[Any, Any]:
    """The served store's folder (or ``path``, the same data written otherwise) opened again with
    adaptive filtering off (or other ``options``), and a retriever over it."""
    from retrievers.stores.lancedb import LanceDBStore

    options = options or {"adaptive_filter": False}
    twin = LanceDBStore(path or store.path, dim=store.dim, ann_min_rows=store.ann_min_rows,
                        ann_nprobes=store.ann_nprobes, ann_refine_factor=store.ann_refine_factor, layout=store.layout,
                        **options)
    twin.ensure_indexes()
    retriever = copy.copy(services.retriever)
    retriever.store = twin
    return retriever, twin


def layout_row(store: Any, principal: Any, n: int, timings: dict[str, Any],
               recall_queries: int, pool_compare: bool) -> dict[str, Any]:
    """One layout's results at one size: latencies (from ``timings``), recall, index state."""
    row: dict[str, Any] = {**timings, "ann_index": store.has_ann_index,
                           "tables": len(getattr(store, "tables", dict)()) or 1}
    if store.has_ann_index:
        row["recall"] = ann_recall(store, principal, n, queries=recall_queries, pool_compare=pool_compare)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_perf", help="JSON/Markdown file stem")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--clients", default="1,10,50", help="concurrent API clients (empty: skip)")
    ap.add_argument("--client-seconds", type=float, default=20.0)
    ap.add_argument("--http-size", type=int, default=10_000, help="index size the API runs are made on")
    ap.add_argument("--store-cache", type=Path, default=None,
                    help="keep the generated stores here and reuse them in later runs (the 1M build takes "
                         "tens of minutes; the data is the same for the same size and seed)")
    ap.add_argument("--layouts", default="tenant",
                    help="LanceDB layouts searched side by side: the first is served (tenant), e.g. tenant,single")
    ap.add_argument("--no-flat", action="store_true", help="skip the interleaved flat-scan comparison")
    ap.add_argument("--compare-prefilter", action="store_true",
                    help="also search the served store with adaptive filtering off (every query pre-filtered)")
    ap.add_argument("--compare-before", action="store_true",
                    help="also search the served store with the query-path options as they were before issue 17's "
                         "1M work (BEFORE)")
    ap.add_argument("--before-cache", type=Path, default=None,
                    help="with --compare-before: the store cache holding the same data as written before (the "
                         "former file format), searched as the 'before' variant instead of the served folder")
    ap.add_argument("--recall-queries", type=int, default=100)
    ap.add_argument("--text", choices=("zipf", "uniform"), default="zipf",
                    help="chunk texts and queries: zipf (natural-language word statistics, evals/zipf_text.py) "
                         "or uniform (the former generator: ~60 words drawn uniformly, fixed queries)")
    ap.add_argument("--queries", type=int, default=10, help="Zipf queries searched per repeat")
    ap.add_argument("--report-only", type=Path, default=None, help="rewrite the report of this JSON result")
    args = ap.parse_args(argv)
    if args.report_only is not None:
        done = json.loads(args.report_only.read_text())
        done["sizes"] = {int(n): row for n, row in done["sizes"].items()}
        report(done, sorted(done["sizes"]), args.out, args.name)
        return 0
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings
    from retrievers.access import AccessLevel, Principal

    sizes = [int(x) for x in args.sizes.split(",") if x]
    clients = tuple(int(x) for x in args.clients.split(",") if x)
    layouts = [x for x in args.layouts.split(",") if x]
    if layouts[0] != "tenant":
        ap.error("the first layout is the one the service builds: tenant")
    tmp = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    principal = Principal("bench", "alder", AccessLevel.INTERNAL)
    result: dict[str, Any] = {"machine": machine(), "sizes": {}, "layouts": layouts, "text": args.text,
                              "before_cache": str(args.before_cache) if args.before_cache else None}
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for n in sizes:
            # Query cache off: every search pays the real query embedding. PII detection on, as
            # served: the API redacts each question for its audit row (the detector loads lazily,
            # so only the HTTP runs load it).
            services = build_services(load_settings(
                data_dir=tmp / f"n{n}", pii_detection=True, query_cache_size=0,
                api_rate_limit="10000000/minute",  # the benchmark measures throughput, not the limiter
                # The sentence prewarm for /v1/ask (a startup task that yields the model to queries)
                # would share the CPU with the first minutes of the HTTP runs: off, steady state only.
                answer_prewarm_sentences=0,
            ))
            t = time.perf_counter()
            reused = False
            if args.store_cache is not None:
                services, reused = cached_store(args.store_cache, n, services, args.text)
            if reused:
                services.store.ensure_indexes()  # type: ignore[attr-defined]  # LanceDBStore
            else:
                fill(services.store, n, services.embedder.dim, args.text)
                if args.store_cache is not None:
                    (args.store_cache / store_name(n, args.text) / "complete").write_text(str(n))
            load_s = time.perf_counter() - t
            queries = zipf_text(n).queries(args.queries) if args.text == "zipf" else QUERIES
            store: Any = services.store  # LanceDBStore: the ANN switches are backend-specific
            services.retriever.search("warm up", principal, k=10)
            rss_served = rss_mb()
            # The other layouts: same data, same query path, only the store differs.
            others: dict[str, tuple[Any, Any, dict[str, Any]]] = {}
            for layout in layouts[1:]:
                root = args.store_cache if args.store_cache is not None else tmp
                ostore, o_load, o_reused = layout_store(root / f"{store_name(n, args.text)}-{layout}", n, services,
                                                       layout, args.text)
                oret = copy.copy(services.retriever)
                oret.store = ostore
                oret.search("warm up", principal, k=10)
                others[layout] = (oret, ostore, {"load_s": o_load, "store_reused": o_reused, "rss_mb": rss_mb()})
            if args.compare_prefilter:
                pret, pstore = prefilter_twin(services, store)
                pret.search("warm up", principal, k=10)
                others["prefilter"] = (pret, pstore, {"load_s": 0.0, "store_reused": True, "rss_mb": rss_mb()})
            if args.compare_before:
                before_path = args.before_cache / store_name(n, args.text) if args.before_cache else None
                pret, pstore = prefilter_twin(services, store, before_path, **BEFORE)
                pret.search("warm up", principal, k=10)
                others["before"] = (pret, pstore, {"load_s": 0.0, "store_reused": True, "rss_mb": rss_mb()})
            # With an index, the same searches on the same store with it bypassed (the flat scan
            # of before) run interleaved with the ANN ones, and so do the other layouts' searches.
            timings = measure(services.retriever, principal, args.repeat, store, flat=not args.no_flat,
                              others={label: o[0] for label, o in others.items()}, queries=queries)
            other_timings = timings.pop("others", {})
            row: dict[str, Any] = {"load_s": round(load_s, 1), "store_reused": reused,
                                   "filter_counts": dict(getattr(store, "filter_counts", {})),
                                   # dense table queries answered by the in-process mirror of small tables
                                   "mirror_queries": getattr(store, "mirror_queries", None),
                                   **layout_row(store, principal, n, timings,
                                                args.recall_queries, pool_compare=not others)}
            row["rss_mb"] = rss_served
            row["layouts"] = {"tenant": {k: v for k, v in row.items() if k != "layouts"}}
            for label, (_, ostore, info) in others.items():
                row["layouts"][label] = {**info, "filter_counts": dict(getattr(ostore, "filter_counts", {})),
                                         **layout_row(ostore, principal, n, other_timings[label],
                                                      args.recall_queries, pool_compare=False)}
            row["rss_mb_all_layouts"] = rss_mb()
            result["sizes"][n] = row
            print(n, json.dumps(row, default=str), flush=True)
            (args.out / f"{args.name}.partial.json").write_text(json.dumps(result, indent=1, default=str))
            if n == args.http_size and clients is not None:
                result["http"] = http_overhead(tmp / f"n{n}", services, "alder", args.repeat, clients,
                                               args.client_seconds)
                result["http_index_chunks"] = n
            shutil.rmtree(tmp / f"n{n}", ignore_errors=True)
            del services, store, others
        result["peak_rss_mb"] = peak_rss_mb()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (args.out / f"{args.name}.partial.json").unlink(missing_ok=True)
    report(result, sizes, args.out, args.name)
    return 0


def report(result: dict[str, Any], sizes: list[int], out: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for mode in ("hybrid", "dense", "fulltext"):
        ax.plot(sizes, [result["sizes"][n][mode]["p95_ms"] for n in sizes], "-o", label=f"{mode} p95")
    for label in result.get("layouts", ["tenant"])[1:]:
        ls = [n for n in sizes if label in result["sizes"][n].get("layouts", {})]
        ax.plot(ls, [result["sizes"][n]["layouts"][label]["hybrid"]["p95_ms"] for n in ls], "--s",
                label=f"hybrid p95, {label} layout")
    ex = [n for n in sizes if "exact" in result["sizes"][n]]
    if ex:
        ax.plot(ex, [result["sizes"][n]["exact"]["hybrid"]["p95_ms"] for n in ex], "--x", label="hybrid p95, flat scan")
    for y in (50, 60, 150):
        ax.axhline(y, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("ms per search (incl. query embedding)")
    ax.set_title("Search latency growth (ANN index above the threshold)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / f"{name}-latency-growth.png", dpi=110)
    plt.close(fig)

    text = {"zipf": "Zipf-distributed texts and queries (evals/zipf_text.py)",
            "uniform": "texts of ~60 words drawn uniformly, 10 fixed queries"}.get(result.get("text", "uniform"), "")
    md = ["# Search performance benchmark", "", f"Machine: {result['machine']}.", "",
          f"Synthetic chunks ({text}) with generated vectors around topic centres; queries embedded by the real model "
          "(query cache off); principal sees 2 of 4 tenants and 3 of 4 levels. Targets: hybrid p95 < 50 ms "
          "at 10k, < 60 ms at 100k, < 150 ms at 1M; recall@10 >= .97.", "",
          "| chunks | ANN index | hybrid p50 | hybrid p95 | hybrid p95 flat scan | hybrid CPU ms (flat) | dense p95 | "
          "full-text p95 | recall@10 vs exact (k=10 / top 10 of 50) | recall@50 | full top-k | RSS MB |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in sizes:
        r = result["sizes"][n]
        rec = r.get("recall", {})
        md.append(f"| {n:,} | {'yes' if r['ann_index'] else 'no (flat)'} | {r['hybrid']['p50_ms']} | "
                  f"{r['hybrid']['p95_ms']} | {r['exact']['hybrid']['p95_ms'] if 'exact' in r else '-'} | "
                  f"{r['hybrid'].get('cpu_ms', '-')} "
                  f"({r['exact']['hybrid'].get('cpu_ms', '-') if 'exact' in r else '-'}) | "
                  f"{r['dense']['p95_ms']} | "
                  f"{r['fulltext']['p95_ms']} | {rec.get('recall_at_10', '-')} / "
                  f"{rec.get('recall_at_10_of_50', '-')} | "
                  f"{rec.get('recall_at_50', '-')} | {rec.get('full_topk_share', '-')} | "
                  f"{r['rss_mb']} |")
    variants = {label for n in sizes for label in result["sizes"][n].get("layouts", {})}
    if len(variants) > 1:
        baseline = next(v for v in ("prefilter", "before", "single") if v in variants)
        md += ["", "## Side by side (same data, same process, interleaved query by query)", "",
               "`tenant` (served): a tenant with 100k+ chunks in its own table, smaller ones sharing one; only "
               "the caller's tenants' tables are searched (concurrently) and merged; each table query post-filters "
               "when the caller sees at least half of the table (adaptive filtering), else pre-filters. "
               "`prefilter`: the same folder with every table query pre-filtered (the access predicate evaluated "
               "on every row before ranking). "
               + ("`before`: the same data as written before the 1M work (Lance file format 2.2, LanceDB's default; "
                  "indexes built by that build), searched as before it (the tables' kept rows read one after the "
                  "other). " if result.get("before_cache") else "`before`: the same folder with the query path as "
                  "before the 1M work (the tables' kept rows read one after the other). ") +
               "`single`: every tenant in one table. Filter counts: table queries "
               "pre-filtered / post-filtered / post-filtered then re-run pre-filtered (fallback). "
               "CPU = this process's CPU time per search.", "",
               "| chunks | variant | tables | hybrid p50 | hybrid p95 | hybrid CPU ms | dense p95 | full-text p95 | "
               "recall@10 vs exact (k=10 / top 10 of 50) | full top-k | nprobes | filter pre / post / fallback | "
               f"RSS MB after loading | hybrid p95 ÷ {baseline} |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in sizes:
            lays = result["sizes"][n].get("layouts", {})
            base = lays.get(baseline, {}).get("hybrid", {}).get("p95_ms")
            for label, r in lays.items():
                rec = r.get("recall", {})
                ratio = round(r["hybrid"]["p95_ms"] / base, 2) if base else "-"
                counts = r.get("filter_counts") or {}
                fc = " / ".join(str(counts.get(x, "-")) for x in ("pre", "post", "fallback"))
                md.append(f"| {n:,} | {label} | {r.get('tables', '-')} | {r['hybrid']['p50_ms']} | "
                          f"{r['hybrid']['p95_ms']} | {r['hybrid'].get('cpu_ms', '-')} | {r['dense']['p95_ms']} | "
                          f"{r['fulltext']['p95_ms']} | {rec.get('recall_at_10', '-')} / "
                          f"{rec.get('recall_at_10_of_50', '-')} | {rec.get('full_topk_share', '-')} | "
                          f"{rec.get('nprobes', '-')} | {fc} | {r.get('rss_mb', '-')} | {ratio} |")
    h = result.get("http")
    if h and "error" not in h:
        md += ["", f"## HTTP overhead ({result['http_index_chunks']:,} chunks)", "",
               "| path | p50 ms | p95 ms |", "|---|---|---|",
               f"| direct Retriever.search | {h['direct']['p50_ms']} | {h['direct']['p95_ms']} |",
               f"| POST /v1/search (uvicorn, API key) | {h['http']['p50_ms']} | {h['http']['p95_ms']} |",
               "", f"Ratio HTTP ÷ direct: p50 {h['ratio_p50']}×, p95 {h['ratio_p95']}×"]
        if h.get("concurrent"):
            md += ["", "## Concurrent clients (loopback, distinct queries, one uvicorn worker)", "",
                   "Clients run in a separate process; server CPU per request = CPU seconds of the server "
                   "process ÷ requests (robust to other load on the machine). PII detection "
                   f"{'on' if h.get('pii_detection') else 'off'}; sentence prewarm for answers off (steady "
                   "state).", "",
                   "| clients | query batching | req/s | p50 ms | p95 ms | server CPU ms/request | load avg | errors |",
                   "|---|---|---|---|---|---|---|---|"]
            for label, rows in (("on", h["concurrent"]), ("off", h.get("concurrent_unbatched", []))):
                for c in rows:
                    md.append(f"| {c['clients']} | {label} | {c['req_per_s']} | {c['p50_ms']} | {c['p95_ms']} | "
                              f"{c.get('server_cpu_ms_per_request', '-')} | {c.get('load_avg_1m', '-')} | "
                              f"{c['errors']} |")
    elif h:
        md += ["", f"HTTP overhead not measured: {h['error']}"]
    md += ["", f"Peak RSS: {result.get('peak_rss_mb')} MB", "", f"![growth]({name}-latency-growth.png)", ""]
    write(out, name, result, "\n".join(md))


if __name__ == "__main__":
    raise SystemExit(main())
