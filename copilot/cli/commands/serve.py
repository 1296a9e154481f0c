"""`copilot serve`: run the HTTP API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from copilot.cli.commands.common import CliError, Create, DataDir, settings_for


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def run_server(settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve ``create_app(settings)`` in this process (one worker: the models are loaded once)."""
    import uvicorn

    from copilot.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    create: Create = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the copilot API (search, ask, documents, feedback, health, metrics)."""
    from copilot.cli.ports import PortInUse, ensure_free

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="'--log-level'")
    settings = settings_for(data_dir, create=create)
    try:
        ensure_free(host, port)  # before the models load, not after a minute of loading
    except PortInUse as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"Partner Copilot API on http://{host}:{port} (data: {settings.data_dir})")
    run_server(settings, host, port, log_level)
