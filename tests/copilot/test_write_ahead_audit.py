"""Write-ahead audit: a response body is released only after its audit row is committed.

The kill test serves the API from a uvicorn subprocess on loopback, fires requests from several
threads, kills the server with SIGKILL mid-load and checks that every response a client received
has its audit row. A second test shows that when the row cannot be written the caller gets a 500
instead of the (unaudited) answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.copilot.conftest import h, make_client

pytestmark = pytest.mark.slow

SERVER = """
import sys, uvicorn
from copilot.api.app import create_app
from copilot.core.settings import Settings
s = Settings(data_dir=sys.argv[1], database_url=sys.argv[2], answer_prewarm_sentences=0,
             api_rate_limit="1000000/minute", pii_detection=True, upload_process_prestart=False)
uvicorn.run(create_app(s), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(key: str):  # type: ignore[no-untyped-def]
    hk = h(key)
    return [
        ("GET", "/v1/documents", {}),
        ("POST", "/v1/search", {"json": {"query": "hypercare period", "k": 3}}),
        ("GET", "/v1/escalations?status=draft", {}),
        ("POST", "/v1/feedback", {"json": {"trace_id": uuid.uuid4().hex, "rating": "up"}}),
        ("POST", "/v1/ask", {"json": {"question": "How long is hypercare?"}}),
    ], hk


def test_kill_9_leaves_no_delivered_response_without_its_audit_row(demo_data_dir, tmp_path):
    from copilot.core.audit import load_keyring
    from copilot.core.auth import KeyStore
    from copilot.core.db import open_database
    from copilot.core.settings import Settings

    db_url = f"sqlite:///{tmp_path / 'wal.db'}"
    settings = Settings(data_dir=demo_data_dir, database_url=db_url)
    db = open_database(db_url)
    key, _ = KeyStore(db, load_keyring(settings)).create("kill-test", "alder", "internal")
    db.dispose()
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(demo_data_dir), db_url, str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    delivered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "server exited during startup"
            time.sleep(1)
        else:
            pytest.fail("server did not become ready")
        reqs, hk = _requests(key)

        def worker(i: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as c:
                n = i
                while not stop.is_set():
                    method, path, kw = reqs[n % len(reqs)]
                    n += 1
                    try:
                        r = c.request(method, path, headers=hk, **kw)
                    except httpx.HTTPError:
                        return  # the server is gone
                    with lock:
                        delivered.append(r.headers["x-trace-id"])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        time.sleep(8)
        os.kill(proc.pid, signal.SIGKILL)  # mid-load, no shutdown hooks
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        stop.set()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert len(delivered) >= 10, "too little load to mean anything"
    engine = sa.create_engine(db_url)
    with engine.connect() as c:
        audited = {r[0] for r in c.execute(sa.text("SELECT trace_id FROM audit_log"))}
    engine.dispose()
    missing = [t for t in delivered if t not in audited]
    print(f"write-ahead kill -9: {len(delivered)} delivered responses, {len(missing)} without an audit row")
    assert not missing, f"{len(missing)} of {len(delivered)} delivered responses have no audit row"


def test_response_is_withheld_when_its_audit_row_cannot_be_written(demo_services, demo_data_dir, tmp_path):
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{tmp_path / 'f.db'}",
                              api_rate_limit="100000/minute")
    with client:
        key, _ = app.state.copilot.keys.create("w", "alder", "internal")
        ok = client.post("/v1/search", headers=h(key), json={"query": "hypercare", "k": 2})
        assert ok.status_code == 200 and ok.json()["results"]
        audit = app.state.copilot.audit

        def broken(rec):  # type: ignore[no-untyped-def]
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

        original, audit.append = audit.append, broken
        try:
            r = client.post("/v1/search", headers=h(key), json={"query": "hypercare", "k": 2})
        finally:
            audit.append = original
        assert r.status_code == 500 and r.json()["error"]["code"] == "audit_unavailable"
        assert "results" not in r.text
