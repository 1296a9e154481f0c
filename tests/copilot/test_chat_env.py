"""The chat process gets the API URL and its own secrets, never the governance database."""

from __future__ import annotations

from copilot.cli.commands.demo import chat_env
from copilot.core.settings import Settings


def test_chat_env_drops_database_urls(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("COPILOT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    env = chat_env(Settings(data_dir=tmp_path), "http://127.0.0.1:9", tmp_path / "users.json")
    # Chainlit switches on its own asyncpg persistence when it sees DATABASE_URL and then fails.
    assert "DATABASE_URL" not in env and "COPILOT_DATABASE_URL" not in env
    assert env["COPILOT_API_URL"] == "http://127.0.0.1:9"
    assert len(env["CHAINLIT_AUTH_SECRET"]) == 64
