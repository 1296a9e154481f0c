"""Chunk schema shared by ingestion, stores and the API."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from guardrails.spans import PiiSpan
from retrievers.access import MAX_TS, MIN_TS, AccessLevel

__all__ = ["Chunk", "DocType", "DocumentInfo", "PiiSpan", "ScoredChunk", "chunk_uuid", "sha256"]

CHUNK_NAMESPACE = uuid.UUID("6f1c2d1e-8a55-4c36-9a57-3f0f4b0b7a11")
SECTION_SEP = " > "


class DocType(StrEnum):
    PLAYBOOK = "playbook"
    CONTRACT = "contract"
    SOW = "sow"
    RELEASE_NOTE = "release_note"
    POLICY = "policy"
    TEMPLATE = "template"
    OTHER = "other"


def chunk_uuid(tenant_id: str, doc_id: str, version: str, position: int) -> str:
    """Deterministic chunk id so every write is an upsert."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{tenant_id}/{doc_id}/{version}/{position}"))


def sha256(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass
class Chunk:
    """One retrievable unit with its permission tags and provenance.

    ``text`` is what an entitled reader may see (already redacted in strict mode);
    ``index_text`` is the redacted text that embeddings and the full-text index are
    built from, so the index itself carries no personal data.
    ``char_start``/``char_end`` locate ``text`` in the document's extracted text.
    """

    chunk_id: str
    doc_id: str
    tenant_id: str
    access_level: AccessLevel
    doc_type: str
    title: str
    version: str
    position: int
    text: str
    index_text: str
    section_path: list[str] = field(default_factory=list)
    page: int | None = None
    char_start: int = 0
    char_end: int = 0
    approved: bool = True
    superseded: bool = False
    valid_from: int = MIN_TS
    valid_until: int = MAX_TS
    content_hash: str = ""
    doc_hash: str = ""
    pii_spans: list[PiiSpan] = field(default_factory=list)
    injection_flag: bool = False

    @property
    def section(self) -> str:
        return SECTION_SEP.join(self.section_path)


@dataclass
class ScoredChunk:
    """A search hit: the chunk plus its score and the retriever that produced it."""

    chunk: Chunk
    score: float
    source: str = ""  # "dense" | "fulltext" | "hybrid" | "rerank"
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentInfo:
    """One document as listed to a principal."""

    doc_id: str
    tenant_id: str
    title: str
    doc_type: str
    access_level: AccessLevel
    version: str
    chunks: int
    approved: bool
    superseded: bool
    valid_from: int
    valid_until: int
    doc_hash: str
