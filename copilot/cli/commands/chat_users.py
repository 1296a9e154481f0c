"""`copilot chat-users add|list|remove`: the chat's logins file (argon2 password hashes).

Each login maps to an API key: either one given with ``--api-key`` (made by ``copilot keys
create``, e.g. on the API host) or a new key created here in ``--data-dir``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from copilot.cli.commands.common import CliError, DataDir, access_level

chat_users_app = typer.Typer(help="Manage chat logins (the file the chat server reads).", no_args_is_help=True)

UsersFile = Annotated[
    Path,
    typer.Option("--file", envvar="COPILOT_CHAT_USERS", help="Logins file (COPILOT_CHAT_USERS)"),
]
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ROLES = ("consultant", "partner_manager", "tenant_admin")


def register(app: typer.Typer) -> None:
    app.add_typer(chat_users_app, name="chat-users")


def _load(path: Path) -> dict:
    from copilot.chat_users import UsersFileError, load_users

    if not path.exists():
        return {}
    try:
        return load_users(path)
    except UsersFileError as exc:
        raise CliError(str(exc)) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\n")
    else:
        value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(value) < 12:
        raise CliError("the password must have at least 12 characters")
    return value


@chat_users_app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="Login name (lowercase letters, digits, . _ -)")],
    role: Annotated[list[str], typer.Option("--role", help=f"Role, repeatable: {', '.join(ROLES)}")],
    tenant: Annotated[str, typer.Option(help="Tenant of the user")],
    level: Annotated[str, typer.Option(help="Access level: public|partner|internal|restricted")] = "partner",
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the chat")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="COPILOT_CHAT_USER_API_KEY",
                                 help="Existing API key of this user (default: create one in --data-dir)")
    ] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
    file: UsersFile = Path("deploy/chat-users.json"),
    data_dir: DataDir = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an existing login")] = False,
) -> None:
    """Add a chat login with an argon2-hashed password."""
    from copilot.chat_users import save_users, user_entry

    name = login.strip().lower()
    if not _LOGIN.match(name):
        raise typer.BadParameter("use 2-64 lowercase letters, digits, '.', '_' or '-'", param_hint="'LOGIN'")
    bad = [r for r in role if r not in ROLES]
    if bad:
        raise typer.BadParameter(f"unknown role {bad[0]!r} (expected one of: {', '.join(ROLES)})",
                                 param_hint="'--role'")
    lvl = access_level(level)
    from copilot.core.auth import _KEY_RE

    if api_key is not None and not _KEY_RE.fullmatch(api_key.strip()):
        raise typer.BadParameter("not a copilot API key (pc_<id>_<secret>)", param_hint="'--api-key'")
    users = _load(file)
    if name in users and not replace:
        raise CliError(f"login {name!r} exists in {file}; pass --replace to overwrite it")
    password = _password(password_stdin)
    subject = ""
    if api_key is None:
        from copilot.cli.commands.keys import _store

        store = _store(data_dir)
        if store.get_by_name(f"chat-{name}") is not None:
            raise CliError(f"an active API key named 'chat-{name}' exists; revoke it or pass --api-key")
        subject = f"chat:{name}"
        api_key, _ = store.create(f"chat-{name}", tenant, lvl.name.lower(), list(role), subject=subject)
    users[name] = user_entry(password, api_key.strip(), display_name=display_name or name, tenant_id=tenant,
                             level=lvl.name.lower(), roles=list(role), subject=subject)
    save_users(file, users)
    typer.echo(f"login {name} ({', '.join(role)} at {tenant}) written to {file}")


@chat_users_app.command("list")
def list_users(file: UsersFile = Path("deploy/chat-users.json")) -> None:
    """Logins in the file (never passwords or keys)."""
    if not file.exists():
        raise CliError(f"{file} does not exist; create it with 'copilot chat-users add'")
    for name, u in sorted(_load(file).items()):
        typer.echo(f"{name}\t{u.get('tenant_id', '')}\t{','.join(u.get('roles', []))}\t{u.get('display_name', '')}")


@chat_users_app.command("remove")
def remove(
    login: Annotated[str, typer.Argument(help="Login name")], file: UsersFile = Path("deploy/chat-users.json")
) -> None:
    """Remove a login (its API key stays valid until revoked with 'copilot keys revoke')."""
    from copilot.chat_users import save_users

    users = _load(file)
    if login.strip().lower() not in users:
        raise CliError(f"no login {login!r} in {file}")
    del users[login.strip().lower()]
    save_users(file, users)
    typer.echo(f"removed {login} from {file}")
