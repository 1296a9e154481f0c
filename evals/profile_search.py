"""Where the server's CPU goes for ``POST /v1/search`` under concurrent clients.

Runs the API in this process over the benchmark's synthetic index (``evals.bench_perf``: 10k chunks,
IVF-PQ, PII detection on, query cache off), drives it with N clients from a child process, and
reports two views of the same load:

- **threads**: CPU seconds of every OS thread of the server process (``/proc/self/task``), grouped by
  thread name. Native threads (LanceDB's Rust runtime, torch) are invisible to a Python profiler.
- **stages**: with yappi (CPU clock, every Python thread), the inclusive CPU time of the functions
  that make up a request: encoder, vector and full-text queries, fusion, re-check, snippet
  redaction, PII check of the audited question, audit write, auth, middleware, serialisation.
  Profiling slows Python code down; the shares, not the absolute numbers, are the result.

``python -m evals.profile_search --out reports/bench --clients 10 --seconds 20``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from evals.bench_common import machine
from evals.bench_perf import _free_port, clients_in_child, fill_store

# (label, module suffix, function name): inclusive CPU of these functions, summed per label.
STAGES: list[tuple[str, str, str]] = [
    ("request total (middleware in)", "copilot/api/middleware.py", "__call__"),
    ("search route handler", "copilot/api/routes/search.py", "search"),
    ("auth + rate limit", "copilot/api/deps.py", "get_principal"),
    ("query planning (doc scope)", "copilot/answering/search.py", "plan_query"),
    ("retriever.search", "retrievers/retriever.py", "search"),
    ("query vector (batched encoder)", "retrievers/embeddings.py", "vector"),
    ("encoder forward passes (all requests' batches)", "retrievers/embeddings.py", "_encode"),
    # With COPILOT_EMBED_QUERY_BACKEND=onnx|onnx-int8 query batches go here instead (ONNX Runtime).
    ("query encoder batches (torch or ONNX)", "retrievers/embeddings.py", "encode_queries"),
    ("LanceDB vector query", "retrievers/stores/lancedb.py", "dense_search"),
    ("LanceDB full-text query", "retrievers/stores/lancedb.py", "text_search"),
    ("rows -> chunks + store re-check", "retrievers/stores/lancedb.py", "_checked"),
    ("RRF fusion", "retrievers/retriever.py", "rrf_fuse"),
    ("retriever re-check", "retrievers/retriever.py", "_recheck"),
    ("snippet redaction", "copilot/core/redact.py", "chunk_text"),
    ("API key lookup + seal check", "copilot/core/auth.py", "authenticate"),
    ("rate limiter", "limits/strategies.py", "hit"),
    ("PII detector batches (spaCy + Presidio)", "guardrails/pii/engine.py", "detect_batch"),
    ("audit row total", "copilot/api/middleware.py", "_audit"),
    ("PII check of audited question", "copilot/api/middleware.py", "_logged_query"),
    ("known-PII table", "copilot/api/middleware.py", "_known_pii"),
    ("audit append (HMAC + SQL commit)", "copilot/core/audit.py", "append"),
    ("response validation + JSON", "fastapi/routing.py", "serialize_response"),
    ("request body parse + validation", "fastapi/routing.py", "_extract_endpoint_context"),
    ("HTTP protocol (uvicorn)", "uvicorn/protocols/http/h11_impl.py", "data_received"),
    ("HTTP protocol (uvicorn)", "uvicorn/protocols/http/httptools_impl.py", "data_received"),
]


def thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name of this process. Python threads go by their ``threading`` name
    (the OS shows them all as ``python``); an OS thread without one is native (BLAS, ONNX Runtime,
    a Rust runtime not naming its threads) and is counted as ``native: <comm>``, which is how an idle
    OpenBLAS thread spinning beside the requests showed up."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    py_names = {t.native_id: t.name for t in threading.enumerate()}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        py = py_names.get(int(task.name))
        name = f"native: {name}" if py is None and name == "python" else (py or name)
        # Numbered pool threads (tokio-runtime-w, AnyIO worker 3, fulltext_1, Thread-4 (run)) are grouped.
        key = re.sub(r"[-_ ]*\d+( \(\w+\))?$", "", name) or name
        out[key] = out.get(key, 0.0) + cpu
    return out


def _delta(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: round(b.get(k, 0.0) - a.get(k, 0.0), 3) for k in set(a) | set(b) if b.get(k, 0.0) - a.get(k, 0.0) > 0}


def start_api(data_dir: Path, store_cache: Path | None, database: str | None = None) -> tuple[Any, Any, str, str]:
    """Services over the 10k synthetic index, the app served by uvicorn in a thread; (server, services, url, key)."""
    import uvicorn

    from copilot.api.app import create_app
    from copilot.core.services import build_services
    from copilot.core.settings import load_settings
    from evals.bench_perf import cached_store

    settings = load_settings(data_dir=data_dir, database_url=database, pii_detection=True, query_cache_size=0,
                             api_rate_limit="10000000/minute", answer_prewarm_sentences=0)
    services = build_services(settings)
    reused = False
    if store_cache is not None:
        services, reused = cached_store(store_cache, 10_000, services)
    if reused:
        services.store.ensure_indexes()  # type: ignore[attr-defined]
    else:
        fill_store(services.store, 10_000, services.embedder.dim)
        if store_cache is not None:
            (store_cache / "n10000" / "complete").write_text("10000")
    app = create_app(services.settings, services)
    port = _free_port()
    try:
        from copilot.cli.commands.serve import SERVER_OPTIONS
    except ImportError:  # an older checkout profiled for comparison: served with uvicorn's h11 and asyncio
        SERVER_OPTIONS = {"http": "h11", "loop": "asyncio"}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS))
    threading.Thread(target=server.run, daemon=True).start()
    state = app.state.copilot
    deadline = time.time() + 180
    while not getattr(state, "ready", False) and time.time() < deadline:
        time.sleep(0.2)
    if not state.ready:
        raise RuntimeError(getattr(state, "startup_error", "API did not become ready"))
    key, _ = state.keys.create("profile", "alder", "internal")
    return server, services, f"http://127.0.0.1:{port}", key


def stage_table(stats: Any, requests: int) -> list[dict[str, Any]]:
    sums: dict[str, float] = {}
    for label, mod, fn in STAGES:
        for s in stats:
            # yappi names methods Class.method.
            if s.name.rsplit(".", 1)[-1] == fn and s.module.replace(os.sep, "/").endswith(mod):
                sums[label] = sums.get(label, 0.0) + s.ttot
    return [{"stage": label, "cpu_ms_per_request": round(v * 1000 / max(1, requests), 2)}
            for label, v in sums.items()]


def render(result: dict[str, Any]) -> str:
    """The Markdown view of one profile run."""
    un, pr = result["unprofiled"], result["profiled"]
    lines = [
        f"### {result['clients']} clients, {result['seconds']} s per run", "",
        f"Without profiler: {un['req_per_s']} req/s, server CPU {un['server_cpu_ms_per_request']} ms/request, "
        f"load average {un['load_avg_1m']}. Under yappi: {pr['req_per_s']} req/s, "
        f"{pr['server_cpu_ms_per_request']} ms/request.", "",
        "CPU per request by OS thread (no profiler; Python threads by their name, `native: python` = "
        "threads started by native libraries without a name, `lancedb-tokio-w` = LanceDB's Rust query runtime):", "",
        "| thread | CPU ms/request |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in result["threads_cpu_ms_per_request"].items()], "",
        "Inclusive CPU per request of the request's stages (yappi CPU clock, all Python threads; stages "
        "nest, so they do not add up; native work on LanceDB's own threads is not in these):", "",
        "| stage | CPU ms/request |", "|---|---|",
        *[f"| {r['stage']} | {r['cpu_ms_per_request']} |" for r in result["stages"]], "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="profile_search")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--store-cache", type=Path, default=None)
    ap.add_argument("--database", default=None, help="governance database URL (default: SQLite in a temp dir)")
    args = ap.parse_args(argv)
    import httpx
    import yappi

    tmp = Path(tempfile.mkdtemp(prefix="profile-search-"))
    server, services, url, key = start_api(tmp / "data", args.store_cache, args.database)
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as c:
        for _ in range(20):
            c.post("/v1/search", json={"query": "warm up the service", "k": 10}).raise_for_status()
    result: dict[str, Any] = {"machine": machine(), "clients": args.clients, "seconds": args.seconds,
                              "database": "postgresql" if args.database else "sqlite"}
    # 1. Threads, no profiler.
    before = thread_cpu()
    run = clients_in_child(url, key, args.clients, args.seconds)
    threads = _delta(before, thread_cpu())
    n = run["requests"] + run["errors"]
    result["unprofiled"] = run
    result["threads_cpu_ms_per_request"] = dict(sorted(
        ((k, round(v * 1000 / max(1, n), 2)) for k, v in threads.items()), key=lambda kv: -kv[1]))
    # 2. Python stages under yappi.
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    run2 = clients_in_child(url, key, args.clients, args.seconds)
    yappi.stop()
    n2 = run2["requests"] + run2["errors"]
    result["profiled"] = run2
    result["stages"] = stage_table(yappi.get_func_stats(), n2)
    top = sorted(yappi.get_func_stats(), key=lambda s: -s.tsub)[:40]
    result["top_self_cpu_ms_per_request"] = [
        {"function": f"{Path(s.module).name}:{s.name}", "self_ms": round(s.tsub * 1000 / max(1, n2), 3),
         "incl_ms": round(s.ttot * 1000 / max(1, n2), 3), "calls_per_request": round(s.ncall / max(1, n2), 2)}
        for s in top]
    server.should_exit = True
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1))
    (args.out / f"{args.name}.md").write_text(render(result))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
