"""Search throughput of the API as served: requests/s, p50/p95 and server CPU per request at 1/10/50
clients, for several server set-ups run one after the other in the same run (interleaved rounds).

Every set-up is a real server process started the way an operator starts it (``copilot serve
[--workers N]``) on a copy of the benchmark's 10k-chunk synthetic index (``evals.bench_perf``,
IVF-PQ, PII detection on, query cache off, so every request pays the real query embedding) with
PostgreSQL as the governance store (required for several workers; one fresh database per set-up).
``--before DIR`` adds the same server from an older checkout (e.g. ``git archive <commit>``),
started as that version's ``copilot serve`` did (uvicorn's h11 parser and asyncio loop).

Server CPU per request = CPU seconds of the server's whole process tree during a client run ÷
requests: robust to other load on a shared machine, unlike req/s. The 1-minute load average is
recorded before and after each run.

``python -m evals.bench_throughput --database postgresql+psycopg://postgres@127.0.0.1:54371/postgres
--store-cache /tmp/cache --before /tmp/before --out reports/bench``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.bench_common import machine
from evals.bench_perf import _free_port, concurrent_clients, fill_store

ROOT = Path(__file__).resolve().parents[1]
SERVER_ENV = {
    "COPILOT_PII_DETECTION": "true",
    "COPILOT_QUERY_CACHE_SIZE": "0",
    "COPILOT_API_RATE_LIMIT": "10000000/minute",  # throughput, not the limiter, is measured
    "COPILOT_ANSWER_PREWARM_SENTENCES": "0",  # steady state: no background prewarm sharing the CPU
    "COPILOT_UPLOAD_PROCESS_PRESTART": "false",  # no upload worker loading its models during a run
    "COPILOT_UPLOAD_WORKER_NICE": "5",
}
BEFORE_SERVER = (
    "import uvicorn\n"
    "from copilot.api.app import create_app\n"
    "from copilot.core.settings import load_settings\n"
    "uvicorn.run(create_app(load_settings()), host='127.0.0.1', port={port}, log_level='warning',"
    " access_log=False, http='h11', loop='asyncio')\n"
)


def build_index(cache: Path) -> Path:
    """The 10k synthetic index (built once into ``cache``)."""
    target = cache / "n10000"
    if (target / "complete").exists():
        return target
    from retrievers.stores.lancedb import LanceDBStore

    shutil.rmtree(target, ignore_errors=True)
    store = LanceDBStore(target, dim=384)
    fill_store(store, 10_000, 384)
    (target / "complete").write_text("10000")
    return target


def fresh_database(admin_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def tree_cpu(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


class Server:
    """One server set-up: its process, data dir and database."""

    def __init__(self, name: str, code: Path, workers: int, legacy: bool, index: Path, db_url: str, work: Path,
                 extra_env: dict[str, str] | None = None):
        self.name, self.code, self.workers, self.legacy = name, code, workers, legacy
        self.extra_env = extra_env or {}
        self.data = work / name
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        shutil.copytree(index, self.data / "index", ignore=shutil.ignore_patterns("complete"))
        self.db_url = db_url
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_") and k != "DATABASE_URL"}
        env.update(SERVER_ENV, COPILOT_DATA_DIR=str(self.data), DATABASE_URL=self.db_url, PYTHONPATH=str(self.code))
        env.update(self.extra_env)
        return env

    def create_key(self) -> str:
        code = ("from copilot.core.settings import load_settings\n"
                "from copilot.core.db import open_database\n"
                "from copilot.core.audit import load_keyring\n"
                "from copilot.core.auth import KeyStore\n"
                "s = load_settings()\n"
                "k, _ = KeyStore(open_database(s.sqlalchemy_url), load_keyring(s), pepper=s.api_key_pepper)"
                ".create('bench', 'alder', 'internal')\n"
                "print(k)\n")
        out = subprocess.run([sys.executable, "-c", code], cwd=self.code, env=self.env(), check=True,
                             capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self, log: Path) -> None:
        import httpx

        if self.legacy:
            cmd = [sys.executable, "-c", BEFORE_SERVER.format(port=self.port)]
        else:
            cmd = [sys.executable, "-m", "copilot", "serve", "--port", str(self.port), "--workers",
                   str(self.workers), "--log-level", "warning"]
        t = time.perf_counter()
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(cmd, cwd=self.code, env=self.env(), stdout=fh, stderr=fh)
        # Every worker must be ready: /readyz answers from whichever worker accepts the connection.
        ok, deadline = 0, time.time() + 600
        while ok < 6 * self.workers and time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {log}")
            try:
                with httpx.Client(base_url=self.url, timeout=5) as c:  # a new connection each time
                    ok = ok + 1 if c.get("/readyz").status_code == 200 else 0
            except httpx.HTTPError:
                ok = 0
            time.sleep(0.5)
        if ok < 6 * self.workers:
            raise RuntimeError(f"{self.name} did not become ready; see {log}")
        self.startup_s = round(time.perf_counter() - t, 1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


def measure(server: Server, key: str, clients: list[int], seconds: float) -> list[dict[str, Any]]:
    import httpx

    assert server.proc is not None
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60) as c:
        c.post("/v1/search", json={"query": "warm up the search", "k": 10}).raise_for_status()
    # Warm every worker: a worker's first searches build per-process tables over the index (known
    # personal-data values, document mention statistics); concurrent connections reach all workers.
    concurrent_clients(server.url, key, 5 * server.workers, 8.0)
    rows = []
    for n in clients:
        load0 = os.getloadavg()[0]
        cpu0 = tree_cpu(server.proc.pid)
        res = concurrent_clients(server.url, key, n, seconds)
        cpu = tree_cpu(server.proc.pid) - cpu0
        res["server_cpu_ms_per_request"] = round(cpu * 1000 / max(1, res["requests"] + res["errors"]), 2)
        res["load_avg_1m"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        res["setup"] = server.name
        print(json.dumps(res), flush=True)
        rows.append(res)
    return rows


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per set-up and client count: the median of the rounds (req/s, p50, p95, CPU ms/request)."""
    import statistics

    out = []
    order = list(dict.fromkeys(r["setup"] for r in runs))  # as run: before, then after by workers
    keys = sorted({(r["setup"], r["clients"]) for r in runs}, key=lambda k: (k[1], order.index(k[0])))
    for setup, n in keys:
        rs = [r for r in runs if r["setup"] == setup and r["clients"] == n]
        out.append({"setup": setup, "clients": n, "rounds": len(rs),
                    **{f: round(statistics.median(r[f] for r in rs), 2)
                       for f in ("req_per_s", "p50_ms", "p95_ms", "server_cpu_ms_per_request")},
                    "errors": sum(r["errors"] for r in rs),
                    "load_avg_1m": [min(r["load_avg_1m"][0] for r in rs), max(r["load_avg_1m"][1] for r in rs)]})
    return out


def report(result: dict[str, Any], out: Path, name: str) -> None:
    rows = result["summary"]
    setups = list(dict.fromkeys(r["setup"] for r in rows))
    lines = [
        "# Search throughput: server set-ups side by side", "",
        f"Machine: {result['machine']}. {result['note']}", "",
        "Each set-up is a server process of its own on a copy of the same 10k-chunk synthetic index "
        "(IVF-PQ; PII check of every audited question on; query cache off; PostgreSQL governance store, "
        "fresh database per set-up); clients (httpx, one connection each, distinct queries) run in the "
        f"benchmark process for {result['seconds']} s per run; rounds: {result['rounds']} (set-ups interleaved, "
        "medians shown). Server CPU ms/request = CPU of the whole server process tree ÷ requests "
        "(robust to other load on the shared 2 cores; req/s is not).", "",
        "| set-up | clients | req/s | p50 ms | p95 ms | server CPU ms/request | load avg 1m (min-max) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        la = r["load_avg_1m"]
        lines.append(f"| {r['setup']} | {r['clients']} | {r['req_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r['server_cpu_ms_per_request']} | {la[0]}-{la[1]} | {r['errors']} |")
    lines += ["", "Start-up to every worker ready (s): " + ", ".join(
        f"{k}: {v}" for k, v in result["startup_s"].items()), "", f"![throughput]({name}.png)", ""]
    if result.get("extra_md"):
        lines += [result["extra_md"], ""]
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=1))
    (out / f"{name}.md").write_text("\n".join(lines))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    clients = sorted({r["clients"] for r in rows})
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    width = 0.8 / max(1, len(setups))
    for i, s in enumerate(setups):
        by = {r["clients"]: r for r in rows if r["setup"] == s}
        xs = [j + i * width for j in range(len(clients))]
        axes[0].bar(xs, [by[c]["req_per_s"] if c in by else 0 for c in clients], width, label=s)
        axes[1].bar(xs, [by[c]["p95_ms"] if c in by else 0 for c in clients], width, label=s)
        axes[2].bar(xs, [by[c]["server_cpu_ms_per_request"] if c in by else 0 for c in clients], width, label=s)
    for ax, title in zip(axes, ("req/s (higher is better)", "p95 ms", "server CPU ms per request"), strict=True):
        ax.set_xticks([j + width * (len(setups) - 1) / 2 for j in range(len(clients))])
        ax.set_xticklabels([f"{c} clients" for c in clients])
        ax.set_title(title)
    axes[0].axhline(60, color="grey", linestyle="--", linewidth=1)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", required=True, help="PostgreSQL URL of a role that may create databases")
    ap.add_argument("--store-cache", type=Path, default=Path(tempfile.gettempdir()) / "copilot-bench-store")
    ap.add_argument("--before", type=Path, default=None, help="an older checkout to run as the 'before' server")
    ap.add_argument("--before-serve", action="store_true",
                    help="start the older checkout with its own `copilot serve` (default: uvicorn with h11 "
                         "and asyncio, as checkouts before `copilot serve` chose its server options)")
    ap.add_argument("--workers", default="1,2", help="worker counts of this checkout's server")
    ap.add_argument("--query-backends", default="",
                    help="comma list of COPILOT_EMBED_QUERY_BACKEND values: one 1-worker set-up of this checkout "
                         "per value (e.g. torch,onnx,onnx-int8), besides --workers (which use the default)")
    ap.add_argument("--clients", default="1,10,50")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("reports/bench"))
    ap.add_argument("--name", default="bench_throughput")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    index = build_index(args.store_cache)
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    clients = [int(x) for x in args.clients.split(",") if x]
    servers: list[Server] = []
    if args.before is not None:
        servers.append(Server("before, 1 worker", args.before.resolve(), 1, not args.before_serve, index,
                              fresh_database(args.database, "bench_before"), work))
    for w in (int(x) for x in args.workers.split(",") if x):
        servers.append(Server(f"after, {w} worker{'s' if w > 1 else ''}", ROOT, w, False, index,
                              fresh_database(args.database, f"bench_after_{w}"), work))
    for b in (x.strip() for x in args.query_backends.split(",") if x.strip()):
        servers.append(Server(f"after, 1 worker, {b} queries", ROOT, 1, False, index,
                              fresh_database(args.database, f"bench_after_q_{b.replace('-', '_')}"), work,
                              {"COPILOT_EMBED_QUERY_BACKEND": b}))
    keys = {s.name: s.create_key() for s in servers}
    runs: list[dict[str, Any]] = []
    startup: dict[str, float] = {}
    try:
        for rnd in range(args.rounds):
            for s in servers:
                s.start(work / "server.log")
                startup.setdefault(s.name, s.startup_s)
                try:
                    for r in measure(s, keys[s.name], clients, args.seconds):
                        runs.append({**r, "round": rnd})
                finally:
                    s.stop()
    finally:
        for s in servers:
            s.stop()
    result = {"machine": machine(), "note": args.note, "seconds": args.seconds, "rounds": args.rounds,
              "runs": runs, "summary": summarise(runs), "startup_s": startup}
    report(result, args.out, args.name)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
