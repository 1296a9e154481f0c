"""`copilot serve`: run the HTTP API with uvicorn (one process, or ``--workers N`` on PostgreSQL)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from copilot.cli.commands.common import CliError, Create, DataDir, settings_for

# httptools parses HTTP and uvloop runs the event loop in C: less server CPU per request than
# the pure-Python h11 parser and asyncio loop (reports/bench/bench_throughput.md).
SERVER_OPTIONS: dict[str, Any] = {"http": "httptools", "loop": "uvloop", "access_log": False}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def run_server(settings: Any, host: str, port: int, log_level: str = "info") -> None:
    """Serve ``create_app(settings)`` in this process (one worker: the models are loaded once)."""
    import uvicorn

    from copilot.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, **SERVER_OPTIONS)


def check_workers(settings: Any, workers: int) -> list[str]:
    """Refuse several workers where they are unsafe; the warnings to print where they are allowed.

    Each worker appends audit rows to one hash chain: only PostgreSQL serialises those appends
    across processes (an advisory lock); with SQLite two workers could both extend the same head.
    """
    if workers <= 1:
        return []
    if not settings.sqlalchemy_url.startswith("postgresql"):
        raise CliError(f"--workers {workers} needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...): the audit "
                       "chain cannot be appended from several processes on SQLite; use --workers 1")
    warnings = []
    if settings.api_rate_limit_storage.startswith("memory://"):
        warnings.append(
            f"rate limits are counted per worker (COPILOT_API_RATE_LIMIT_STORAGE={settings.api_rate_limit_storage}): "
            f"a key may make up to {workers} x {settings.api_rate_limit}; set it to a shared storage "
            "(e.g. redis://host:6379) to enforce the limit across workers")
    return warnings


def prepare_workers(settings: Any, workers: int) -> dict[str, str]:
    """Everything the workers must share, created once before they start (two workers racing would
    create two audit keys); returns the environment they read. Tables of modules this process has
    not imported are created by the first worker; the schema lock of ``open_database`` keeps the
    workers from colliding on them (importing the app here would keep torch in the supervisor)."""
    from copilot.core.audit import AuditKeyError, load_keyring
    from copilot.core.db import open_database

    try:
        load_keyring(settings)  # dev/demo: writes <data_dir>/audit.key once
        open_database(settings.sqlalchemy_url).dispose()  # creates the tables once
    except AuditKeyError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # e.g. the database is unreachable: say so before starting N workers
        raise CliError(f"cannot prepare the workers: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    env = {"COPILOT_DATA_DIR": str(settings.data_dir.resolve())}
    if settings.index_read_consistency_s is None:
        # A write (upload, delete) through one worker must be seen by the next search in any worker.
        env["COPILOT_INDEX_READ_CONSISTENCY_S"] = "0"
    return env


def run_workers(settings: Any, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """``workers`` uvicorn processes on one socket; each builds the app from the environment."""
    import uvicorn

    os.environ.update(prepare_workers(settings, workers))
    uvicorn.run("copilot.api.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level=log_level, timeout_worker_healthcheck=settings.api_worker_healthcheck_s, **SERVER_OPTIONS)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    create: Create = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    workers: Annotated[int | None, typer.Option(
        min=1, max=64,
        help="worker processes (default COPILOT_API_WORKERS, 1); more than one needs PostgreSQL")] = None,
) -> None:
    """Serve the copilot API (search, ask, documents, feedback, health, metrics)."""
    from copilot.cli.ports import PortInUse, ensure_free

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="'--log-level'")
    settings = settings_for(data_dir, create=create)
    n = workers if workers is not None else settings.api_workers
    for warning in check_workers(settings, n):
        typer.echo(f"warning: {warning}", err=True)
    try:
        ensure_free(host, port)  # before the models load, not after a minute of loading
    except PortInUse as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"Partner Copilot API on http://{host}:{port} (data: {settings.data_dir}, workers: {n})")
    if n > 1:
        run_workers(settings, host, port, n, log_level)
    else:
        run_server(settings, host, port, log_level)
