"""Outgoing webhooks: signed JSON events with a persistent outbox and retrying delivery.

Any feature calls :meth:`WebhookDispatcher.emit` with an event name and a JSON-able payload.
The event is written to the ``webhook_outbox`` table (one row per configured URL) before any
delivery is attempted, ideally in the same transaction as the state change it announces, so a
crash or a failing receiver never loses it. A background worker posts due rows, signs each body
with HMAC-SHA256 and retries failures with exponential backoff; rows that exhaust their attempts
stay in the table with status ``failed`` for an operator to inspect or re-queue.

Receivers (n8n, Zapier, a small script) verify a delivery with :func:`verify_signature`:
the signature covers ``"<timestamp>.<raw body>"`` so a captured request cannot be replayed
with a new timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from copilot.core.db import Base

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Copilot-Signature"
TIMESTAMP_HEADER = "X-Copilot-Timestamp"
EVENT_HEADER = "X-Copilot-Event"
DELIVERY_HEADER = "X-Copilot-Delivery"

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone=True columns; all values are stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class WebhookDelivery(Base):
    """One event for one receiver URL: the outbox row and its delivery state."""

    __tablename__ = "webhook_outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# ---------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance_s: float | None = 300,
    now: float | None = None,
) -> bool:
    """Receiver side: True when ``signature`` matches and the timestamp is recent enough."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance_s is not None and abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


# ---------------------------------------------------------------------------------------------
# Dispatcher
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookConfig:
    """Where and how to deliver (built from Settings by :func:`config_from_settings`)."""

    urls: tuple[str, ...] = ()
    secret: str = ""
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    timeout_s: float = 10.0
    poll_interval_s: float = 1.0

    def backoff(self, attempts: int) -> float:
        """Delay before the next try after ``attempts`` failed tries: base * 2^(attempts-1), capped."""
        return min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))


def config_from_settings(settings: Any) -> WebhookConfig:
    """Read the ``webhook_*`` fields of :class:`copilot.core.settings.Settings`."""
    secret = getattr(settings, "webhook_secret", None)
    if secret is not None and hasattr(secret, "get_secret_value"):
        secret = secret.get_secret_value()
    return WebhookConfig(
        urls=tuple(u for u in (getattr(settings, "webhook_urls", None) or []) if u),
        secret=secret or "",
        max_attempts=int(getattr(settings, "webhook_max_attempts", 8)),
        backoff_base_s=float(getattr(settings, "webhook_backoff_s", 2.0)),
        timeout_s=float(getattr(settings, "webhook_timeout_s", 10.0)),
    )


SessionFactory = Callable[[], AbstractContextManager[Session]]


class WebhookDispatcher:
    """Persist events to the outbox and deliver them in the background.

    ``session_factory`` returns a context manager yielding a SQLAlchemy session that commits on
    normal exit (e.g. ``sessionmaker.begin``). ``transport`` lets tests or operators pass an
    ``httpx`` transport; by default a plain HTTP client is used.
    """

    def __init__(
        self,
        config: WebhookConfig,
        session_factory: SessionFactory,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ):
        if config.urls and not config.secret:
            raise ValueError("webhook URLs are set but COPILOT_WEBHOOK_SECRET is empty: refusing to send unsigned")
        self.config = config
        self._sessions = session_factory
        self._clock = clock
        self._client = httpx.Client(timeout=config.timeout_s, transport=transport, follow_redirects=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deliver_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.config.urls)

    # -- producing ---------------------------------------------------------------------------

    def emit(self, event: str, payload: dict[str, Any], *, session: Session | None = None) -> list[str]:
        """Queue ``event`` with ``payload`` for every configured URL; return the delivery ids.

        Pass the caller's ``session`` to write the outbox rows in the same transaction as the
        change the event announces (committed or rolled back together). Without URLs this is a
        no-op.
        """
        if not self.config.urls:
            return []
        now = self._clock()
        event_id = str(uuid.uuid4())
        envelope = {"id": event_id, "event": event, "created_at": now.isoformat(), "data": payload}
        body = json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str)
        rows = [
            WebhookDelivery(
                id=str(uuid.uuid4()),
                event_id=event_id,
                event=event,
                url=url,
                body=body,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for url in self.config.urls
        ]
        if session is not None:
            session.add_all(rows)
        else:
            with self._sessions() as s:
                s.add_all(rows)
        self._wake.set()
        return [r.id for r in rows]

    # -- delivering --------------------------------------------------------------------------

    def _post(self, row: WebhookDelivery) -> tuple[bool, int | None, str | None]:
        body = row.body.encode("utf-8")
        ts = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "partner-copilot-webhooks/1",
            SIGNATURE_HEADER: sign(self.config.secret, ts, body),
            TIMESTAMP_HEADER: ts,
            EVENT_HEADER: row.event,
            DELIVERY_HEADER: row.event_id,
        }
        try:
            resp = self._client.post(row.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return False, None, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= resp.status_code < 300:
            return True, resp.status_code, None
        return False, resp.status_code, f"HTTP {resp.status_code}: {resp.text[:200]}"

    def deliver_due(self, limit: int = 50) -> int:
        """Try every due pending delivery once; return how many were delivered now."""
        with self._deliver_lock:
            now = self._clock()
            with self._sessions() as s:
                due = [
                    (r.id, r.url)
                    for r in s.scalars(
                        select(WebhookDelivery)
                        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
                        .order_by(WebhookDelivery.created_at)
                        .limit(limit)
                    )
                ]
            delivered = 0
            for row_id, _ in due:
                with self._sessions() as s:
                    row = s.get(WebhookDelivery, row_id)
                    if row is None or row.status != PENDING:
                        continue
                    ok, code, error = self._post(row)
                    row.attempts += 1
                    row.last_status_code = code
                    row.last_error = error
                    if ok:
                        row.status = DELIVERED
                        row.delivered_at = self._clock()
                        delivered += 1
                    elif row.attempts >= self.config.max_attempts:
                        row.status = FAILED
                        log.warning("webhook %s to %s failed permanently: %s", row.event, row.url, error)
                    else:
                        row.next_attempt_at = self._clock() + timedelta(seconds=self.config.backoff(row.attempts))
                        log.info("webhook %s to %s failed (attempt %d): %s", row.event, row.url, row.attempts, error)
            return delivered

    def next_due_in(self) -> float | None:
        """Seconds until the earliest pending delivery is due (0 if overdue), None if none pending."""
        with self._sessions() as s:
            nxt = s.scalars(
                select(WebhookDelivery.next_attempt_at)
                .where(WebhookDelivery.status == PENDING)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(1)
            ).first()
        if nxt is None:
            return None
        return max(0.0, (_aware(nxt) - self._clock()).total_seconds())

    def deliveries(self, *, event_id: str | None = None, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Outbox rows as dicts (operator view and tests)."""
        with self._sessions() as s:
            q = select(WebhookDelivery).order_by(WebhookDelivery.created_at)
            if event_id is not None:
                q = q.where(WebhookDelivery.event_id == event_id)
            if statuses is not None:
                q = q.where(WebhookDelivery.status.in_(list(statuses)))
            return [
                {
                    "id": r.id,
                    "event_id": r.event_id,
                    "event": r.event,
                    "url": r.url,
                    "status": r.status,
                    "attempts": r.attempts,
                    "last_status_code": r.last_status_code,
                    "last_error": r.last_error,
                }
                for r in s.scalars(q)
            ]

    def requeue_failed(self, ids: Sequence[str] | None = None) -> int:
        """Put permanently failed deliveries back in the queue (after a receiver was fixed)."""
        with self._sessions() as s:
            q = select(WebhookDelivery).where(WebhookDelivery.status == FAILED)
            if ids is not None:
                q = q.where(WebhookDelivery.id.in_(list(ids)))
            rows = list(s.scalars(q))
            for r in rows:
                r.status, r.attempts, r.next_attempt_at = PENDING, 0, self._clock()
        self._wake.set()
        return len(rows)

    # -- background worker -------------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery thread (idempotent). Pending rows from earlier runs are sent too."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
                wait = self.next_due_in()
            except Exception:  # keep the worker alive; the rows stay pending
                log.exception("webhook delivery loop error")
                wait = self.config.poll_interval_s * 5
            timeout = self.config.poll_interval_s * 30 if wait is None else min(wait, self.config.poll_interval_s * 30)
            self._wake.wait(timeout=max(timeout, 0.05))
            self._wake.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker; undelivered rows stay in the outbox for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._client.close()


def start_dispatcher(settings: Any, session_factory: SessionFactory) -> WebhookDispatcher | None:
    """The app's one dispatcher, started (None without webhook URLs).

    Built once by the API's composition root; every feature that emits events (escalations,
    governance findings) shares it, so one worker drains one outbox.
    """
    config = config_from_settings(settings)
    if not config.urls:
        return None
    disp = WebhookDispatcher(config, session_factory)
    disp.start()
    return disp
