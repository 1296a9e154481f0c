"""Every CLI command given bad arguments: one line on stderr, a non-zero exit, never a traceback.

The cases run through ``copilot.cli.main`` (the console entry point) in-process; none of them may
need the models, because each mistake must be reported before anything slow starts. The
milestone cases (which need the index) are at the end and marked slow. ``python -m
tests.copilot.test_cli_errors`` prints the table of commands, exit codes and messages.
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.cli import main

MISSING = "/nonexistent/copilot-data"


def cases(tmp: Path, busy_port: int) -> list[list[str]]:
    d = ["--data-dir", str(tmp)]
    users = ["--file", str(tmp / "users.json")]
    return [
        ["nosuchcommand"],
        ["search", "cutover", "--tenant", "alder", "--mode", "bm25", *d],
        ["search", "cutover", "--tenant", "alder", "--level", "boss", *d],
        ["search", "cutover", "--tenant", "alder", "-k", "0", *d],
        ["search", "cutover", "--tenant", "alder", "--data-dir", MISSING],
        ["search", "cutover", "--tenant", "alder", *d],
        ["search", "cutover"],
        ["search", "cutover", "--tenant", "alder", "--bogus", *d],
        ["ingest", str(tmp / "no-corpus"), *d],
        ["ingest", "corpora/demo", "--data-dir", MISSING],
        ["ingest", "corpora/demo", "--manifest", str(tmp / "none.yaml"), *d],
        ["serve", "--data-dir", MISSING],
        ["serve", "--port", "70000", *d],
        ["serve", "--port", str(busy_port), *d],
        ["serve", "--log-level", "loud", *d],
        ["demo", "--port", str(busy_port), "--data-dir", str(tmp / "demo")],
        ["demo", "--port", "8123", "--chat-port", str(busy_port), "--data-dir", str(tmp / "demo")],
        ["demo", "--corpus", str(tmp / "no-corpus"), "--data-dir", str(tmp / "demo")],
        ["keys", "create", "--tenant", "alder", "--name", "x", "--level", "boss", *d],
        ["keys", "create", "--tenant", "alder", "--name", "x", "--acting-for", "birch", *d],
        ["keys", "create", "--tenant", "alder", "--name", "x", "--data-dir", MISSING],
        ["keys", "list", "--data-dir", MISSING],
        ["keys", "revoke", "nobody", *d],
        ["keys", "show", *d],
        ["keys", "show", "--demo", *d],
        ["audit", "verify", "--data-dir", MISSING],
        ["audit", "tail", "-n", "0", *d],
        ["check", "sow", *d],
        ["check", "sow", str(tmp / "missing-sow.md"), *d],
        ["check", "sow", "--doc-id", "docs/x", "--level", "boss", *d],
        ["check", "sow", "--doc-id", "docs/x", *d],
        ["check", "milestone", "--project", "PRJ-KVD", "--milestone", "uat-exit", "--data-dir", MISSING],
        ["reindex", "--from", "foo", "--to", "lancedb", *d],
        ["reindex", "--from", "lancedb", "--to", "lancedb", "--data-dir", MISSING, "--to-data-dir", str(tmp)],
        ["chat-users", "add", "bob", "--role", "wizard", "--tenant", "alder", *users],
        ["chat-users", "add", "Bad Name!", "--role", "consultant", "--tenant", "alder", *users],
        ["chat-users", "add", "bob", "--role", "consultant", "--tenant", "alder", "--api-key", "nope", *users],
        ["chat-users", "add", "bob", "--role", "consultant", "--tenant", "alder", "--password-stdin",
         "--api-key", "pc_0123456789ab_" + "x" * 40, *users],
        ["chat-users", "list", "--file", str(tmp / "none.json")],
        ["chat-users", "remove", "bob", *users],
    ]


def run(argv: list[str], stdin: str = "short\n") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_in = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_in
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _check(argv: list[str], code: int, out: str, err: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0, f"{argv}: exit 0\n{out}{err}"
    assert "Traceback" not in out + err, f"{argv}:\n{err}"
    assert len(lines) == 1 and lines[0].startswith("error"), f"{argv}: not one error line:\n{err}"


def test_every_bad_command_is_one_line_and_nonzero(tmp_path, busy_port, monkeypatch):
    monkeypatch.delenv("COPILOT_DATA_DIR", raising=False)
    monkeypatch.delenv("COPILOT_CHAT_USERS", raising=False)
    argvs = cases(tmp_path, busy_port)
    for argv in argvs:
        _check(argv, *run(argv))
    # Nothing was created by the failing commands.
    assert not Path(MISSING).exists() and not (tmp_path / "demo").exists()
    assert not (tmp_path / "users.json").exists()


def _sqlite_in_data_dir(monkeypatch) -> None:
    """These cases are about the data dir, which holds the SQLite governance store by default."""
    for var in ("COPILOT_DATA_DIR", "DATABASE_URL", "COPILOT_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)


def test_data_dir_is_created_only_with_create(tmp_path, monkeypatch):
    _sqlite_in_data_dir(monkeypatch)
    new = tmp_path / "fresh"
    code, _, err = run(["keys", "list", "--data-dir", str(new)])
    assert code == 2 and "--create" in err and not new.exists()
    code, out, err = run(["keys", "create", "--tenant", "alder", "--name", "a", "--data-dir", str(new), "--create"])
    assert code == 0 and new.is_dir(), err
    code, out, _ = run(["keys", "list", "--data-dir", str(new)])
    assert code == 0 and out.split()[1] == "a"


def test_chat_users_add_writes_argon2_and_a_working_key(tmp_path, monkeypatch):
    from copilot.chat_users import load_users, verify_password
    from copilot.core.audit import load_keyring
    from copilot.core.auth import KeyStore
    from copilot.core.db import open_database
    from copilot.core.settings import load_settings

    _sqlite_in_data_dir(monkeypatch)
    users = tmp_path / "deploy" / "chat-users.json"
    d = tmp_path / "data"
    d.mkdir()
    argv = ["chat-users", "add", "erin", "--role", "partner_manager", "--tenant", "alder", "--level", "internal",
            "--display-name", "Erin (Alder)", "--password-stdin", "--file", str(users), "--data-dir", str(d)]
    code, out, err = run(argv, stdin="correct horse battery\n")
    assert code == 0, err
    assert users.stat().st_mode & 0o777 == 0o600
    entry = load_users(users)["erin"]
    assert entry["password_argon2"].startswith("$argon2id$") and "correct horse" not in users.read_text()
    assert verify_password(entry, "correct horse battery") and not verify_password(entry, "correct horse batterY")
    keyring = load_keyring(load_settings(data_dir=d))
    principal, _ = KeyStore(open_database(f"sqlite:///{d / 'copilot.db'}"), keyring).authenticate(entry["api_key"])
    assert principal.tenant_id == "alder" and principal.has_role("partner_manager")
    # A second add of the same login is refused unless --replace.
    code, _, err = run(argv, stdin="correct horse battery\n")
    assert code == 2 and "--replace" in err


def test_console_entry_point_has_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "copilot", "search", "x", "--tenant", "alder", "--mode", "bm25"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("error:")


@pytest.mark.slow
def test_unknown_project_or_milestone_files_nothing(demo_data_dir, monkeypatch, tmp_path):
    from sqlalchemy import func, select

    from copilot.core.db import open_database
    from copilot.governance.reviews import ReviewItem

    db_url = f"sqlite:///{tmp_path / 'gov.db'}"
    monkeypatch.setenv("COPILOT_DATABASE_URL", db_url)
    d = ["--data-dir", str(demo_data_dir), "--tenant", "alder"]
    code, _, err = run(["check", "milestone", "--project", "PRJ-NOPE", "--milestone", "uat-exit", *d])
    _check(["milestone PRJ-NOPE"], code, "", err)
    assert "PRJ-NOPE" in err and "--tenant" in err
    code, _, err = run(["check", "milestone", "--project", "PRJ-KVD", "--milestone", "go-live-party", *d])
    _check(["milestone go-live-party"], code, "", err)
    assert "go-live-readiness" in err
    db = open_database(db_url)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == 0


if __name__ == "__main__":  # the table for the docs: command | exit | message
    import tempfile

    with tempfile.TemporaryDirectory() as t, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        print("| command | exit | message |\n| --- | --- | --- |")
        for argv in cases(Path(t), busy.getsockname()[1]):
            code, out, err = run(argv)
            shown = " ".join(argv).replace(t, "$TMP")
            print(f"| `copilot {shown}` | {code} | {err.strip().replace(t, '$TMP').replace('|', '/')} |")
