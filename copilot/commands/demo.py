"""`copilot demo`: ingest the demo corpus (if needed), create the demo API keys, serve the API.

The demo keys are derived from a random seed stored in the data dir, so they are
stable for one data dir (re-running prints the same keys) and differ between
installations. Only their hashes go into the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and database folder (COPILOT_DATA_DIR).")]
DEMO_CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "demo"


@dataclass(frozen=True)
class DemoUser:
    name: str
    description: str
    tenant_id: str
    level: str
    roles: tuple[str, ...] = ()
    acting_for: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-alder-consultant", "Consultant at Alder (partner)", "alder", "partner"),
    DemoUser(
        "demo-alder-manager", "Partner manager at Alder (internal, tenant admin)", "alder", "internal",
        ("partner_manager", "tenant_admin"),
    ),
    DemoUser("demo-birch-consultant", "Consultant at Birch (partner)", "birch", "partner"),
    DemoUser(
        "demo-vendor-staff", "Vendor staff (internal) acting for alder, birch, cedar", "shared", "internal",
        (), ("alder", "birch", "cedar"),
    ),
)


def _seed(data_dir: Path) -> bytes:
    path = data_dir / "demo-keys.seed"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return bytes.fromhex(path.read_text().strip())


def _derive(seed: bytes, user: DemoUser) -> tuple[str, str]:
    key_id = hmac.new(seed, f"id:{user.name}".encode(), hashlib.sha256).hexdigest()[:12]
    secret = hmac.new(seed, f"secret:{user.name}".encode(), hashlib.sha256).hexdigest()[:40]
    return key_id, secret


def ensure_demo_keys(settings: Any) -> list[dict[str, Any]]:
    """Create any missing demo key (idempotent); returns every demo user with its key."""
    from copilot.auth import KEY_PREFIX, KeyStore
    from copilot.db import open_database

    seed = _seed(settings.data_dir)
    db = open_database(settings.sqlalchemy_url)
    store = KeyStore(db, pepper=settings.api_key_pepper)
    existing = {r.key_id: r for r in store.list()}
    out = []
    try:
        for u in DEMO_USERS:
            key_id, secret = _derive(seed, u)
            row = existing.get(key_id)
            if row is None:
                store.create(u.name, u.tenant_id, u.level, u.roles, u.acting_for, subject=f"demo:{u.name}",
                             key_id=key_id, secret=secret)
            elif row.revoked_at is not None:
                continue  # an operator revoked it: respect that
            out.append({
                "name": u.name, "description": u.description, "tenant_id": u.tenant_id, "level": u.level,
                "roles": list(u.roles), "acting_for": list(u.acting_for), "key": f"{KEY_PREFIX}{key_id}_{secret}",
            })
    finally:
        db.dispose()
    return out


def prepare_demo(settings: Any, corpus: Path = DEMO_CORPUS, progress: bool = True):  # type: ignore[no-untyped-def]
    """Ingest the demo corpus (unchanged documents are skipped) and return (services, report, keys)."""
    from copilot.services import build_services

    services = build_services(settings)
    report = services.ingestor.ingest_corpus(corpus, prune=True, progress=progress)
    keys = ensure_demo_keys(settings)
    return services, report, keys


REPO_ROOT = Path(__file__).resolve().parents[2]
CHAT_APP = REPO_ROOT / "chainlit_app.py"


def chat_login(user_name: str) -> str:
    """Chat login of a demo user: ``demo-alder-consultant`` -> ``alder-consultant``."""
    return user_name.removeprefix("demo-")


def write_chat_users(settings: Any, keys: list[dict[str, Any]]) -> tuple[Path, dict[str, str]]:
    """Write the chat's login file (mode 0600) and return (path, {login: password}).

    Passwords are derived from the data dir's demo seed (stable per installation, printed by
    the demo); the file keeps an argon2 hash of each password and the user's API key, which
    only the chat server reads.
    """
    from copilot.chat_users import save_users, user_entry

    seed = _seed(settings.data_dir)
    users: dict[str, Any] = {}
    passwords: dict[str, str] = {}
    for k in keys:
        login = chat_login(k["name"])
        password = hmac.new(seed, f"password:{k['name']}".encode(), hashlib.sha256).hexdigest()[:12]
        users[login] = user_entry(
            password, k["key"], display_name=k["description"], tenant_id=k["tenant_id"], level=k["level"],
            roles=list(k["roles"]), subject=f"demo:{k['name']}",
        )
        passwords[login] = password
    path = settings.data_dir / "chat-users.json"
    save_users(path, users)
    return path, passwords


def chat_env(settings: Any, api_url: str, users_file: Path) -> dict[str, str]:
    """Environment for the chat process: API URL, login file, Chainlit's session secret."""
    import os

    seed = _seed(settings.data_dir)
    # The chat reaches data only through the API. Chainlit reads DATABASE_URL to switch on
    # its own persistence layer (asyncpg), so the governance database URL must not leak in.
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COPILOT_DATABASE_URL")}
    return {
        **inherited,
        "COPILOT_API_URL": api_url,
        "COPILOT_CHAT_USERS": str(users_file.resolve()),
        "CHAINLIT_AUTH_SECRET": hmac.new(seed, b"chainlit-auth-secret", hashlib.sha256).hexdigest(),
        "DO_NOT_TRACK": "1",
    }


def start_chat(settings: Any, api_url: str, host: str, chat_port: int, keys: list[dict[str, Any]],
               **popen: Any):  # type: ignore[no-untyped-def]
    """Start the Chainlit chat (a separate process that talks to the API over HTTP)."""
    import subprocess
    import sys

    users_file, passwords = write_chat_users(settings, keys)
    chainlit = Path(sys.executable).with_name("chainlit")
    cmd = [str(chainlit), "run", str(CHAT_APP), "--headless", "--host", host, "--port", str(chat_port)]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=chat_env(settings, api_url, users_file), **popen)
    return proc, passwords


def launch_companions(settings: Any, host: str, api_port: int, chat_port: int | None,
                      keys: list[dict[str, Any]]) -> list[Any]:
    """Processes that run beside the API in the demo: the chat UI on ``chat_port``.

    Returns the started processes (``subprocess.Popen``); the demo terminates them on exit.
    """
    if not chat_port:
        return []
    from rich.console import Console
    from rich.table import Table

    proc, passwords = start_chat(settings, f"http://{host}:{api_port}", host, chat_port, keys)
    console = Console()
    t = Table("login", "password", "who", title="Chat logins")
    for k in keys:
        login = chat_login(k["name"])
        t.add_row(login, passwords[login], k["description"])
    console.print(t)
    console.print(f"Chat: [bold]http://{host}:{chat_port}[/bold]")
    return [proc]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    chat_port: Annotated[int | None, typer.Option("--chat-port", help="Chat UI port")] = None,
    corpus: Annotated[Path, typer.Option(help="Demo corpus folder")] = DEMO_CORPUS,
) -> None:
    """Ingest the demo corpus if needed, create demo API keys and serve the API."""
    import os

    import uvicorn
    from rich.console import Console
    from rich.table import Table

    from copilot.app import create_app
    from copilot.settings import load_settings

    # --data-dir, then COPILOT_DATA_DIR, then the demo's own folder.
    settings = load_settings(data_dir=data_dir or (None if os.environ.get("COPILOT_DATA_DIR") else Path(".data/demo")))
    console = Console()
    console.print(f"Preparing the demo in {settings.data_dir} ...")
    services, report, keys = prepare_demo(settings, corpus)
    console.print(
        f"Index: {report.documents_written} documents written, {report.documents_skipped} unchanged, "
        f"{len(report.rejected)} rejected ({services.store.count()} chunks)."
    )
    t = Table("user", "tenant", "level", "roles", "API key", title="Demo API keys")
    for k in keys:
        roles = ",".join(k["roles"]) + (f" acting for {','.join(k['acting_for'])}" if k["acting_for"] else "")
        t.add_row(k["description"], k["tenant_id"], k["level"], roles, k["key"])
    console.print(t)
    url = f"http://{host}:{port}"
    console.print(f"API: [bold]{url}[/bold]  (OpenAPI docs: {url}/docs)")
    first = keys[0]["key"] if keys else "<key>"
    console.print(
        f"Try: curl -s {url}/v1/ask -H 'X-API-Key: {first}' -H 'Content-Type: application/json' "
        "-d '{\"question\": \"What are the go/no-go criteria for cutover?\"}'"
    )
    procs = launch_companions(settings, host, port, chat_port, keys)
    try:
        uvicorn.run(create_app(settings, services=services), host=host, port=port, log_level="info",
                    access_log=False)
    finally:
        for p in procs:
            p.terminate()
