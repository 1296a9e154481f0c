"""HTTP API benchmark on the demo index: ``python -m evals.bench_api --out reports/api``.

Starts ``copilot serve`` in a subprocess (uvicorn, one worker) over a demo data dir,
measures cold start to ``/readyz``, resident memory after start, ``/v1/search`` and
``/v1/ask`` p50/p95 with 1 and 10 concurrent clients (httpx), and, in the same run,
the direct ``Retriever.search`` call for the same questions and principals, so the
HTTP overhead is a ratio against a baseline measured on the same machine at the same
time. Also reports the server's torch thread count and its OS threads under load.

Targets (issue 4): search p95 <= 1.5 x direct retriever p95; ask (extractive) p95 < 300 ms;
10 concurrent clients with 0 errors; cold start < 15 s; RSS after start < 1.5 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil

from evals.bench_common import lat, machine, write

ROOT = Path(__file__).resolve().parents[1]
EVALSET = ROOT / "corpora" / "demo" / "evalset.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(proc: psutil.Process) -> float:
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return round(total / 2**20, 1)


def _server_process(pid: int) -> psutil.Process:
    """The python process that runs uvicorn (the launcher may be a wrapper)."""
    p = psutil.Process(pid)
    kids = p.children(recursive=True)
    return kids[-1] if kids else p


def run_load(url: str, path: str, items: list[tuple[str, dict[str, Any]]], concurrency: int) -> dict[str, Any]:
    """POST every (key, body) with ``concurrency`` clients; latencies in ms and error counts."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    refused = 0

    def one(client: httpx.Client, key: str, body: dict[str, Any]) -> None:
        nonlocal refused
        t = time.perf_counter()
        try:
            r = client.post(path, json=body, headers={"X-API-Key": key})
            ms = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                return
            if path == "/v1/ask" and r.json().get("refused"):
                refused += 1
            latencies.append(ms)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(concurrency)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(one, clients[i % concurrency], k, b) for i, (k, b) in enumerate(items)]
        for f in futures:
            f.result()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    out = {**lat(latencies), "errors": errors, "throughput_rps": round(len(items) / wall, 2)}
    if path == "/v1/ask":
        out["refused"] = refused
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("reports/api"))
    ap.add_argument("--data-dir", type=Path, default=Path(".data/bench-api"))
    ap.add_argument("--requests", type=int, default=80, help="requests per endpoint and concurrency level")
    args = ap.parse_args(argv)

    from copilot.cli.commands.demo import prepare_demo
    from copilot.core.auth import KeyStore
    from copilot.core.db import open_database
    from copilot.core.settings import load_settings
    from retrievers.access import AccessLevel, Principal

    settings = load_settings(data_dir=args.data_dir)
    print(f"preparing demo index in {settings.data_dir} ...", flush=True)
    services, report, _ = prepare_demo(settings, progress=False)
    cases = [json.loads(x) for x in EVALSET.read_text().splitlines() if x.strip()]
    db = open_database(settings.sqlalchemy_url)
    from copilot.core.audit import load_keyring

    store = KeyStore(db, load_keyring(settings), pepper=settings.api_key_pepper)
    keys: dict[tuple[str, str], str] = {}
    for c in cases:
        t, lvl = c["principal"]["tenant_id"], c["principal"]["access_level"]
        if (t, lvl) not in keys:
            keys[(t, lvl)] = store.create(f"bench-{t}-{lvl}-{os.getpid()}-{time.time_ns()}", t, lvl)[0]
    db.dispose()

    # ---- server: cold start, memory ---------------------------------------------------------
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COPILOT_DATA_DIR": str(settings.data_dir), "COPILOT_API_RATE_LIMIT": "1000000/minute"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "copilot.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    ready: dict[str, Any] = {}
    try:
        while time.perf_counter() - t0 < 180:
            try:
                r = httpx.get(f"{url}/readyz", timeout=2)
                if r.status_code == 200:
                    ready = r.json()
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            time.sleep(0.1)
        cold_start = time.perf_counter() - t0
        server = _server_process(proc.pid)
        rss_after_start = _rss_mb(server)
        # Sentence vectors are encoded in the background after ready; measure both phases.
        t1 = time.perf_counter()
        while time.perf_counter() - t1 < 300:
            ready = httpx.get(f"{url}/readyz", timeout=5).json()
            if ready.get("prewarm_seconds") is not None:
                break
            time.sleep(1)
        rss_after_prewarm = _rss_mb(server)

        searches = [(keys[(c["principal"]["tenant_id"], c["principal"]["access_level"])],
                     {"query": c["question"], "k": 10}) for c in cases]
        asks = [(k, {"question": b["query"]}) for k, b in searches]

        def take(items: list, n: int) -> list:
            return (items * (n // len(items) + 1))[:n]

        # Warm-up (first requests pay for lazy imports in the server).
        run_load(url, "/v1/search", take(searches, 5), 1)
        run_load(url, "/v1/ask", take(asks, 5), 1)
        results: dict[str, Any] = {}
        threads_under_load = 0
        for conc in (1, 10):
            for path, items in (("/v1/search", searches), ("/v1/ask", asks)):
                res = run_load(url, path, take(items, args.requests), conc)
                threads_under_load = max(threads_under_load, server.num_threads())
                results[f"{path} c={conc}"] = res
                print(f"{path} c={conc}: {res}", flush=True)
        rss_after_load = _rss_mb(server)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    # ---- direct retriever call, same questions and principals, same run ----------------------
    direct: list[float] = []
    for c in take_cases(cases, args.requests):
        p = Principal("bench", c["principal"]["tenant_id"], AccessLevel.parse(c["principal"]["access_level"]))
        t = time.perf_counter()
        services.retriever.search(c["question"], p, k=10)
        direct.append((time.perf_counter() - t) * 1000)
    import torch

    direct_lat = lat(direct)
    s1, a1 = results["/v1/search c=1"], results["/v1/ask c=1"]
    payload = {
        "machine": machine(),
        "index_chunks": services.store.count(),
        "cold_start_to_ready_s": round(cold_start, 2),
        "server_startup_s": ready.get("startup_seconds"),
        "prewarm_s": ready.get("prewarm_seconds"),
        "sentence_vectors": ready.get("sentence_vectors"),
        "rss_mb": {"after_start": rss_after_start, "after_prewarm": rss_after_prewarm, "after_load": rss_after_load},
        "torch_threads": {"server": ready.get("torch_threads"), "bench_process": torch.get_num_threads()},
        "server_os_threads_under_load": threads_under_load,
        "direct_retriever": direct_lat,
        "http": results,
        "ratios": {
            "search_p95_over_direct_p95": round(s1["p95_ms"] / direct_lat["p95_ms"], 2),
            "search_p50_over_direct_p50": round(s1["p50_ms"] / direct_lat["p50_ms"], 2),
            "ask_p95_over_direct_p95": round(a1["p95_ms"] / direct_lat["p95_ms"], 2),
        },
        "targets": {
            "search_p95_le_1.5x_direct": s1["p95_ms"] <= 1.5 * direct_lat["p95_ms"],
            "ask_p95_lt_300ms": a1["p95_ms"] < 300,
            "zero_errors_at_10_clients": not any(results[k]["errors"] for k in results if k.endswith("c=10")),
            "cold_start_lt_15s": cold_start < 15,
            "rss_after_start_lt_1.5GB": rss_after_start < 1536,
        },
    }
    rows = "\n".join(
        f"| {k} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | {v['n']} | {v['throughput_rps']} | {v['errors'] or 0} |"
        for k, v in results.items()
    )
    md = f"""# API benchmark (demo index, {payload['index_chunks']} chunks)

Machine: {payload['machine']}

| scenario | p50 ms | p95 ms | n | req/s | errors |
|---|---|---|---|---|---|
| direct Retriever.search | {direct_lat["p50_ms"]:.1f} | {direct_lat["p95_ms"]:.1f} | {direct_lat["n"]} | | |
{rows}

- search p95 / direct p95 (1 client): **{payload['ratios']['search_p95_over_direct_p95']}** (target <= 1.5)
- ask p95 (1 client): **{a1['p95_ms']:.1f} ms** (target < 300)
- cold start to /readyz: **{payload['cold_start_to_ready_s']} s** (target < 15); sentence prewarm after ready:
  {payload['prewarm_s']} s for {payload['sentence_vectors']} sentences
- RSS: {payload['rss_mb']} (target after start < 1536 MB)
- torch threads: {payload['torch_threads']}; server OS threads under load: {threads_under_load}
- targets met: {payload['targets']}
"""
    write(args.out, "bench_api", payload, md)
    return 0


def take_cases(cases: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return (cases * (n // len(cases) + 1))[:n]


if __name__ == "__main__":
    raise SystemExit(main())
