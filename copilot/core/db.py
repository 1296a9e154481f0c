"""Governance records in SQL (SQLAlchemy 2): API keys, the audit log, feedback.

SQLite file in the data dir by default, PostgreSQL when ``DATABASE_URL`` is set.
Other features add their tables on the same declarative :class:`Base`, so
``create_all`` builds every table the service needs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

# Arbitrary constant (distinct from the audit chain's): one advisory lock id for schema changes.
_SCHEMA_LOCK = 0x5C4E3A01


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Shared declarative base of every copilot table."""


class ApiKey(Base):
    """An API key: only a salted hash of its secret is stored; ``key_id`` is the public lookup part."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    access_level: Mapped[str] = mapped_column(String(16))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    acting_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # HMAC over every field above with the audit key (copilot/core/audit.py): an edited or inserted
    # row does not authenticate and `copilot audit verify` reports it.
    seal: Mapped[str | None] = mapped_column(String(100), nullable=True)


class AuditEntry(Base):
    """One request. ``seq`` is dense and ``row_hash`` (keyed) covers the row plus ``prev_hash``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    ts: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC, hashed as written
    trace_id: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    route: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[int] = mapped_column(Integer)
    query: Mapped[str] = mapped_column(Text, default="")  # redacted
    chunk_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 with the audit key ``key_id``
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)


class AuditHead(Base):
    """The chain's head (last seq and hash), updated in the same transaction as each append,
    so deleting the newest rows is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    row_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str | None] = mapped_column(String(100), nullable=True)  # keyed MAC of (seq, row_hash)


class AnswerIssued(Base):
    """One answer given by ``/v1/ask``: written before the response leaves, so it can be rated at once."""

    __tablename__ = "answers_issued"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    subject: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    """A user's current vote on one answer: one row per answer and user, a new vote replaces it
    (``created_at`` is the time of the current vote)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("trace_id", "subject", name="uq_feedback_trace_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    trace_id: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")  # redacted
    seal: Mapped[str | None] = mapped_column(String(100), nullable=True)  # keyed MAC (copilot/core/audit.py)


def make_engine(url: str) -> Engine:
    """Engine for the governance database; SQLite gets WAL and a busy timeout for concurrent requests."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """Engine + session factory; ``create_all`` is idempotent."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # PostgreSQL's "create if missing" is a check then a create: two processes starting
                # together (API workers, a CLI beside the API) both see no table and one fails with
                # a duplicate type. The lock makes the schema step one process at a time.
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            Base.metadata.create_all(conn)
            self._add_missing_columns(conn)

    def _add_missing_columns(self, conn: Connection) -> None:
        """Add nullable columns introduced after a table was created (e.g. record access levels).
        A NULL level reads as the most restrictive, so old rows fail closed."""
        insp = inspect(conn)
        for table in Base.metadata.sorted_tables:
            if not insp.has_table(table.name):
                continue
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have and col.nullable:
                    ctype = col.type.compile(dialect=self.engine.dialect)
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{col.name}" {ctype}'))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    db = Database(url)
    db.create_all()
    return db
