"""`copilot serve`: run the HTTP API with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and database folder (COPILOT_DATA_DIR).")]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def run_server(settings, host: str, port: int, log_level: str = "info") -> None:  # type: ignore[no-untyped-def]
    """Serve ``create_app(settings)`` in this process (one worker: the models are loaded once)."""
    import uvicorn

    from copilot.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the copilot API (search, ask, documents, feedback, health, metrics)."""
    from copilot.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    typer.echo(f"Partner Copilot API on http://{host}:{port} (data: {settings.data_dir})")
    run_server(settings, host, port, log_level)
