"""Demo keys: written to the file the README names, one per line, within 80 columns."""

from __future__ import annotations

import contextlib
import io
import signal

from copilot.cli import main
from copilot.cli.commands.demo import (
    DEMO_USERS,
    KEYS_FILE,
    _stop_on_term,
    chat_login,
    ensure_demo_keys,
    write_chat_users,
    write_keys_file,
)
from copilot.core.settings import Settings


def test_keys_file_and_keys_show_print_one_key_per_line(tmp_path, monkeypatch):
    monkeypatch.delenv("COPILOT_DATA_DIR", raising=False)
    settings = Settings(data_dir=tmp_path)
    keys = ensure_demo_keys(settings)
    _, passwords = write_chat_users(settings, keys)
    path = write_keys_file(settings, keys, passwords)
    assert path == tmp_path / KEYS_FILE and path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    api_section = text.split("[api-keys]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in api_section] == [chat_login(u.name) for u in DEMO_USERS]
    assert {line.split()[1] for line in api_section} == {k["key"] for k in keys}

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["keys", "show", "--demo", "--data-dir", str(tmp_path)])
    assert out.getvalue().splitlines() == api_section


def test_sigterm_becomes_a_normal_exit_so_the_chat_is_stopped(monkeypatch):
    previous = signal.getsignal(signal.SIGTERM)
    try:
        _stop_on_term()
        handler = signal.getsignal(signal.SIGTERM)
        try:
            handler(signal.SIGTERM, None)  # type: ignore[operator]
        except SystemExit as exc:
            assert exc.code == 128 + signal.SIGTERM
        else:
            raise AssertionError("SIGTERM must raise SystemExit so the demo's finally block runs")
    finally:
        signal.signal(signal.SIGTERM, previous)
