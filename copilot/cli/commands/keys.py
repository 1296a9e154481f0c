"""`copilot keys create|list|revoke`: API keys (only hashes are stored; the key is printed once)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.commands.common import CliError, Create, DataDir, access_level, settings_for

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _store(data_dir: Path | None, create: bool = False):
    from copilot.core.audit import AuditKeyError, load_keyring
    from copilot.core.auth import KeyStore
    from copilot.core.db import open_database

    settings = settings_for(data_dir, create=create)
    try:
        keyring = load_keyring(settings)
    except AuditKeyError as exc:
        raise CliError(str(exc)) from None
    return KeyStore(open_database(settings.sqlalchemy_url), keyring, pepper=settings.api_key_pepper)


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
    create_dir: Create = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create a key and print it once."""
    access_level(level)
    store = _store(data_dir, create_dir)
    if store.get_by_name(name) is not None:
        raise CliError(f"an active key named {name!r} exists", code=1)
    from copilot.core.errors import DomainError

    try:
        key, row = store.create(name, tenant, level, _split(roles), _split(acting_for))
    except DomainError as exc:
        raise CliError(exc.message) from None
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
    # One key per line, never cut to the terminal's width (a table would truncate on 80 columns).
    for i in items:
        extra = [f"roles={','.join(i['roles'])}"] if i["roles"] else []
        extra += [f"acting_for={','.join(i['acting_for'])}"] if i["acting_for"] else []
        extra += ["REVOKED"] if i["revoked"] else []
        typer.echo(" ".join([i["key_id"], i["name"], f"tenant={i['tenant_id']}", f"level={i['access_level']}",
                             *extra]))


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="Key id or name")], data_dir: DataDir = None
) -> None:
    """Revoke a key by id or name (takes effect on the next request)."""
    from copilot.core.errors import DomainError

    try:
        n = _store(data_dir).revoke(key)
    except DomainError as exc:
        raise CliError(exc.message, code=1) from None
    typer.echo(f"revoked {n} key(s)")


@keys_app.command("show")
def show(
    demo: Annotated[bool, typer.Option("--demo", help="The demo users' keys (the only ones shown again)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print the demo API keys again, one per line (other keys are shown only once, at creation)."""
    import os

    from copilot.cli.commands.demo import DEMO_DATA_DIR, demo_keys_lines, ensure_demo_keys

    if not demo:
        raise CliError("only the demo keys can be shown again: use 'copilot keys show --demo'")
    default = None if os.environ.get("COPILOT_DATA_DIR") else DEMO_DATA_DIR
    settings = settings_for(data_dir or default)
    if not (settings.data_dir / "demo-keys.seed").exists():
        raise CliError(f"no demo in {settings.data_dir}; start it with 'make demo' (or 'copilot demo')")
    for line in demo_keys_lines(ensure_demo_keys(settings)):
        typer.echo(line)
