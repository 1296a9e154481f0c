"""`copilot serve`: the HTTP server options, and several workers only where they are safe."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from copilot.cli import main
from copilot.cli.commands import serve as serve_cmd
from copilot.cli.commands.common import CliError
from copilot.core.settings import load_settings

PG = "postgresql+psycopg://copilot@127.0.0.1:5432/copilot"


@pytest.fixture(autouse=True)
def _sqlite_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # CI points DATABASE_URL at PostgreSQL; these tests decide the database themselves (with it set,
    # "serve --workers 2" on a bare data dir would start serving instead of refusing).
    for var in ("DATABASE_URL", "COPILOT_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)


def _run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


def test_several_workers_on_sqlite_are_refused_before_anything_loads(tmp_path: Path) -> None:
    code, err = _run_cli(["serve", "--workers", "2", "--data-dir", str(tmp_path)])
    assert code != 0
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "Traceback" not in err


def test_workers_setting_is_checked_like_the_option(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, api_workers=3)
    with pytest.raises(CliError, match="PostgreSQL"):
        serve_cmd.check_workers(settings, settings.api_workers)
    assert serve_cmd.check_workers(settings, 1) == []


def test_per_process_rate_limits_are_announced_with_several_workers(tmp_path: Path) -> None:
    memory = load_settings(data_dir=tmp_path, database_url=PG, api_rate_limit="60/minute")
    (warning,) = serve_cmd.check_workers(memory, 2)
    assert "per worker" in warning and "2 x 60/minute" in warning
    shared = load_settings(data_dir=tmp_path, database_url=PG, api_rate_limit_storage="redis://cache:6379")
    assert serve_cmd.check_workers(shared, 2) == []


def test_shared_state_is_created_once_before_the_workers_start(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    env = serve_cmd.prepare_workers(settings, 2)
    key = (tmp_path / "audit.key").read_text()
    assert (tmp_path / "copilot.db").exists()
    # Index writes through one worker are visible to the others' next search.
    assert env["COPILOT_INDEX_READ_CONSISTENCY_S"] == "0"
    assert Path(env["COPILOT_DATA_DIR"]) == tmp_path.resolve()
    serve_cmd.prepare_workers(settings, 2)
    assert (tmp_path / "audit.key").read_text() == key  # the same key for every worker
    bounded = load_settings(data_dir=tmp_path, index_read_consistency_s=2.0)
    assert "COPILOT_INDEX_READ_CONSISTENCY_S" not in serve_cmd.prepare_workers(bounded, 2)


def test_workers_read_their_settings_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    # run_workers writes the workers' environment into os.environ: registered here so it is restored.
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_INDEX_READ_CONSISTENCY_S", "5")
    monkeypatch.delenv("COPILOT_INDEX_READ_CONSISTENCY_S")
    serve_cmd.run_workers(load_settings(data_dir=tmp_path, api_worker_healthcheck_s=90), "127.0.0.1", 8999, 2)
    assert seen["app"] == "copilot.api.app:app_from_env" and seen["factory"] and seen["workers"] == 2
    # A worker still loading models on a busy machine is not killed by uvicorn's 5 s liveness ping.
    assert seen["timeout_worker_healthcheck"] == 90
    uvicorn.Config("copilot.api.app:app_from_env", factory=True, timeout_worker_healthcheck=90)  # a real option
    from copilot.api.app import app_from_env

    assert app_from_env().state.copilot.settings.index_read_consistency_s == 0


def test_server_uses_the_c_http_parser_and_event_loop() -> None:
    assert serve_cmd.SERVER_OPTIONS["http"] == "httptools" and serve_cmd.SERVER_OPTIONS["loop"] == "uvloop"

    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
        return None

    config = uvicorn.Config(app, **serve_cmd.SERVER_OPTIONS)
    config.load()  # fails when httptools is not installed
    assert config.http_protocol_class.__module__.endswith("httptools_impl")


def test_workers_without_the_production_audit_key_are_refused_in_one_line(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, mode="production", database_url=PG)
    with pytest.raises(CliError, match="COPILOT_AUDIT_HMAC_KEY"):
        serve_cmd.prepare_workers(settings, 2)


def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                             audit_hmac_key="k" * 32)
    with pytest.raises(CliError, match="cannot prepare the workers"):
        serve_cmd.prepare_workers(settings, 2)
