"""The ``Store`` protocol every index backend implements.

Contract (checked by ``tests/contract/`` for every backend):
- writes are upserts keyed by ``chunk_id``;
- ``replace_document`` swaps all chunks of one document in one step, so a
  failure leaves the old chunks intact (per-document atomicity);
- every search applies the :class:`~retrievers.access.AccessFilter` inside the
  query (pre-filter: top-k is filled with visible chunks only) and returns only
  chunks that pass it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from retrievers.access import AccessFilter
from retrievers.schema import Chunk, DocumentInfo, ScoredChunk


class StoreError(RuntimeError):
    """A backend failed to read or write; the message is safe to show to operators."""


@runtime_checkable
class Store(Protocol):
    name: str

    def replace_document(
        self, tenant_id: str, doc_id: str, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> int:
        """Atomically replace every chunk of (tenant_id, doc_id) with ``chunks``; returns rows written."""
        ...

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Insert or update chunks by chunk_id; returns rows written."""
        ...

    def delete_document(self, tenant_id: str, doc_id: str) -> int:
        """Delete a document's chunks; returns how many were removed."""
        ...

    def set_superseded(self, tenant_id: str, doc_id: str, superseded: bool) -> None:
        """Mark every chunk of a document as superseded (or current again)."""
        ...

    def dense_search(self, vector: np.ndarray, flt: AccessFilter, k: int) -> list[ScoredChunk]:
        """Nearest neighbours among chunks the filter allows (cosine; higher score = closer)."""
        ...

    def text_search(self, query: str, flt: AccessFilter, k: int) -> list[ScoredChunk]:
        """Full-text (BM25) matches among chunks the filter allows."""
        ...

    def document_hashes(self, tenant_id: str | None = None) -> dict[tuple[str, str], str]:
        """(tenant_id, doc_id) -> doc_hash for every stored document (used for idempotent ingest)."""
        ...

    def list_documents(self, flt: AccessFilter | None = None) -> list[DocumentInfo]:
        """Documents with at least one chunk the filter allows (all documents when None)."""
        ...

    def get_chunks(self, chunk_ids: Sequence[str], flt: AccessFilter) -> list[Chunk]:
        """Fetch chunks by id, only those the filter allows."""
        ...

    def count(self) -> int:
        ...

    def iter_all(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        """Every chunk with its stored vector, in batches (for reindexing without re-embedding)."""
        ...

    def close(self) -> None:
        ...


def iter_chunks(store: Store, batch_size: int = 1000) -> Iterator[list[Chunk]]:
    """Every chunk in batches, without vectors when the store can skip them (``iter_chunks``)."""
    own = getattr(store, "iter_chunks", None)
    if callable(own):
        yield from own(batch_size)
        return
    for chunks, _ in store.iter_all(batch_size):
        yield chunks


def data_version(store: Store) -> int | None:
    """A number that changes with every write, when the store has one (else None: unknown)."""
    v = getattr(store, "data_version", None)
    return int(v) if isinstance(v, int) else None
