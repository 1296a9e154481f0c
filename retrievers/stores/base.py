"""The ``Store`` protocol every index backend implements.

Contract (checked by ``tests/contract/`` for every backend):
- writes are upserts keyed by ``chunk_id``;
- ``replace_document`` swaps all chunks of one document in one step, so a
  failure leaves the old chunks intact (per-document atomicity);
- every search applies the :class:`~retrievers.access.AccessFilter` inside the
  query (pre-filter: top-k is filled with visible chunks only) and returns only
  chunks that pass it;
- writes take one vector per chunk (a 2-D array) or, per chunk, the vectors of its
  windows (:data:`Vectors`); dense search scores a chunk by its best window, so a
  passage deep in a long chunk is found although the model reads only 256 tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from retrievers.access import AccessFilter
from retrievers.schema import Chunk, DocumentInfo, ScoredChunk

Vectors = np.ndarray | Sequence[np.ndarray]
"""One vector per chunk (a 2-D array), or per chunk an ``(n_windows, dim)`` array of its windows."""


def split_vectors(vectors: Vectors, n: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(one pooled vector per chunk, each chunk's window vectors) from what a write was given.

    The pooled vector is the L2-normalised mean of the windows (a one-window chunk keeps its
    vector as given): it serves approximate indexes and tools that want one vector a chunk.
    """
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
        arr = vectors.astype(np.float32, copy=False)
        if len(arr) != n:
            raise ValueError(f"{n} chunks but {len(arr)} vectors")
        return arr, [arr[i : i + 1] for i in range(len(arr))]
    windows = [np.atleast_2d(np.asarray(v, dtype=np.float32)) for v in vectors]
    if len(windows) != n:
        raise ValueError(f"{n} chunks but {len(windows)} vectors")
    if any(len(w) == 0 for w in windows):
        raise ValueError("a chunk needs at least one vector")
    pooled = np.empty((n, windows[0].shape[1] if windows else 0), dtype=np.float32)
    for i, w in enumerate(windows):
        if len(w) == 1:
            pooled[i] = w[0]
        else:
            m = w.mean(axis=0)
            pooled[i] = m / (np.linalg.norm(m) or 1.0)
    return pooled, windows


def best_window_scores(query: np.ndarray, windows: Sequence[np.ndarray]) -> list[float]:
    """Cosine similarity of ``query`` to each chunk's closest window."""
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    q = q / (np.linalg.norm(q) or 1.0)
    out = []
    for w in windows:
        w = np.atleast_2d(np.asarray(w, dtype=np.float32))
        norms = np.linalg.norm(w, axis=1)
        norms[norms == 0] = 1.0
        out.append(float(np.max((w @ q) / norms)))
    return out


def best_window_scores_arrow(query: np.ndarray, windows: Any) -> np.ndarray:
    """:func:`best_window_scores` of an Arrow list-of-vectors column, without Python lists."""
    import pyarrow as pa

    col = windows.combine_chunks() if isinstance(windows, pa.ChunkedArray) else windows
    n = len(col)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    lengths = np.asarray(col.value_lengths().fill_null(0), dtype=np.int64)
    flat = np.asarray(col.flatten().flatten(), dtype=np.float32)
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    q = q / (np.linalg.norm(q) or 1.0)
    mat = flat.reshape(-1, q.shape[0])
    norms = np.linalg.norm(mat, axis=1)
    norms[norms == 0] = 1.0
    sims = (mat @ q) / norms
    best = np.full(n, -1.0, dtype=np.float32)  # a row without windows ranks last
    has = lengths > 0
    if has.any():
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[has]
        best[has] = np.maximum.reduceat(sims, starts)
    return best


class StoreError(RuntimeError):
    """A backend failed to read or write; the message is safe to show to operators."""


@runtime_checkable
class Store(Protocol):
    name: str

    def replace_document(
        self, tenant_id: str, doc_id: str, chunks: Sequence[Chunk], vectors: Vectors
    ) -> int:
        """Atomically replace every chunk of (tenant_id, doc_id) with ``chunks``; returns rows written."""
        ...

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> int:
        """Insert or update chunks by chunk_id; returns rows written."""
        ...

    def delete_document(self, tenant_id: str, doc_id: str) -> int:
        """Delete a document's chunks; returns how many were removed."""
        ...

    def set_superseded(self, tenant_id: str, doc_id: str, superseded: bool) -> None:
        """Mark every chunk of a document as superseded (or current again)."""
        ...

    def dense_search(
        self, vector: np.ndarray, flt: AccessFilter, k: int, *, candidates: bool = False
    ) -> list[ScoredChunk]:
        """Nearest neighbours among chunks the filter allows (cosine of the best window; higher = closer).

        ``candidates``: the hits may carry only what ranking and the access check need (no text);
        :meth:`hydrate` reads the ones kept in full. A store may always return full rows."""
        ...

    def text_search(self, query: str, flt: AccessFilter, k: int, *, candidates: bool = False) -> list[ScoredChunk]:
        """Full-text (BM25) matches among chunks the filter allows; ``candidates`` as in :meth:`dense_search`."""
        ...

    def hydrate(self, hits: list[ScoredChunk], flt: AccessFilter) -> list[ScoredChunk]:
        """``hits`` in order with every candidate read in full, scores and ranks kept: each row read is
        re-checked with ``flt``, and a candidate gone or no longer visible since the search is left
        out. Hits that are full rows already pass through (the caller re-checks every hit)."""
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
        """Every chunk with its pooled vector, in batches (for reindexing without re-embedding)."""
        ...

    def iter_windows(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], list[np.ndarray]]]:
        """Every chunk with its ``(n_windows, dim)`` window vectors, in batches.

        What a copy (reindex) writes, so the target keeps best-window dense scoring without
        re-embedding; a chunk stored with one vector comes back as a one-row array.
        """
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
