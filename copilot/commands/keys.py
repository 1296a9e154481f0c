"""`copilot keys create|list|revoke`: API keys (only hashes are stored; the key is printed once)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and database folder (COPILOT_DATA_DIR).")]

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _store(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from copilot.auth import KeyStore
    from copilot.db import open_database
    from copilot.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    from copilot.audit import load_keyring

    return KeyStore(open_database(settings.sqlalchemy_url), load_keyring(settings), pepper=settings.api_key_pepper)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@keys_app.command("create")
def create(
    tenant: Annotated[str, typer.Option(help="Tenant id of the key holder")],
    name: Annotated[str, typer.Option(help="Unique, human-readable name")],
    level: Annotated[str, typer.Option(help="public|partner|internal|restricted")] = "partner",
    roles: Annotated[str | None, typer.Option(help="Comma-separated roles, e.g. tenant_admin")] = None,
    acting_for: Annotated[
        str | None, typer.Option("--acting-for", help="Vendor staff only: comma-separated tenants they may act for")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create a key and print it once."""
    from copilot.errors import DomainError

    store = _store(data_dir)
    if store.get_by_name(name) is not None:
        typer.echo(f"error: an active key named {name!r} exists", err=True)
        raise typer.Exit(1)
    try:
        key, row = store.create(name, tenant, level, _split(roles), _split(acting_for))
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    info = {
        "key": key, "key_id": row.key_id, "name": row.name, "tenant_id": row.tenant_id,
        "access_level": row.access_level, "roles": row.roles, "acting_for": row.acting_for,
    }
    if as_json:
        typer.echo(json.dumps(info))
    else:
        typer.echo(f"Created key {row.key_id} ({name}) for {tenant} at {row.access_level}.")
        typer.echo(f"  {key}")
        typer.echo("Store it now: it cannot be shown again.")


@keys_app.command("list")
def list_keys(
    data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False
) -> None:
    """List keys (never the secrets)."""
    rows = _store(data_dir).list()
    items = [
        {
            "key_id": r.key_id, "name": r.name, "tenant_id": r.tenant_id, "access_level": r.access_level,
            "roles": r.roles, "acting_for": r.acting_for, "created_at": r.created_at.isoformat(),
            "revoked": r.revoked_at is not None,
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    t = Table("key id", "name", "tenant", "level", "roles", "acting for", "revoked")
    for i in items:
        t.add_row(i["key_id"], i["name"], i["tenant_id"], i["access_level"], ",".join(i["roles"]),
                  ",".join(i["acting_for"]), "yes" if i["revoked"] else "")
    Console().print(t)


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="Key id or name")], data_dir: DataDir = None
) -> None:
    """Revoke a key by id or name (takes effect on the next request)."""
    from copilot.errors import DomainError

    try:
        n = _store(data_dir).revoke(key)
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {n} key(s)")
