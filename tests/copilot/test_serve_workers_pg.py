"""`copilot serve --workers 2` on a real PostgreSQL: both processes serve, every request's audit row
lands in one unbroken chain, and a document deleted through the index is gone for every worker.

Runs only when DATABASE_URL points to PostgreSQL (as in CI); starts a real server process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from copilot.core.audit import AuditLog, load_keyring
from copilot.core.auth import KeyStore
from copilot.core.db import open_database
from copilot.core.settings import load_settings
from retrievers.access import AccessLevel
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                       reason="DATABASE_URL does not point to PostgreSQL"),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards (with its open connections)."""
    base = make_url(os.environ["DATABASE_URL"])
    name = f"copilot_workers_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _upload_workers(server_pid: int, wait_s: float) -> int:
    """Processes the API workers started for uploads (the server's grandchildren), once settled."""
    import psutil

    def count() -> int:
        workers = psutil.Process(server_pid).children()
        return sum(1 for w in workers for c in w.children()
                   if "resource_tracker" not in " ".join(c.cmdline()))

    deadline = time.time() + wait_s
    while count() == 0 and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(5)  # a second worker, were there one, would have been started by now
    return count()


def _index(data: Path) -> LanceDBStore:
    store = LanceDBStore(data / "index", dim=384)
    rng = np.random.default_rng(3)
    chunks = []
    for i in range(8):
        text = f"Cutover checklist step {i}: confirm the go/no-go criteria with the partner."
        chunks.append(Chunk(chunk_id=chunk_uuid("alder", f"d{i}.md", "1", 0), doc_id=f"d{i}.md", tenant_id="alder",
                            access_level=AccessLevel.PARTNER, doc_type="playbook", title=f"Guide {i}", version="1",
                            position=0, text=text, index_text=text, section_path=[], char_start=0,
                            char_end=len(text)))
    vecs = rng.standard_normal((8, 384)).astype(np.float32)
    store.upsert(chunks, vecs / np.linalg.norm(vecs, axis=1, keepdims=True))
    store.optimize()
    return store


def test_two_workers_share_one_audit_chain_and_see_each_others_index_writes(tmp_path: Path, database: str) -> None:
    url = database
    data = tmp_path / "data"
    store = _index(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env.update(DATABASE_URL=url, COPILOT_DATA_DIR=str(data), COPILOT_PII_DETECTION="false",
               COPILOT_ANSWER_PREWARM_SENTENCES="0", COPILOT_API_RATE_LIMIT="100000/minute")
    settings = load_settings(data_dir=data, database_url=url)
    key, _ = KeyStore(open_database(url), load_keyring(settings)).create("w", "alder", "partner")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "copilot", "serve", "--workers", "2", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, ok = time.time() + 300, 0
        while ok < 12 and time.time() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                ok = ok + 1 if httpx.get(f"{base}/readyz", timeout=5).status_code == 200 else 0
            except httpx.HTTPError:
                ok = 0
            time.sleep(0.5)
        assert ok >= 12, "workers did not become ready"
        # One upload worker process for the data directory, not one per API worker (~1 GB each).
        assert _upload_workers(proc.pid, wait_s=240) == 1
        statuses: list[int] = []
        errors: list[str] = []
        found: list[set[str]] = []

        def client(i: int) -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as c:
                for j in range(5):
                    r = c.post("/v1/search", json={"query": f"cutover criteria {i} {j}", "k": 10})
                    statuses.append(r.status_code)
                    if r.status_code != 200:
                        errors.append(r.text)
                    found.append({h["doc_id"] for h in r.json().get("results", [])})

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 40, errors[:3]
        assert all("d3.md" in f for f in found)
        # Written by another process (as an ingest or another worker would): every worker's next search sees it.
        store.delete_document("alder", "d3.md")
        for _ in range(10):
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as c:  # new connections
                r = c.post("/v1/search", json={"query": "cutover criteria", "k": 10})
                assert r.status_code == 200 and "d3.md" not in {h["doc_id"] for h in r.json()["results"]}
        log = AuditLog(open_database(url), load_keyring(settings))
        result = log.verify()
        assert result.ok, result.problems
        searches = [e for e in log.rows() if e.route == "/v1/search"]
        assert len(searches) == 50 and len({e.seq for e in log.rows()}) == len(log.rows())
    finally:
        proc.terminate()
        proc.wait(30)
