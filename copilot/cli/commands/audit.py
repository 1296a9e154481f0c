"""`copilot audit verify|tail`: check the hash chain of the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.commands.common import CliError, DataDir, settings_for

audit_app = typer.Typer(help="Inspect and verify the audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _log(data_dir: Path | None):
    from copilot.core.audit import AuditKeyError, AuditLog, load_keyring
    from copilot.core.db import open_database

    settings = settings_for(data_dir)
    try:
        keyring = load_keyring(settings)
    except AuditKeyError as exc:
        raise CliError(str(exc)) from None
    return AuditLog(open_database(settings.sqlalchemy_url), keyring)


@audit_app.command("verify")
def verify(data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the keyed chain, its head and the sealed feedback/API-key tables; exit 1 on any problem
    (edited, deleted, inserted or reordered rows, a truncated tail, a rewrite without the key)."""
    result = _log(data_dir).verify()
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "rows": result.rows, "problems": result.problems}))
    elif result.ok:
        typer.echo(f"audit log OK: {result.rows} rows, chain intact")
    else:
        typer.echo(f"audit log TAMPERED: {len(result.problems)} problem(s) in {result.rows} rows")
        for p in result.problems[:50]:
            typer.echo(f"  - {p}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("tail")
def tail(n: Annotated[int, typer.Option("-n", min=1)] = 20, data_dir: DataDir = None) -> None:
    """Print the newest rows (queries are stored redacted)."""
    rows = _log(data_dir).rows()[-n:]
    for r in rows:
        typer.echo(json.dumps({
            "seq": r.seq, "ts": r.ts, "subject": r.subject, "tenant": r.tenant_id, "route": r.route,
            "status": r.status, "query": r.query, "chunks": len(r.chunk_ids), "refused": r.refused,
            "latency_ms": r.latency_ms,
        }))
