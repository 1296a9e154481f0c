"""The schema step on PostgreSQL when several processes start together (API workers, a CLI beside
the API): nobody fails on a table another is creating.

Runs only when DATABASE_URL points to PostgreSQL (as in CI)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                                reason="DATABASE_URL does not point to PostgreSQL")


def _fresh_databases(n: int) -> Iterator[list[str]]:
    base = make_url(os.environ["DATABASE_URL"])
    names = [f"copilot_schema_{uuid.uuid4().hex[:8]}" for _ in range(n)]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for name in names:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as c:
            for name in names:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def databases() -> Iterator[list[str]]:
    yield from _fresh_databases(4)


def test_concurrent_schema_creation_never_fails(databases: list[str]) -> None:
    import copilot.api.app  # noqa: F401  (every table the service uses)
    from copilot.core.db import Base, open_database

    for url in databases:
        errors: list[str] = []
        start = threading.Barrier(6)

        def opener(url: str = url, errors: list[str] = errors, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                open_database(url).dispose()
            except Exception as exc:  # the failure this test is about
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

        threads = [threading.Thread(target=opener) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        engine = sa.create_engine(url)
        try:
            assert set(sa.inspect(engine).get_table_names()) == set(Base.metadata.tables)
        finally:
            engine.dispose()

