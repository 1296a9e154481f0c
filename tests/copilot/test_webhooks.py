"""Outgoing webhooks against a real local HTTP receiver: signatures, retries, the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from copilot.core.db import open_database
from copilot.governance.webhooks import (
    DELIVERED,
    FAILED,
    PENDING,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookConfig,
    WebhookDelivery,
    WebhookDispatcher,
    verify_signature,
)

SECRET = "test-webhook-secret"


class Receiver:
    """A local HTTP server that answers with a scripted list of status codes, then 200."""

    def __init__(self, statuses: list[int] | None = None):
        self.statuses = list(statuses or [])
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'wh.db'}")
    yield database
    database.dispose()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self):
        return self.now


def test_signature_verifies_with_independent_hmac(db, receiver):
    disp = WebhookDispatcher(WebhookConfig(urls=(receiver.url,), secret=SECRET), db.session.begin)
    disp.emit("escalation.drafted", {"draft_id": "d1", "tenant_id": "alder"})
    assert disp.deliver_due() == 1
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    body, ts, sig = req["body"], req["headers"][TIMESTAMP_HEADER], req["headers"][SIGNATURE_HEADER]
    # The receiver recomputes the HMAC itself, from the raw body, the way n8n would.
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert sig == f"sha256={expected}"
    assert verify_signature(SECRET, body, ts, sig)
    payload = json.loads(body)
    assert payload["event"] == "escalation.drafted"
    assert payload["data"] == {"draft_id": "d1", "tenant_id": "alder"}
    assert req["headers"]["X-Copilot-Event"] == "escalation.drafted"
    # Tampering with the body, the timestamp or the key fails verification.
    assert not verify_signature(SECRET, body.replace(b"alder", b"birch"), ts, sig)
    assert not verify_signature(SECRET, body, str(int(ts) + 1), sig)
    assert not verify_signature("other-secret", body, ts, sig)
    assert not verify_signature(SECRET, body, str(int(time.time()) - 3600), sign_for(body, int(time.time()) - 3600))


def sign_for(body: bytes, ts: int) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), f"{ts}".encode() + b"." + body, hashlib.sha256).hexdigest()


def test_failing_receiver_is_retried_with_backoff_and_event_kept(db):
    receiver = Receiver(statuses=[500, 500])
    clock = Clock()
    cfg = WebhookConfig(urls=(receiver.url,), secret=SECRET, backoff_base_s=10, max_attempts=5)
    disp = WebhookDispatcher(cfg, db.session.begin, clock=clock)
    try:
        disp.emit("escalation.approved", {"draft_id": "d2"})
        # Persisted before any delivery attempt.
        with db.session() as s:
            rows = s.query(WebhookDelivery).all()
        assert [r.status for r in rows] == [PENDING]

        assert disp.deliver_due() == 0  # 500
        row = disp.deliveries()[0]
        assert (row["status"], row["attempts"], row["last_status_code"]) == (PENDING, 1, 500)
        # Not due again until the backoff has passed.
        assert disp.deliver_due() == 0
        assert len(receiver.requests) == 1
        assert disp.next_due_in() == pytest.approx(10, abs=0.5)

        clock.now += timedelta(seconds=10)
        assert disp.deliver_due() == 0  # second 500; backoff doubles
        assert disp.next_due_in() == pytest.approx(20, abs=0.5)
        clock.now += timedelta(seconds=20)
        assert disp.deliver_due() == 1  # now 200
        row = disp.deliveries()[0]
        assert (row["status"], row["attempts"]) == (DELIVERED, 3)
        # The same event (same id and body) arrived every time.
        bodies = {r["body"] for r in receiver.requests}
        assert len(receiver.requests) == 3 and len(bodies) == 1
        assert json.loads(bodies.pop())["data"] == {"draft_id": "d2"}
    finally:
        receiver.close()


def test_event_survives_dispatcher_restart_and_background_worker_delivers(db):
    # The receiver is down (connection refused) when the event is emitted.
    clock = Clock()
    cfg = WebhookConfig(urls=("http://127.0.0.1:9/none",), secret=SECRET, backoff_base_s=0.05, poll_interval_s=0.02)
    first = WebhookDispatcher(cfg, db.session.begin, clock=clock)
    first.emit("governance.finding", {"finding": "x"})
    first.deliver_due()
    assert first.deliveries()[0]["attempts"] == 1 and "Connect" in (first.deliveries()[0]["last_error"] or "")
    first.close()

    # A new process (new dispatcher) picks the pending row up from SQL; the URL is fixed by the operator.
    receiver = Receiver()
    try:
        with db.session.begin() as s:
            s.query(WebhookDelivery).update({"url": receiver.url})
        second = WebhookDispatcher(WebhookConfig(urls=(receiver.url,), secret=SECRET, poll_interval_s=0.02),
                                   db.session.begin)
        second.start()
        deadline = time.time() + 5
        while time.time() < deadline and not receiver.requests:
            time.sleep(0.02)
        second.close()
        assert len(receiver.requests) == 1
        assert json.loads(receiver.requests[0]["body"])["event"] == "governance.finding"
        assert second.deliveries()[0]["status"] == DELIVERED
    finally:
        receiver.close()


def test_exhausted_attempts_are_kept_as_failed_and_can_be_requeued(db):
    receiver = Receiver(statuses=[500, 500])
    clock = Clock()
    cfg = WebhookConfig(urls=(receiver.url,), secret=SECRET, backoff_base_s=1, max_attempts=2)
    disp = WebhookDispatcher(cfg, db.session.begin, clock=clock)
    try:
        disp.emit("escalation.drafted", {"n": 1})
        disp.deliver_due()
        clock.now += timedelta(seconds=1)
        disp.deliver_due()
        assert disp.deliveries()[0]["status"] == FAILED
        assert disp.requeue_failed() == 1
        assert disp.deliver_due() == 1
        assert disp.deliveries()[0]["status"] == DELIVERED
    finally:
        receiver.close()


def test_emit_in_caller_transaction_rolls_back_with_it(db, receiver):
    disp = WebhookDispatcher(WebhookConfig(urls=(receiver.url,), secret=SECRET), db.session.begin)
    with pytest.raises(RuntimeError), db.session.begin() as s:
        disp.emit("escalation.approved", {"draft_id": "never"}, session=s)
        raise RuntimeError("the state change failed")
    assert disp.deliveries() == []


def test_urls_without_secret_are_refused_and_no_urls_is_a_no_op(db):
    with pytest.raises(ValueError, match="SECRET"):
        WebhookDispatcher(WebhookConfig(urls=("http://127.0.0.1:1/x",), secret=""), db.session.begin)
    disp = WebhookDispatcher(WebhookConfig(), db.session.begin)
    assert disp.emit("escalation.drafted", {"x": 1}) == []
    assert disp.deliveries() == []
