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

from copilot.cli.commands.common import CliError, DataDir

DEMO_CORPUS = Path(__file__).resolve().parents[3] / "corpora" / "demo"
DEMO_DATA_DIR = Path(".data/demo")
KEYS_FILE = "demo-keys.txt"  # in the data dir; named in the README


@dataclass(frozen=True)
class DemoUser:
    name: str
    description: str
    tenant_id: str
    level: str
    roles: tuple[str, ...] = ()
    acting_for: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-alder-consultant", "Consultant at Alder (partner)", "alder", "partner", ("consultant",)),
    DemoUser(
        "demo-alder-manager", "Partner manager at Alder (internal, tenant admin)", "alder", "internal",
        ("partner_manager", "tenant_admin"),
    ),
    DemoUser("demo-birch-consultant", "Consultant at Birch (partner)", "birch", "partner", ("consultant",)),
    DemoUser(
        "demo-vendor-staff", "Vendor staff (internal) acting for alder, birch, cedar", "shared", "internal",
        ("vendor_staff",), ("alder", "birch", "cedar"),
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
    from copilot.core.auth import KEY_PREFIX, KeyStore
    from copilot.core.db import open_database

    seed = _seed(settings.data_dir)
    db = open_database(settings.sqlalchemy_url)
    from copilot.core.audit import load_keyring

    store = KeyStore(db, load_keyring(settings), pepper=settings.api_key_pepper)
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
            else:
                # Rows from before keys were sealed: reseal only a row still matching its definition.
                store.reseal_if_matches(row, u.tenant_id, u.level, u.roles, u.acting_for)
            out.append({
                "name": u.name, "description": u.description, "tenant_id": u.tenant_id, "level": u.level,
                "roles": list(u.roles), "acting_for": list(u.acting_for), "key": f"{KEY_PREFIX}{key_id}_{secret}",
            })
    finally:
        db.dispose()
    return out


def prepare_demo(settings: Any, corpus: Path = DEMO_CORPUS, progress: bool = True):
    """Ingest the demo corpus (unchanged documents are skipped) and return (services, report, keys)."""
    from copilot.core.services import build_services

    services = build_services(settings)
    # Prune is scoped by the source ledger to documents this corpus folder wrote: the demo
    # never removes uploads or documents another folder or tenant put in the same index.
    report = services.ingestor.ingest_corpus(corpus, prune=True, confirm_prune=True, progress=progress)
    keys = ensure_demo_keys(settings)
    return services, report, keys


REPO_ROOT = Path(__file__).resolve().parents[3]
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
    # The chat imports the copilot client from the same tree as this command.
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), inherited.get("PYTHONPATH", "")) if p)
    return {
        **inherited,
        "PYTHONPATH": pythonpath,
        "COPILOT_API_URL": api_url,
        "COPILOT_CHAT_USERS": str(users_file.resolve()),
        "CHAINLIT_AUTH_SECRET": hmac.new(seed, b"chainlit-auth-secret", hashlib.sha256).hexdigest(),
        "DO_NOT_TRACK": "1",
    }


def start_chat(settings: Any, api_url: str, host: str, chat_port: int, keys: list[dict[str, Any]],
               **popen: Any):
    """Start the Chainlit chat (a separate process that talks to the API over HTTP)."""
    import subprocess
    import sys

    users_file, passwords = write_chat_users(settings, keys)
    chainlit = Path(sys.executable).with_name("chainlit")
    cmd = [str(chainlit), "run", str(CHAT_APP), "--headless", "--host", host, "--port", str(chat_port)]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=chat_env(settings, api_url, users_file), **popen)
    return proc, passwords


def demo_keys_lines(keys: list[dict[str, Any]]) -> list[str]:
    """One line per demo user, ``login key``: fits 80 columns and copies cleanly."""
    return [f"{chat_login(k['name']):<17} {k['key']}" for k in keys]


def write_keys_file(settings: Any, keys: list[dict[str, Any]], passwords: dict[str, str] | None) -> Path:
    """``DATA_DIR/demo-keys.txt`` (mode 0600): who each demo user is, their API key and chat password."""
    import os

    lines = ["# Partner Copilot demo users: API keys (X-API-Key) and chat passwords.", "#"]
    lines += [f"# {chat_login(k['name']):<17} {k['description']}" for k in keys]
    lines += ["", "[api-keys]", *demo_keys_lines(keys)]
    if passwords:
        lines += ["", "[chat-logins]", *(f"{login:<17} {pw}" for login, pw in passwords.items())]
    path = settings.data_dir / KEYS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def launch_companions(settings: Any, host: str, api_port: int, chat_port: int | None,
                      keys: list[dict[str, Any]]) -> tuple[list[Any], dict[str, str]]:
    """Processes that run beside the API in the demo: the chat UI on ``chat_port``.

    Returns the started processes (``subprocess.Popen``; the demo stops them on exit) and the
    chat passwords by login.
    """
    if not chat_port:
        return [], {}
    proc, passwords = start_chat(settings, f"http://{host}:{api_port}", host, chat_port, keys)
    return [proc], passwords


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _stop_on_term() -> None:
    """SIGTERM (``kill``) ends the demo like Ctrl-C: the finally block below stops the chat too.

    uvicorn restores this handler after its graceful shutdown and re-raises the signal, so
    it also runs when the signal arrives while the API is serving.
    """
    import signal

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _stop(procs: list[Any]) -> None:
    import subprocess

    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def demo(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    chat_port: Annotated[int | None, typer.Option("--chat-port", help="Chat UI port")] = None,
    corpus: Annotated[Path, typer.Option(help="Demo corpus folder")] = DEMO_CORPUS,
) -> None:
    """Ingest the demo corpus if needed, create demo API keys and serve the API (and the chat)."""
    import os

    import uvicorn

    from copilot.api.app import create_app
    from copilot.cli.commands.common import settings_for
    from copilot.cli.ports import PortInUse, ensure_free

    if not corpus.is_dir():
        raise CliError(f"demo corpus folder {corpus} does not exist")
    # Both ports before anything slow: a busy port is reported now, not after the models load.
    for what, p in (("API", port), ("chat", chat_port)):
        if p is None:
            continue
        try:
            ensure_free(host, p)
        except PortInUse as exc:
            flag = "API_PORT" if what == "API" else "CHAT_PORT"
            raise CliError(f"{what} {exc} (e.g. make demo {flag}={p + 10})") from None
    if chat_port is not None and chat_port == port:
        raise CliError("--chat-port must differ from --port")
    # --data-dir, then COPILOT_DATA_DIR, then the demo's own folder (created: the demo starts from nothing).
    settings = settings_for(data_dir or (None if os.environ.get("COPILOT_DATA_DIR") else DEMO_DATA_DIR),
                            create=True)
    procs: list[Any] = []
    _stop_on_term()
    try:
        typer.echo(f"Preparing the demo in {settings.data_dir} (first run: about a minute) ...")
        services, report, keys = prepare_demo(settings, corpus)
        typer.echo(
            f"Index: {report.documents_written} documents written, {report.documents_skipped} unchanged, "
            f"{len(report.rejected)} rejected ({services.store.count()} chunks)."
        )
        procs, passwords = launch_companions(settings, host, port, chat_port, keys)
        keys_file = write_keys_file(settings, keys, passwords)
        url = f"http://{host}:{port}"
        typer.echo("")
        typer.echo(f"API keys (also in {keys_file}; 'copilot keys show --demo' prints them again):")
        for line in demo_keys_lines(keys):
            typer.echo(f"  {line}")
        if chat_port:
            typer.echo("")
            typer.echo(f"Chat: http://{host}:{chat_port}   logins (login password):")
            for login, pw in passwords.items():
                typer.echo(f"  {login:<17} {pw}")
        typer.echo("")
        typer.echo(f"API:  {url}   docs: {url}/docs")
        typer.echo("Ctrl-C stops the API and the chat.")
        typer.echo(f"Try:  KEY=$(awk '/^alder-consultant/ {{print $2; exit}}' {keys_file})")
        typer.echo(f"      curl -s {url}/v1/ask -H \"X-API-Key: $KEY\" \\")
        typer.echo("        -H 'Content-Type: application/json' \\")
        typer.echo("        -d '{\"question\": \"What are the go/no-go criteria for cutover?\"}'")
        uvicorn.run(create_app(settings, services=services), host=host, port=port, log_level="info",
                    access_log=False)
    finally:
        _stop(procs)
