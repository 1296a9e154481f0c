"""Embedded default store: LanceDB in a local folder (no server).

The access filter is compiled into the SQL ``where`` of every query and applied
as a pre-filter, so top-k is filled with visible chunks only; results are then
re-checked in Python with the same rule before they are returned.

Above ``ann_min_rows`` chunks an IVF-PQ vector index is built (on :meth:`optimize`):
the pre-filter still runs inside the query (LanceDB masks the rows the filter rejects
before it ranks candidates, so top-k stays full), the probed partitions' candidates
are re-ranked with their exact vectors (``refine_factor``), and recall@10 against exact
search is measured in ``evals/bench_perf.py``. Rows written after the index was built
are searched exactly until :meth:`optimize` folds them in.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from retrievers.access import AccessFilter, AccessLevel, AccessViolation
from retrievers.schema import Chunk, DocumentInfo, PiiSpan, ScoredChunk
from retrievers.stores.base import StoreError

TABLE = "chunks"


def _q(value: str) -> str:
    """Quote a string literal for LanceDB SQL (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def filter_sql(flt: AccessFilter) -> str:
    """The visibility rule as a LanceDB SQL predicate."""
    parts = [
        f"tenant_id IN ({', '.join(_q(t) for t in flt.tenants)})" if flt.tenants else "false",
        f"access_level <= {int(flt.max_level)}",
        "approved = true",
        "superseded = false",
        f"valid_from <= {int(flt.now)}",
        f"valid_until > {int(flt.now)}",
    ]
    if flt.doc_ids is not None:
        parts.append(f"doc_id IN ({', '.join(_q(d) for d in flt.doc_ids)})" if flt.doc_ids else "false")
    return " AND ".join(parts)


def _schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("chunk_id", pa.string(), nullable=False),
            pa.field("doc_id", pa.string(), nullable=False),
            pa.field("tenant_id", pa.string(), nullable=False),
            pa.field("access_level", pa.int32(), nullable=False),
            pa.field("doc_type", pa.string()),
            pa.field("title", pa.string()),
            pa.field("version", pa.string()),
            pa.field("position", pa.int32()),
            pa.field("text", pa.string()),
            pa.field("index_text", pa.string()),
            pa.field("search_text", pa.string()),
            pa.field("section_path", pa.list_(pa.string())),
            pa.field("page", pa.int32(), nullable=True),
            pa.field("char_start", pa.int64()),
            pa.field("char_end", pa.int64()),
            pa.field("approved", pa.bool_()),
            pa.field("superseded", pa.bool_()),
            pa.field("valid_from", pa.int64()),
            pa.field("valid_until", pa.int64()),
            pa.field("content_hash", pa.string()),
            pa.field("doc_hash", pa.string()),
            pa.field("pii_spans", pa.string()),
            pa.field("injection_flag", pa.bool_()),
            pa.field("vector", pa.list_(pa.float32(), dim)),
        ]
    )


def search_text(chunk: Chunk) -> str:
    """What the full-text index sees: title and section help match the document, body is redacted."""
    head = " ".join([chunk.title, *chunk.section_path])
    return f"{head}\n{chunk.index_text}"


def _rows(chunks: Sequence[Chunk], vectors: np.ndarray) -> list[dict[str, Any]]:
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    rows = []
    for c, v in zip(chunks, vectors, strict=True):
        rows.append(
            {
                "chunk_id": c.chunk_id,
                "doc_id": c.doc_id,
                "tenant_id": c.tenant_id,
                "access_level": int(c.access_level),
                "doc_type": c.doc_type,
                "title": c.title,
                "version": c.version,
                "position": c.position,
                "text": c.text,
                "index_text": c.index_text,
                "search_text": search_text(c),
                "section_path": list(c.section_path),
                "page": c.page,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "approved": c.approved,
                "superseded": c.superseded,
                "valid_from": c.valid_from,
                "valid_until": c.valid_until,
                "content_hash": c.content_hash,
                "doc_hash": c.doc_hash,
                "pii_spans": json.dumps([[s.entity_type, s.start, s.end, round(s.score, 4)] for s in c.pii_spans]),
                "injection_flag": c.injection_flag,
                "vector": np.asarray(v, dtype=np.float32).tolist(),
            }
        )
    return rows


def row_to_chunk(row: dict[str, Any]) -> Chunk:
    raw = row.get("pii_spans")
    # Most chunks hold no personal data: skip the JSON parser for them (every search converts
    # 100 candidate rows).
    spans = ([PiiSpan(t, int(s), int(e), float(sc)) for t, s, e, sc in json.loads(raw)]
             if raw and raw != "[]" else [])
    return Chunk(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        tenant_id=row["tenant_id"],
        access_level=AccessLevel(int(row["access_level"])),
        doc_type=row["doc_type"],
        title=row["title"],
        version=row["version"],
        position=int(row["position"]),
        text=row["text"],
        index_text=row["index_text"],
        section_path=list(row["section_path"] or []),
        page=row["page"],
        char_start=int(row["char_start"]),
        char_end=int(row["char_end"]),
        approved=bool(row["approved"]),
        superseded=bool(row["superseded"]),
        valid_from=int(row["valid_from"]),
        valid_until=int(row["valid_until"]),
        content_hash=row["content_hash"],
        doc_hash=row["doc_hash"],
        pii_spans=spans,
        injection_flag=bool(row["injection_flag"]),
    )


# Every column but the vector: results never need it, and fetching 384 floats per
# row dominated query time at k=50.
_ROW_COLUMNS = [
    "chunk_id", "doc_id", "tenant_id", "access_level", "doc_type", "title", "version", "position", "text",
    "index_text", "section_path", "page", "char_start", "char_end", "approved", "superseded", "valid_from",
    "valid_until", "content_hash", "doc_hash", "pii_spans", "injection_flag",
]  # fmt: skip

_META_COLUMNS = [
    "doc_id", "tenant_id", "title", "doc_type", "access_level", "version",
    "approved", "superseded", "valid_from", "valid_until", "doc_hash",
]  # fmt: skip


def _table_names(db: Any) -> list[str]:
    """Table names across LanceDB versions (``table_names`` is deprecated in 0.40)."""
    if hasattr(db, "list_tables"):
        res = db.list_tables()
        return list(getattr(res, "tables", res))
    return list(db.table_names())


class LanceDBStore:
    """Chunks in one LanceDB table with a native full-text index on ``search_text``."""

    name = "lancedb"

    def __init__(
        self, path: str | Path, dim: int = 384, *, ann_min_rows: int = 10_000, ann_nprobes: int = 20,
        ann_refine_factor: int = 10, read_consistency_s: float | None = None,
    ):
        import lancedb

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        # None: the table keeps the version it opened (plus this process's own writes). Several
        # processes serving one folder need a bound (0 = check for a newer version on every read),
        # or a document deleted by one of them would still be served by the others.
        interval = timedelta(seconds=read_consistency_s) if read_consistency_s is not None else None
        self._db = lancedb.connect(str(self.path), read_consistency_interval=interval)
        self._write_lock = threading.Lock()
        if TABLE in _table_names(self._db):
            self._table = self._db.open_table(TABLE)
            self.dim = self._table.schema.field("vector").type.list_size  # the stored width wins
        else:
            self._table = self._db.create_table(TABLE, schema=_schema(dim))
        # Rows written after the FTS index was built are still searched (LanceDB scans
        # the unindexed part), so the index only has to exist; optimize() folds new rows in.
        self._has_fts = self._has_fts_index()
        self.ann_min_rows = ann_min_rows
        self.ann_nprobes = ann_nprobes
        self.ann_refine_factor = ann_refine_factor
        self._has_ann = self._has_vector_index()
        # Partitions of the index (sqrt of the rows it was built on; estimated when reopened).
        self._ann_partitions = int(math.sqrt(self._table.count_rows())) if self._has_ann else 0
        self.exact_search = False  # benchmarks: every dense search bypasses the ANN index

    # ---- writes ------------------------------------------------------------
    def replace_document(self, tenant_id: str, doc_id: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        # One merge_insert is one LanceDB commit: readers see either the old chunks or
        # the new ones, never a mix (per-document atomicity).
        return self.replace_documents([(tenant_id, doc_id, chunks, vectors)])

    def replace_documents(self, docs: Sequence[tuple[str, str, Sequence[Chunk], np.ndarray]]) -> int:
        """Replace several documents in one commit (each is old or new, never a mix).

        Ingestion writes small documents in groups: one merge_insert per document made
        LanceDB commits, not the model, the bottleneck on corpora of many small files.
        """
        if not docs:
            return 0
        by_tenant: dict[str, list[str]] = {}
        tables = []
        for tenant_id, doc_id, chunks, vectors in docs:
            for c in chunks:
                if c.tenant_id != tenant_id or c.doc_id != doc_id:
                    raise ValueError(f"chunk {c.chunk_id} does not belong to {tenant_id}/{doc_id}")
            by_tenant.setdefault(tenant_id, []).append(doc_id)
            if chunks:
                tables.append(pa.Table.from_pylist(_rows(chunks, vectors), schema=self._table.schema))
        scope = " OR ".join(
            f"(tenant_id = {_q(t)} AND doc_id IN ({', '.join(_q(d) for d in ids)}))" for t, ids in by_tenant.items()
        )
        with self._write_lock:
            if not tables:
                self._table.delete(scope)
            else:
                (
                    self._table.merge_insert("chunk_id")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(scope)
                    .execute(pa.concat_tables(tables))
                )
        return sum(len(c) for _, _, c, _ in docs)

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        if not chunks:
            return 0
        with self._write_lock:
            (
                self._table.merge_insert("chunk_id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute(pa.Table.from_pylist(_rows(chunks, vectors), schema=self._table.schema))
            )
        return len(chunks)

    def delete_document(self, tenant_id: str, doc_id: str) -> int:
        scope = f"tenant_id = {_q(tenant_id)} AND doc_id = {_q(doc_id)}"
        with self._write_lock:
            n = self._table.count_rows(scope)
            if n:
                self._table.delete(scope)
            return n

    def set_superseded(self, tenant_id: str, doc_id: str, superseded: bool) -> None:
        scope = f"tenant_id = {_q(tenant_id)} AND doc_id = {_q(doc_id)}"
        with self._write_lock:
            self._table.update(where=scope, values={"superseded": bool(superseded)})

    # ---- full-text index ---------------------------------------------------
    def _has_fts_index(self) -> bool:
        try:
            return any(getattr(i, "index_type", "") == "FTS" for i in self._table.list_indices())
        except Exception:  # pragma: no cover - old table formats
            return False

    def ensure_indexes(self) -> bool:
        """Create the full-text index if it does not exist yet; returns whether it exists."""
        if self._has_fts:
            return True
        with self._write_lock:
            if self._has_fts or self._table.count_rows() == 0:
                return self._has_fts
            self._table.create_fts_index(
                "search_text", replace=True, with_position=False, stem=True, remove_stop_words=True
            )
            self._has_fts = True
        return True

    def optimize(self) -> None:
        """Fold newly written rows into the indexes and compact files (call after a batch of writes)."""
        if not self.ensure_indexes():
            return
        self.ensure_ann_index()
        with self._write_lock:
            self._table.optimize()

    # ---- vector (ANN) index --------------------------------------------------
    def _has_vector_index(self) -> bool:
        try:
            return any("vector" in list(getattr(i, "columns", [])) for i in self._table.list_indices())
        except Exception:  # pragma: no cover - old table formats
            return False

    @property
    def has_ann_index(self) -> bool:
        return self._has_ann

    def ensure_ann_index(self, force: bool = False) -> bool:
        """Build the IVF-PQ index once the table reaches ``ann_min_rows`` (or when forced)."""
        if self._has_ann:
            return True
        n = self._table.count_rows()
        if n == 0 or (n < self.ann_min_rows and not force) or n < 256:
            return False
        from lancedb.index import IvfPq

        # sqrt(n) partitions balances probe cost against partition size; 8 dims per PQ
        # sub-vector keeps the codes small. The exact vectors re-rank the candidates.
        parts = max(1, int(math.sqrt(n)))
        sub = self.dim // 8 if self.dim % 8 == 0 else 1
        with self._write_lock:
            self._table.create_index("vector", config=IvfPq(distance_type="cosine", num_partitions=parts,
                                                            num_sub_vectors=sub), replace=True)
            self._has_ann = True
            self._ann_partitions = parts
        return True

    @property
    def effective_nprobes(self) -> int:
        """Recall follows the share of partitions probed, not their count: probe at least 6 %
        (20 of 316 gave recall@10 0.999 at 100k; 20 of 1,000 only 0.95 at 1M)."""
        return max(self.ann_nprobes, math.ceil(0.06 * self._ann_partitions))

    def refine_factor_for(self, k: int) -> int:
        """Refine factor giving a re-rank pool of ``ann_refine_factor`` x 10 candidates whatever ``k``.

        Fetching the exact vectors of the pool is most of an ANN query's cost: the retriever's
        50 hybrid candidates at factor 10 re-ranked 500. The top 10 of a 50 query come from the
        same 100-candidate pool as a 10 query at factor 10, so recall@10 is unchanged
        (measured for both in ``evals/bench_perf.py``); ranks 11-50 feed the fusion only.
        """
        return max(1, math.ceil(self.ann_refine_factor * 10 / max(1, k)))

    # ---- reads -------------------------------------------------------------
    def _checked(self, rows: list[dict[str, Any]], flt: AccessFilter, score_key: str, source: str,
                 transform: Any = None) -> list[ScoredChunk]:
        out = []
        for row in rows:
            chunk = row_to_chunk(row)
            if not flt.allows(chunk):
                # The pre-filter should make this impossible; refuse loudly rather than leak.
                raise AccessViolation(f"store returned a chunk outside the access filter: {chunk.chunk_id}")
            raw = float(row[score_key])
            out.append(ScoredChunk(chunk=chunk, score=transform(raw) if transform else raw, source=source))
        return out

    def dense_search(self, vector: np.ndarray, flt: AccessFilter, k: int, *, exact: bool = False) -> list[ScoredChunk]:
        """Nearest visible chunks; ``exact`` bypasses the ANN index (used to measure its recall)."""
        if k <= 0 or flt.empty:
            return []
        q = (
            self._table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector")
            .distance_type("cosine")  # type: ignore[attr-defined]
            .where(filter_sql(flt), prefilter=True)
            .select([*_ROW_COLUMNS, "_distance"])
            .limit(k)
        )
        if exact or self.exact_search:
            q = q.bypass_vector_index()
        elif self._has_ann:
            q = q.nprobes(self.effective_nprobes).refine_factor(self.refine_factor_for(k))
        rows = q.to_arrow().to_pylist()
        return self._checked(rows, flt, "_distance", "dense", transform=lambda d: 1.0 - d)

    def text_search(self, query: str, flt: AccessFilter, k: int) -> list[ScoredChunk]:
        if k <= 0 or flt.empty or not query.strip():
            return []
        if not self.ensure_indexes():  # empty table: nothing to search
            return []
        try:
            q = (
                self._table.search(query, query_type="fts", fts_columns="search_text")
                .where(filter_sql(flt), prefilter=True)
                .select([*_ROW_COLUMNS, "_score"])
                .limit(k)
            )
            rows = q.to_arrow().to_pylist()
        except ValueError as exc:  # tokenizer found no terms, e.g. only stop words
            if "no terms" in str(exc).lower():
                return []
            raise StoreError(f"full-text query failed: {exc}") from exc
        return self._checked(rows, flt, "_score", "fulltext")

    def get_chunks(self, chunk_ids: Sequence[str], flt: AccessFilter) -> list[Chunk]:
        if not chunk_ids or flt.empty:
            return []
        where = f"chunk_id IN ({', '.join(_q(c) for c in chunk_ids)}) AND {filter_sql(flt)}"
        rows = self._table.search().where(where).select(_ROW_COLUMNS).limit(len(chunk_ids)).to_arrow()
        chunks = [row_to_chunk(r) for r in rows.to_pylist()]
        return [c for c in chunks if flt.allows(c)]

    def document_hashes(self, tenant_id: str | None = None) -> dict[tuple[str, str], str]:
        q = self._table.search()
        if tenant_id is not None:
            q = q.where(f"tenant_id = {_q(tenant_id)}")
        tbl = q.select(["tenant_id", "doc_id", "doc_hash"]).limit(None).to_arrow()
        out: dict[tuple[str, str], str] = {}
        for t, d, h in zip(tbl["tenant_id"].to_pylist(), tbl["doc_id"].to_pylist(), tbl["doc_hash"].to_pylist(),
                           strict=True):
            out[(t, d)] = h
        return out

    def list_documents(self, flt: AccessFilter | None = None) -> list[DocumentInfo]:
        q = self._table.search()
        if flt is not None:
            q = q.where(filter_sql(flt))
        tbl = q.select(_META_COLUMNS).limit(None).to_arrow().to_pylist()
        docs: dict[tuple[str, str], dict[str, Any]] = {}
        counts: dict[tuple[str, str], int] = {}
        for r in tbl:
            key = (r["tenant_id"], r["doc_id"])
            docs.setdefault(key, r)
            counts[key] = counts.get(key, 0) + 1
        out = []
        for key, r in sorted(docs.items()):
            info = DocumentInfo(
                doc_id=r["doc_id"], tenant_id=r["tenant_id"], title=r["title"], doc_type=r["doc_type"],
                access_level=AccessLevel(int(r["access_level"])), version=r["version"], chunks=counts[key],
                approved=bool(r["approved"]), superseded=bool(r["superseded"]), valid_from=int(r["valid_from"]),
                valid_until=int(r["valid_until"]), doc_hash=r["doc_hash"],
            )
            if flt is None or flt.allows(info):
                out.append(info)
        return out

    def count(self) -> int:
        return int(self._table.count_rows())

    @property
    def data_version(self) -> int:
        """Changes with every write (LanceDB's table version): caches of derived data key on it
        instead of rescanning the table to find out whether anything changed."""
        return int(self._table.version)

    def _scan(self, columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
        """The table in batches, streamed (a full ``to_arrow`` held 1M rows with vectors in memory)."""
        reader = self._table.search().select(columns).limit(None).to_batches(batch_size)
        for batch in reader:
            for part in pa.Table.from_batches([batch]).to_batches(max_chunksize=batch_size):
                if part.num_rows:
                    yield part

    def iter_all(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        for batch in self._scan([*_ROW_COLUMNS, "vector"], batch_size):
            vecs = batch.column("vector").values.to_numpy(zero_copy_only=False)
            vecs = np.asarray(vecs, dtype=np.float32).reshape(batch.num_rows, self.dim)
            rows = batch.drop_columns(["vector"]).to_pylist()
            yield [row_to_chunk(r) for r in rows], vecs

    def iter_chunks(self, batch_size: int = 1000) -> Iterator[list[Chunk]]:
        """Every chunk without its vector (text scans: mention statistics, prewarming)."""
        for batch in self._scan(_ROW_COLUMNS, batch_size):
            yield [row_to_chunk(r) for r in batch.to_pylist()]

    def close(self) -> None:
        """LanceDB holds no server connection; nothing to release."""
