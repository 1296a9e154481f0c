"""Embedded default store: LanceDB in a local folder (no server).

Layout: a tenant with ``tenant_table_min_rows`` chunks (default 100,000) has its own table
(``chunks_t_<hex of the tenant id>``), as Weaviate's multi-tenancy keeps one shard per tenant;
smaller tenants share the common ``chunks`` table. A search queries only the own tables of the
tenants the caller may see, plus the common table while one of them lives there, and merges
the results. Why: with every tenant in one table, LanceDB evaluated the access predicate on
every row of the table for every query (80-110 ms of CPU per branch at 1M chunks whatever the
probes; any predicate costs about the same per row, and scalar indexes on the filter columns
did not help), so a caller paid for the rows of tenants it can never see. Smaller tenants
share a table because each LanceDB query also has a fixed cost (~8-10 ms of CPU): four
25,000-row tenant tables searched slower than one 100,000-row table (hybrid CPU 95 vs 77 ms
per search). Tables per (tenant, level) were considered and not taken: a caller sees every
level up to its own (the benchmark's caller reads all the levels present), so it would read
the same rows in up to four times as many queries, and a document whose level changes would
move between tables in two commits instead of one (numbers in ``reports/bench/bench_perf_1m.md``).

The access filter is compiled into the SQL ``where`` of every per-table query (tenant
narrowed to the table's own, level, approval, validity), so a row written into the wrong
table is never returned; results are then re-checked in Python with the same rule before
they are returned. How LanceDB applies the ``where`` depends on the share of the table the
caller may see (adaptive filtering): a pre-filter evaluates the predicate on every row of
the table before ranking (at 250k rows about half the CPU of a vector query), a post-filter
only on the candidates the search ranked first. When cached counts per access-column value
(:class:`_AccessStats`, recomputed when the table's version changes) show that the caller
sees every row of a table, or at least ``postfilter_min_share`` of a table of at least
``postfilter_min_rows`` rows (below, pre-filtering costs less), its query post-filters, over-fetching
``k / share`` x ``postfilter_margin`` candidates (none extra when every row is visible), and
falls back to the pre-filtered query whenever fewer than ``k`` visible rows come back, so
top-k stays full. For full-text and exact vector search the result then equals the
pre-filtered query's (the top ``k`` of the visible rows among the best ``N`` of all rows are
the best ``k`` visible rows); for the IVF-PQ index it does when the whole table is visible
(the same candidates are ranked), and otherwise the re-rank pool grows with the over-fetch,
so recall against exact search does not drop (``evals/bench_adaptive_filter.py`` and
``evals/bench_perf.py --compare-prefilter`` measure both).

Each row keeps its chunk's window vectors (``windows``, a multivector column) beside the pooled
``vector``: the model reads 256 tokens and chunks are longer, so a chunk is scored by its best
window (exact search ranks on ``windows`` directly: distance = 1 - the best window's cosine). The
IVF-PQ index is built on the pooled vector; its candidates are re-scored by their best window.
A table written before the column existed gets it on open, each row's pooled vector as its one
window, until the document is ingested again.

A data folder of the former single-table layout is a common table holding every tenant: it
opens as it is (its indexes included) and :meth:`optimize` moves its large tenants out (rows
copied, the new table indexed, then the rows deleted from the common table in one commit; a
stop before that delete is undone on the next open). ``layout="single"`` never moves a
tenant (benchmarks compare both layouts side by side).

A table of at most ``mirror_max_rows`` chunks (default 50,000) answers dense queries in process
(:class:`_Mirror`): its vectors, access columns and rows are held per table version, the access rule
is a mask applied before ranking, and the ranking equals LanceDB's flat query (pooled vectors
exactly, the best ``window_pool`` re-scored by their best window), at a fraction of a LanceDB
query's fixed cost. After a write the table's queries go to LanceDB until the new version is held.

Above ``ann_min_rows`` chunks in a table an IVF-PQ vector index is built for it (on
:meth:`optimize`): the pre-filter still runs inside the query (LanceDB masks the rows
the filter rejects before it ranks candidates, so top-k stays full), the probed
partitions' candidates are re-ranked with their exact vectors (``refine_factor``), and
recall@10 against exact search is measured in ``evals/bench_perf.py``. Rows written
after the index was built are searched exactly until :meth:`optimize` folds them in.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa

from retrievers.access import MAX_TS, MIN_TS, AccessFilter, AccessLevel, AccessViolation
from retrievers.schema import Chunk, DocumentInfo, PiiSpan, ScoredChunk
from retrievers.stores.base import StoreError, Vectors, best_window_scores_arrow, split_vectors

# Candidates an unindexed table's dense search re-scores by their best window (see dense_search).
WINDOW_POOL = 200
TABLE = "chunks"  # the common table: small tenants (every tenant in the single-table layout)
TENANT_PREFIX = "chunks_t_"
TENANT_TABLE_MIN_ROWS = 100_000
# Columns of the access predicate (``filter_sql``) indexed beside the ANN index: bitmaps for the
# few-valued ones, B-trees for the validity instants.
_FILTER_INDEXES = (("tenant_id", "bitmap"), ("access_level", "bitmap"), ("approved", "bitmap"),
                   ("superseded", "bitmap"), ("valid_from", "btree"), ("valid_until", "btree"))
LAYOUTS = ("tenant", "single")
# Adaptive filtering: post-filter a table's query when the caller sees all of its rows, or at least
# this share of a table of at least this many rows, fetching k / share x margin candidates. The
# pre-filter's cost grows with the table, the over-fetch's with k / share: on generated data
# (reports/bench/bench_adaptive_filter.md, CPU post ÷ pre per query) a caller seeing half of a
# 10k-row table paid 1.25-1.34x (dense) and 1.12-1.20x (full-text), of a 100k one 1.04-1.06x and
# 0.95-0.97x, and one seeing 1/3 to 2/3 of a 250k one 0.70-0.96x and 0.81-0.85x.
POSTFILTER_MIN_SHARE = 0.5
POSTFILTER_MIN_ROWS = 100_000
POSTFILTER_MARGIN = 1.5
# Lance file format of the tables this store creates. 2.1 reads a few rows by id (hydrate, and the
# columns of each query's candidates) for about half the CPU of LanceDB's default ("stable", 2.2
# with lancedb 0.40), at the same size on disk: on a 250k-row table, 5 random rows' 22 result
# columns 7.4 vs 14.8 ms, their 9 candidate columns 4.7 vs 8.9 ms (reports/bench/bench_perf_1m.md).
# Existing tables keep the format they were written in.
FILE_FORMAT = "2.1"
_NEW_TABLE = {"new_table_data_storage_version": FILE_FORMAT}
# Tables up to this many rows answer dense queries from an in-process copy of their vectors and
# access columns (_Mirror): ~4 bytes x dim x (rows + windows) of memory each.
MIRROR_MAX_ROWS = 50_000


def _q(value: str) -> str:
    """Quote a string literal for LanceDB SQL (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def filter_sql(flt: AccessFilter, tenant: str | None = None) -> str:
    """The visibility rule as a LanceDB SQL predicate; ``tenant`` narrows it to one of the
    filter's tenants (the query of that tenant's table: one equality instead of a list)."""
    if tenant is not None and tenant not in flt.tenants:
        return "false"
    parts = [
        f"tenant_id = {_q(tenant)}" if tenant is not None
        else f"tenant_id IN ({', '.join(_q(t) for t in flt.tenants)})" if flt.tenants else "false",
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
            pa.field("windows", pa.list_(pa.list_(pa.float32(), dim))),
        ]
    )


def search_text(chunk: Chunk) -> str:
    """What the full-text index sees: title and section help match the document, body is redacted."""
    head = " ".join([chunk.title, *chunk.section_path])
    return f"{head}\n{chunk.index_text}"


def _rows(chunks: Sequence[Chunk], vectors: Vectors) -> list[dict[str, Any]]:
    pooled, windows = split_vectors(vectors, len(chunks))
    rows = []
    for c, v, w in zip(chunks, pooled, windows, strict=True):
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
                "windows": w.tolist(),
            }
        )
    return rows


# AccessLevel(n) through the enum machinery costs microseconds, paid for every candidate row (about
# 100 a search): the members by value, with the enum's own call for anything else (and its error).
_LEVELS = {int(level): level for level in AccessLevel}


def _level(value: Any) -> AccessLevel:
    n = int(value)
    level = _LEVELS.get(n)  # not ``or``: PUBLIC is 0
    return level if level is not None else AccessLevel(n)


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
        access_level=_level(row["access_level"]),
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

# What a search candidate carries: what fusion ranks by (id, document, title) and the access
# columns the store re-checks every candidate with. Each column read costs LanceDB per row, and the
# text columns most: candidates are read in full only when they are among the fused top k
# (:meth:`LanceDBStore.hydrate`).
_CANDIDATE_COLUMNS = [
    "chunk_id", "doc_id", "tenant_id", "access_level", "title", "approved", "superseded", "valid_from",
    "valid_until",
]  # fmt: skip

_META_COLUMNS = [
    "doc_id", "tenant_id", "title", "doc_type", "access_level", "version",
    "approved", "superseded", "valid_from", "valid_until", "doc_hash",
]  # fmt: skip


@dataclass
class CandidateChunk(Chunk):
    """A search candidate without its text: its id, document, title and access columns, and where
    its row was (``part``: the table's tenant key, ``row_id``: LanceDB's row id at that version)."""

    part: str | None = None
    row_id: int = -1


def _candidate(row: dict[str, Any], key: str | None) -> CandidateChunk:
    return CandidateChunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], tenant_id=row["tenant_id"],
        access_level=_level(row["access_level"]), doc_type="", title=row["title"], version="",
        position=0, text="", index_text="", approved=bool(row["approved"]), superseded=bool(row["superseded"]),
        valid_from=int(row["valid_from"]), valid_until=int(row["valid_until"]), part=key, row_id=int(row["_rowid"]),
    )


class _NotHeld(Exception):
    """A full-text result names a row the in-process copy does not hold as LanceDB has it."""


class _Tagged:
    """A table's query whose rows say which of the searched tables they came from (``_part``)."""

    def __init__(self, query: Any, i: int):
        self.query, self.i = query, i

    def to_arrow(self) -> pa.Table:
        t = self.query.to_arrow()
        return t.append_column("_part", pa.array(np.full(len(t), self.i, dtype=np.int32)))


def _with_windows(table: Any) -> Any:
    """A table written before rows kept their window vectors gets the column: each row's pooled
    vector as its one window (its dense score is then what it was), until it is written again."""
    if "windows" not in table.schema.names:
        try:
            table.add_columns({"windows": "make_array(vector)"})
        except Exception:
            table.checkout_latest()  # another process added it first
            if "windows" not in table.schema.names:
                raise
    return table


def _table_names(db: Any) -> list[str]:
    """Table names across LanceDB versions (``table_names`` is deprecated in 0.40)."""
    if hasattr(db, "list_tables"):
        res = db.list_tables()
        return list(getattr(res, "tables", res))
    return list(db.table_names())


def tenant_table_name(tenant_id: str) -> str:
    """Table of one tenant: the id hex-encoded, so any tenant id makes a valid, distinct name."""
    return TENANT_PREFIX + tenant_id.encode("utf-8").hex()


def _tenant_of(table_name: str) -> str | None:
    if not table_name.startswith(TENANT_PREFIX):
        return None
    try:
        return bytes.fromhex(table_name[len(TENANT_PREFIX):]).decode("utf-8")
    except ValueError:
        return None


@dataclass(frozen=True)
class _Group:
    """Rows of one table sharing tenant, level, approval and superseded flag, as the access rule
    reads them: the latest ``valid_from`` and earliest ``valid_until`` of the group stand for all
    of its rows, so a rule that allows the group allows every row in it."""

    tenant_id: str
    access_level: AccessLevel
    approved: bool
    superseded: bool
    valid_from: int
    valid_until: int
    doc_id: str = ""  # filters narrowed to named documents never use the counts


class _AccessStats:
    """Row counts per access-column value of one table at one version (a few dozen groups): what
    share of the table a caller sees, without a query."""

    _COLUMNS = ["tenant_id", "access_level", "approved", "superseded", "valid_from", "valid_until"]

    def __init__(self, table: Any, version: int):
        self.version = version
        import pyarrow.compute as pc

        data = table.search().select(self._COLUMNS).limit(None).to_arrow()
        # Rows with a validity bound are grouped apart, so one expired document does not make a
        # whole (tenant, level) group count as invisible.
        bounded = pc.or_kleene(pc.greater(data["valid_from"], MIN_TS), pc.less(data["valid_until"], MAX_TS))
        counts = (
            data.append_column("bounded", bounded)
            .group_by([*self._COLUMNS[:4], "bounded"])
            .aggregate([("valid_from", "max"), ("valid_until", "min"), ("valid_from", "count"),
                        ("valid_until", "count"), ([], "count_all")])
            .to_pylist()
        )
        self.rows = sum(int(g["count_all"]) for g in counts)
        self.groups: list[tuple[_Group, int]] = []
        levels = {int(v) for v in AccessLevel}
        for g in counts:
            n = int(g["count_all"])
            # A NULL (or unknown level) anywhere in the group makes SQL reject or mis-rank its rows:
            # such a group is never counted as visible (the share stays a lower bound).
            known = (None not in (g["tenant_id"], g["approved"], g["superseded"]) and g["access_level"] in levels
                     and int(g["valid_from_count"]) == int(g["valid_until_count"]) == n)
            self.groups.append((_Group(
                str(g["tenant_id"]), AccessLevel(g["access_level"]) if known else AccessLevel.RESTRICTED,
                bool(g["approved"]), bool(g["superseded"]),
                int(g["valid_from_max"]) if known else MAX_TS, int(g["valid_until_min"]) if known else MIN_TS,
            ), n))

    def visible_share(self, flt: AccessFilter) -> float:
        """A lower bound of the share of rows ``flt`` allows (exact when validity is uniform)."""
        if self.rows == 0 or flt.doc_ids is not None:
            return 0.0
        return sum(n for group, n in self.groups if flt.allows(group)) / self.rows


class _Mirror:
    """A read-only copy of one table's dense search data at one version, held in this process: the
    pooled and window vectors (unit length), the candidate columns and the row ids.

    It answers the table's flat dense query (:meth:`LanceDBStore._pooled_exact`) without LanceDB:
    the access rule is evaluated as a mask over the rows first, the visible rows' pooled vectors are
    ranked exactly, the best ``pool`` are re-scored by their best window. Why: on a 10k-row table a
    LanceDB vector query cost ~18.6 ms of CPU (its fixed cost per query, the pre-filter, the refine
    step), the same exact ranking in numpy ~6 ms (reports/bench/bench_throughput_cpu3.md). Memory:
    ~4 bytes x dim x (rows + windows), so only tables up to ``mirror_max_rows`` are mirrored.
    """

    def __init__(self, table: Any, version: int, dim: int):
        import pyarrow.compute as pc

        self.version = version
        columns = [*_ROW_COLUMNS, *(c for c in _CANDIDATE_COLUMNS if c not in _ROW_COLUMNS)]
        data = table.search().select([*columns, "vector", "windows"]).with_row_id(True).limit(None).to_arrow()
        n = self.rows = data.num_rows
        self.row_id = np.asarray(data["_rowid"].to_numpy(), dtype=np.uint64)
        # The full rows (Arrow buffers, no vectors), for reading the kept candidates by row id.
        self.full = data.select(_ROW_COLUMNS).combine_chunks()
        self._by_row_id = np.argsort(self.row_id, kind="stable")
        self._sorted_row_id = self.row_id[self._by_row_id]
        self.chunk_id = data["chunk_id"].to_pylist()
        self.title = data["title"].to_pylist()
        # Strings as codes into their distinct values: a filter's tenants and documents become a
        # lookup table over the codes instead of a string comparison per row.
        self.tenant_values, self.tenant_code = self._codes(data["tenant_id"])
        self.doc_values, self.doc_code = self._codes(data["doc_id"])

        def ints(name: str) -> np.ndarray:
            return np.asarray(data[name].fill_null(0).to_numpy(), dtype=np.int64)

        self.level, self.valid_from, self.valid_until = ints("access_level"), ints("valid_from"), ints("valid_until")
        self.approved = np.asarray(data["approved"].fill_null(False).to_numpy(), dtype=bool)
        self.superseded = np.asarray(data["superseded"].fill_null(True).to_numpy(), dtype=bool)
        # SQL rejects a row whose compared column is NULL (the comparison is NULL, not true).
        known = np.ones(n, dtype=bool)
        for name in ("tenant_id", "doc_id", "access_level", "approved", "superseded", "valid_from", "valid_until"):
            known &= np.asarray(pc.is_valid(data[name]).to_numpy(zero_copy_only=False), dtype=bool)
        self.known = known
        self.pooled = self._unit(np.asarray(data["vector"].combine_chunks().flatten().to_numpy(zero_copy_only=False),
                                            dtype=np.float32).reshape(n, dim))
        win = data["windows"].combine_chunks()
        lengths = np.asarray(win.value_lengths().fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        self.win_start = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.win_len = lengths
        flat = np.asarray(win.flatten().flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
        self.windows = self._unit(flat.reshape(-1, dim))

    def take(self, row_ids: list[int]) -> list[dict[str, Any]]:
        """The full rows of these row ids that the copy holds, as ``take_row_ids`` reads them."""
        if self.rows == 0 or not row_ids:
            return []
        ids = np.asarray(row_ids, dtype=np.uint64)
        at = np.minimum(np.searchsorted(self._sorted_row_id, ids), self.rows - 1)
        found = at[self._sorted_row_id[at] == ids]
        return self.full.take(pa.array(self._by_row_id[found])).to_pylist()

    @staticmethod
    def _codes(column: Any) -> tuple[list[str], np.ndarray]:
        enc = column.combine_chunks().dictionary_encode()
        return enc.dictionary.to_pylist(), np.asarray(enc.indices.fill_null(0).to_numpy(), dtype=np.int32)

    @staticmethod
    def _unit(mat: np.ndarray) -> np.ndarray:
        mat = np.array(mat, dtype=np.float32, order="C")  # own copy, scaled in place
        norms = np.sqrt(np.einsum("ij,ij->i", mat, mat))
        norms[norms == 0] = 1.0
        mat /= norms[:, None]
        return mat

    @property
    def nbytes(self) -> int:
        return int(self.pooled.nbytes + self.windows.nbytes)

    def mask(self, flt: AccessFilter, tenant: str | None) -> np.ndarray:
        """The rows ``filter_sql(flt, tenant)`` keeps: the same rule, evaluated on the held columns."""
        tenants = set(flt.tenants) if tenant is None else ({tenant} & set(flt.tenants))
        lut = np.array([t in tenants for t in self.tenant_values], dtype=bool)
        if not lut.any():
            return np.zeros(self.rows, dtype=bool)
        keep = (self.known & lut[self.tenant_code] & (self.level <= int(flt.max_level)) & self.approved
                & ~self.superseded & (self.valid_from <= int(flt.now)) & (self.valid_until > int(flt.now)))
        if flt.doc_ids is not None:
            docs = set(flt.doc_ids)
            keep &= np.array([d in docs for d in self.doc_values], dtype=bool)[self.doc_code]
        return keep

    def search(self, vec: np.ndarray, flt: AccessFilter, tenant: str | None, k: int, pool: int) -> list[dict[str, Any]]:
        """The top ``k`` visible rows (candidate columns, ``_rowid``, ``_distance`` = 1 - best window
        cosine): the ``pool`` visible rows closest by pooled vector, ties in row order as LanceDB's
        flat scan returns them, re-scored by their best window, ties in pool order."""
        visible = np.flatnonzero(self.mask(flt, tenant))
        if k <= 0 or len(visible) == 0:
            return []
        q = np.asarray(vec, dtype=np.float32).reshape(-1)
        q = q / (np.linalg.norm(q) or 1.0)
        sims = (self.pooled @ q)[visible]
        ranked = visible[_top(sims, pool)]
        lengths = self.win_len[ranked]
        best = np.full(len(ranked), -1.0, dtype=np.float32)  # a row without windows ranks last
        has = lengths > 0
        if has.any():
            starts, lens = self.win_start[ranked][has], lengths[has]
            offsets = np.concatenate(([0], np.cumsum(lens)[:-1]))
            rows = np.repeat(starts - offsets, lens) + np.arange(int(lens.sum()))
            best[has] = np.maximum.reduceat(self.windows[rows] @ q, offsets)
        order = np.argsort(-best, kind="stable")[:k]
        dist = (1.0 - best[order]).astype(np.float32)
        return [{**self.candidate(i), "_distance": d}
                for i, d in zip(ranked[order].tolist(), dist.tolist(), strict=True)]

    def candidate(self, i: int) -> dict[str, Any]:
        """The candidate columns and ``_rowid`` of held row ``i`` (a position in the copy)."""
        return {
            "chunk_id": self.chunk_id[i], "doc_id": self.doc_values[self.doc_code[i]],
            "tenant_id": self.tenant_values[self.tenant_code[i]], "access_level": int(self.level[i]),
            "title": self.title[i], "approved": bool(self.approved[i]), "superseded": bool(self.superseded[i]),
            "valid_from": int(self.valid_from[i]), "valid_until": int(self.valid_until[i]),
            "_rowid": int(self.row_id[i]),
        }

    def positions(self, row_ids: np.ndarray) -> np.ndarray | None:
        """Positions in the copy of these row ids, or None when one of them is not held or has a
        NULL access column (the copy fills those in for its mask; such a row is read from LanceDB)."""
        ids = np.asarray(row_ids, dtype=np.uint64)
        if self.rows == 0:
            return None if len(ids) else np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted_row_id, ids), self.rows - 1)
        if not bool(np.all(self._sorted_row_id[at] == ids)):
            return None
        pos = self._by_row_id[at]
        return pos if bool(np.all(self.known[pos])) else None


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` highest scores, best first, equal scores in position order."""
    if n < len(scores):
        cut = scores[np.argpartition(-scores, n - 1)[:n]].min()
        cand = np.flatnonzero(scores >= cut)  # every tie at the cut, so the earliest ones win
    else:
        cand = np.arange(len(scores))
    return cand[np.lexsort((cand, -scores[cand]))][:n]


class _WriteGate:
    """The store's write lock (re-entrant), counting the writes made through it, so that a table's
    version can be read once and reused until the next write (:meth:`_Part.version`).

    Reuse is only on when the store was opened without a read-consistency interval: LanceDB then
    never moves a table handle to a newer version by itself, only a write through that handle
    does, and every write of the store holds this lock. With an interval (0 when several processes
    serve one folder) each read asks LanceDB, which checks for a newer version as it does for a
    query. Whoever takes the raw tables (:meth:`LanceDBStore.tables`) could write around the lock:
    that switches reuse off for good."""

    def __init__(self, reuse: bool):
        self._lock = threading.RLock()
        self.depth = 0  # > 0 while a write is under way
        self.writes = 0  # finished writes; moves before ``depth`` drops to 0
        self.reuse = reuse

    def __enter__(self) -> _WriteGate:
        self._lock.acquire()
        self.depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        if self.depth == 1:
            self.writes += 1
        self.depth -= 1
        self._lock.release()


class _Part:
    """One LanceDB table of the store and what is known about its indexes."""

    def __init__(self, table: Any, key: str | None, gate: _WriteGate | None = None):
        self.table = table
        self.key = key  # the tenant whose rows it holds; None: the single table of every tenant
        self.gate = gate if gate is not None else _WriteGate(reuse=False)
        self._version: tuple[int, int] | None = None  # (gate.writes, version) as last read
        self.has_fts = self._has_index(lambda i: getattr(i, "index_type", "") == "FTS")
        self.has_ann = self._has_index(lambda i: "vector" in list(getattr(i, "columns", [])))
        self.has_filter_indexes = self._has_index(lambda i: list(getattr(i, "columns", [])) == ["access_level"])
        # Partitions of the index (sqrt of the rows it was built on; estimated when reopened).
        self.ann_partitions = int(math.sqrt(table.count_rows())) if self.has_ann else 0
        self._stats: _AccessStats | None = None
        self._stats_lock = threading.Lock()
        # The in-process copy of the table (None: not loaded; rows None: too large at that version).
        self.mirror: _Mirror | None = None
        self.mirror_skip: int | None = None  # a version at which the table was above the mirror's size
        self._mirror_lock = threading.Lock()
        self._mirror_next = 0.0  # monotonic time before which no background reload starts

    def version(self) -> int:
        """The table's version as a LanceDB query would now see it (each read of
        ``table.version`` is a call into LanceDB's event loop, several per search). Reused only
        while no write of this store started or finished since it was read (:class:`_WriteGate`)."""
        gate = self.gate
        if not gate.reuse or gate.depth:
            return int(self.table.version)
        writes = gate.writes
        cached = self._version
        if cached is not None and cached[0] == writes:
            return cached[1]
        version = int(self.table.version)
        if gate.writes == writes and not gate.depth:  # no write began or ended meanwhile
            self._version = (writes, version)
        return version

    def fresh_mirror(self, max_rows: int, dim: int, background: bool) -> _Mirror | None:
        """The mirror of the table at its current version, or None: the table is above ``max_rows``
        rows, or (``background``) a newer version is being loaded while the older copy is kept out.

        The version is the table handle's, so a write of another process is seen exactly as a
        LanceDB query sees it (``read_consistency_interval``). The first load happens in the
        caller; after a write the caller's query goes to LanceDB while a thread loads the new
        version (a 10k-row table takes ~100 ms), unless ``background`` is False.
        """
        version = self.version()
        mirror = self.mirror
        if mirror is not None and mirror.version == version:
            return mirror
        if self.mirror_skip == version:
            return None
        if mirror is None or not background:
            with self._mirror_lock:
                self._load_mirror(version, max_rows, dim)
            return self.mirror if self.mirror is not None and self.mirror.version == version else None
        # While writes keep coming (an ingest run), reloads are spaced so that they take at most
        # about a quarter of one core: the queries in between go to LanceDB.
        if time.monotonic() >= self._mirror_next and self._mirror_lock.acquire(blocking=False):
            threading.Thread(target=self._reload_mirror, args=(version, max_rows, dim), name="lancedb-mirror",
                             daemon=True).start()
        return None

    def current_mirror(self) -> _Mirror | None:
        """The loaded mirror if it holds the table's current version (no load is started)."""
        mirror = self.mirror
        return mirror if mirror is not None and mirror.version == self.version() else None

    def _load_mirror(self, version: int, max_rows: int, dim: int) -> None:
        if (self.mirror is not None and self.mirror.version == version) or self.mirror_skip == version:
            return
        if int(self.table.count_rows()) > max_rows:
            self.mirror, self.mirror_skip = None, version
            return
        start = time.monotonic()
        self.mirror = _Mirror(self.table, version, dim)
        end = time.monotonic()
        self._mirror_next = end + 3 * (end - start)

    def _reload_mirror(self, version: int, max_rows: int, dim: int) -> None:
        try:
            self._load_mirror(version, max_rows, dim)
        finally:
            self._mirror_lock.release()

    def access_stats(self, version: int | None = None) -> _AccessStats:
        """The counts of the table, recounted when its version changes.

        The first call counts at once; after a write the previous counts are returned while a
        background thread recounts (a 250k-row table takes ~100 ms of CPU), so a search never
        waits for it. Stale counts only size the over-fetch: the ``where`` inside the query, the
        fallback and the re-check keep results visible-only and top-k full whatever they say.
        ``version``: the table's version as the caller just read it (saves reading it again).
        """
        version = self.version() if version is None else version
        stats = self._stats
        if stats is None:
            with self._stats_lock:
                if self._stats is None:
                    self._stats = _AccessStats(self.table, version)
                return self._stats
        if stats.version != version and self._stats_lock.acquire(blocking=False):
            threading.Thread(target=self._recount, args=(version,), name="lancedb-access-stats", daemon=True).start()
        return stats

    def _recount(self, version: int) -> None:
        try:
            self._stats = _AccessStats(self.table, version)
        finally:
            self._stats_lock.release()

    def _has_index(self, test: Any) -> bool:
        try:
            return any(test(i) for i in self.table.list_indices())
        except Exception:  # pragma: no cover - old table formats
            return False


class LanceDBStore:
    """Chunks in LanceDB tables (one per large tenant, one shared), each with a native full-text
    index on ``search_text``."""

    name = "lancedb"

    def __init__(
        self, path: str | Path, dim: int = 384, *, ann_min_rows: int = 10_000, ann_nprobes: int = 20,
        ann_refine_factor: int = 20, window_pool: int = WINDOW_POOL, layout: str = "tenant",
        tenant_table_min_rows: int | None = None,
        read_consistency_s: float | None = None, adaptive_filter: bool = True,
        postfilter_min_share: float = POSTFILTER_MIN_SHARE, postfilter_min_rows: int = POSTFILTER_MIN_ROWS,
        postfilter_margin: float = POSTFILTER_MARGIN, mirror_max_rows: int | None = None,
        mirror_background: bool = True, concurrent_reads: bool = True,
    ):
        import lancedb

        if layout not in LAYOUTS:
            raise ValueError(f"unknown LanceDB layout {layout!r} (one of {', '.join(LAYOUTS)})")
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.layout = layout
        self.ann_min_rows = ann_min_rows
        self.ann_nprobes = ann_nprobes
        self.ann_refine_factor = ann_refine_factor
        # Candidates an unindexed table ranks by pooled vector and re-scores by best window; 0: scan
        # every window instead (the reference, ``dense_search(exact=True)``).
        self.window_pool = window_pool
        # A tenant moves to its own table once filtering its rows out of everyone else's queries
        # costs more than the extra query its own table adds to its callers': ~100k rows here
        # (evals/bench_perf.py: 25k-row tenant tables were slower than one 100k table, 250k-row
        # ones faster than one 1M table).
        self.tenant_table_min_rows = TENANT_TABLE_MIN_ROWS if tenant_table_min_rows is None else tenant_table_min_rows
        self.exact_search = False  # benchmarks: every dense search bypasses the ANN index (in LanceDB)
        # Tables of at most this many rows answer dense queries from an in-process copy (_Mirror);
        # 0: every dense query goes to LanceDB. ``mirror_background``: after a write, queries go to
        # LanceDB while the new version is loaded (False: the query that sees the write loads it).
        self.mirror_max_rows = MIRROR_MAX_ROWS if mirror_max_rows is None else mirror_max_rows
        self.mirror_background = mirror_background
        self.mirror_queries = 0  # table queries the mirror answered
        self.mirror_reads = 0  # reads of rows by row id the mirror answered
        self.mirror_text_queries = 0  # full-text searches whose candidate columns the mirror gave
        # Adaptive filtering (module docstring); off: every query pre-filters (benchmarks compare).
        self.adaptive_filter = adaptive_filter
        self.postfilter_min_share = postfilter_min_share
        self.postfilter_min_rows = postfilter_min_rows
        self.postfilter_margin = postfilter_margin
        # Rows of several tables read by id (hydrate) side by side; False: one table after the other.
        self.concurrent_reads = concurrent_reads
        # How each table query applied its filter: "pre", "post", "fallback" (post, then pre).
        self.filter_counts: dict[str, int] = {"pre": 0, "post": 0, "fallback": 0}
        # None: a table keeps the version it opened (plus this process's own writes). Several
        # processes serving one folder need a bound (0 = check for a newer version on every read),
        # or a document deleted by one of them would still be served by the others.
        interval = timedelta(seconds=read_consistency_s) if read_consistency_s is not None else None
        self._db = lancedb.connect(str(self.path), read_consistency_interval=interval)
        self._write_lock = _WriteGate(reuse=read_consistency_s is None)
        self._parts: dict[str | None, _Part] = {}
        self._pool: Any = None  # threads for searching several tables at once (made on first use)
        names = _table_names(self._db)
        tenant_tables = {t: n for n in names if (t := _tenant_of(n)) is not None}
        if layout == "single" and tenant_tables:
            raise StoreError(f"{self.path} holds per-tenant tables; open it with layout='tenant'")
        if TABLE in names:
            common = _with_windows(self._db.open_table(TABLE))
            self.dim = int(common.schema.field("vector").type.list_size)  # the stored width wins
        else:
            common = self._db.create_table(TABLE, schema=_schema(self.dim), storage_options=_NEW_TABLE)
        self._parts[None] = _Part(common, None, self._write_lock)
        for tenant, name in tenant_tables.items():
            if common.count_rows(f"tenant_id = {_q(tenant)}"):
                # A move into the tenant's table stopped before its rows left the common table (the
                # last step): the common table still holds all of them, the tenant table is dropped.
                self._db.drop_table(name)
                continue
            self._parts[tenant] = _Part(_with_windows(self._db.open_table(name)), tenant, self._write_lock)

    # ---- layout ------------------------------------------------------------
    # Small tenants share the common table (LanceDB's fixed cost per query, ~8 ms of CPU, made
    # two small tables slower than one); a tenant reaching ``tenant_table_min_rows`` moves to its
    # own table on optimize(). A folder of the former single-table layout is a common table
    # holding every tenant: it is read as it is and its large tenants move out on optimize().
    def _own(self, tenant_id: str) -> _Part | None:
        """The tenant's own table, if it has one (opened when another writer made it since)."""
        if self.layout == "single":
            return None
        part = self._parts.get(tenant_id)
        if part is None:
            name = tenant_table_name(tenant_id)
            if (self.path / f"{name}.lance").exists():
                part = _Part(_with_windows(self._db.open_table(name)), tenant_id, self._write_lock)
                self._parts[tenant_id] = part
        return part

    def _home(self, tenant_id: str) -> _Part:
        """The table ``tenant_id``'s rows are written to and deleted from."""
        return self._own(tenant_id) or self._parts[None]

    def _all_parts(self) -> list[_Part]:
        return [self._parts[k] for k in sorted(self._parts, key=lambda k: k or "")]

    def warm(self) -> int:
        """Load the in-process copy of every table small enough for one (:class:`_Mirror`), so the
        first searches after a start do not pay for it (~0.15-0.3 s of CPU per 10k rows); returns
        how many tables are mirrored."""
        if self.mirror_max_rows <= 0:
            return 0
        return sum(p.fresh_mirror(self.mirror_max_rows, self.dim, background=False) is not None
                   for p in self._all_parts())

    def _visible(self, flt: AccessFilter) -> list[tuple[_Part, str]]:
        """(table, where) for each table the filter can see: the own tables of the visible tenants,
        and the common table only while a visible tenant still lives there."""
        out = []
        in_common = False
        for tenant in flt.tenants:
            part = self._own(tenant)
            if part is None:
                in_common = True
            else:
                out.append((part, filter_sql(flt, tenant)))
        if in_common:
            out.insert(0, (self._parts[None], filter_sql(flt)))
        return out

    def tables(self) -> dict[str | None, Any]:
        """The LanceDB tables by tenant (None: the common table), for diagnostics and tests. A write
        through them bypasses the store's lock: table versions are read from LanceDB from now on."""
        self._write_lock.reuse = False
        return {p.key: p.table for p in self._all_parts()}

    def bulk_add(self, data: pa.Table) -> None:
        """Append rows that are known to be new (benchmarks' generated data); call :meth:`optimize` after."""
        import pyarrow.compute as pc

        if "windows" not in data.schema.names:
            # One window per row: the row's vector.
            vecs = data.column("vector").combine_chunks()
            offsets = pa.array(np.arange(len(vecs) + 1, dtype=np.int32))
            data = data.append_column(pa.field("windows", pa.list_(vecs.type)), pa.ListArray.from_arrays(offsets, vecs))
        with self._write_lock:
            tenants = data.column("tenant_id")
            for tenant in sorted(set(tenants.to_pylist())):
                self._home(tenant).table.add(data.filter(pc.equal(tenants, tenant)))

    def move_large_tenants(self) -> list[str]:
        """Move every tenant with ``tenant_table_min_rows`` rows in the common table to its own table.

        Order: copy the rows, build the table's indexes, then delete them from the common table
        in one commit. A reader in between may see a chunk twice (results are de-duplicated by
        chunk id), never none; a stop before the delete is undone on the next open.
        """
        with self._write_lock:
            return self._move_large_tenants()

    def _move_large_tenants(self) -> list[str]:
        if self.layout == "single":
            return []
        common = self._parts[None].table
        if common.count_rows() == 0:
            return []
        counts: dict[str, int] = {}
        for batch in common.search().select(["tenant_id"]).limit(None).to_batches(100_000):
            for t in batch.column("tenant_id").to_pylist():
                counts[t] = counts.get(t, 0) + 1
        moved = []
        columns = [f.name for f in _schema(self.dim)]
        for tenant, n in sorted(counts.items()):
            if n < self.tenant_table_min_rows or self._own(tenant) is not None:
                continue
            name = tenant_table_name(tenant)
            table = self._db.create_table(name, schema=_schema(self.dim), storage_options=_NEW_TABLE)
            scope = f"tenant_id = {_q(tenant)}"
            for batch in common.search().where(scope).select(columns).limit(None).to_batches(50_000):
                if batch.num_rows:
                    table.add(pa.Table.from_batches([batch]).select(columns).cast(_schema(self.dim)))
            part = _Part(table, tenant, self._write_lock)
            self._ensure_fts(part)
            self._ensure_ann(part)
            self._parts[tenant] = part
            common.delete(scope)
            moved.append(tenant)
        return moved

    # ---- writes ------------------------------------------------------------
    def replace_document(self, tenant_id: str, doc_id: str, chunks: Sequence[Chunk], vectors: Vectors) -> int:
        # One merge_insert is one LanceDB commit: readers see either the old chunks or
        # the new ones, never a mix (per-document atomicity).
        return self.replace_documents([(tenant_id, doc_id, chunks, vectors)])

    def replace_documents(self, docs: Sequence[tuple[str, str, Sequence[Chunk], Vectors]]) -> int:
        """Replace several documents, one commit per table written (each document is old or new, never a mix).

        Ingestion writes small documents in groups: one merge_insert per document made
        LanceDB commits, not the model, the bottleneck on corpora of many small files.
        """
        if not docs:
            return 0
        for tenant_id, doc_id, chunks, _ in docs:
            for c in chunks:
                if c.tenant_id != tenant_id or c.doc_id != doc_id:
                    raise ValueError(f"chunk {c.chunk_id} does not belong to {tenant_id}/{doc_id}")
        with self._write_lock:
            groups: dict[str | None, tuple[_Part, dict[str, list[str]], list[pa.Table]]] = {}
            for tenant_id, doc_id, chunks, vectors in docs:
                home = self._home(tenant_id)
                _, scopes, tables = groups.setdefault(home.key, (home, {}, []))
                scopes.setdefault(tenant_id, []).append(doc_id)
                if chunks:
                    tables.append(pa.Table.from_pylist(_rows(chunks, vectors), schema=_schema(self.dim)))
            for part, scopes, tables in groups.values():
                scope = " OR ".join(f"(tenant_id = {_q(t)} AND doc_id IN ({', '.join(_q(d) for d in ids)}))"
                                    for t, ids in scopes.items())
                if not tables:
                    part.table.delete(scope)
                    continue
                (
                    part.table.merge_insert("chunk_id")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(scope)
                    .execute(pa.concat_tables(tables))
                )
        return sum(len(c) for _, _, c, _ in docs)

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> int:
        if not chunks:
            return 0
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        vectors = list(split_vectors(vectors, len(chunks))[1])
        with self._write_lock:
            groups: dict[str | None, tuple[_Part, list[int]]] = {}
            for i, c in enumerate(chunks):
                home = self._home(c.tenant_id)
                groups.setdefault(home.key, (home, []))[1].append(i)
            for part, idx in groups.values():
                (
                    part.table.merge_insert("chunk_id")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .execute(pa.Table.from_pylist(_rows([chunks[i] for i in idx], [vectors[i] for i in idx]),
                                                  schema=_schema(self.dim)))
                )
        return len(chunks)

    def delete_document(self, tenant_id: str, doc_id: str) -> int:
        scope = f"tenant_id = {_q(tenant_id)} AND doc_id = {_q(doc_id)}"
        with self._write_lock:
            table = self._home(tenant_id).table
            n = table.count_rows(scope)
            if n:
                table.delete(scope)
            return n

    def set_superseded(self, tenant_id: str, doc_id: str, superseded: bool) -> None:
        scope = f"tenant_id = {_q(tenant_id)} AND doc_id = {_q(doc_id)}"
        with self._write_lock:
            self._home(tenant_id).table.update(where=scope, values={"superseded": bool(superseded)})

    # ---- full-text index ---------------------------------------------------
    def _ensure_fts(self, part: _Part) -> bool:
        if part.has_fts or part.table.count_rows() == 0:
            return part.has_fts
        part.table.create_fts_index("search_text", replace=True, with_position=False, stem=True,
                                    remove_stop_words=True)
        part.has_fts = True
        return True

    def ensure_indexes(self) -> bool:
        """Create the full-text index of every non-empty table; returns whether any exists."""
        # Rows written after a table's FTS index was built are still searched (LanceDB scans
        # the unindexed part), so the index only has to exist; optimize() folds new rows in.
        if self._parts and all(p.has_fts for p in self._parts.values()):
            return True
        with self._write_lock:
            for part in self._all_parts():
                self._ensure_fts(part)
        return any(p.has_fts for p in self._parts.values())

    def optimize(self) -> None:
        """Fold newly written rows into the indexes and compact files (call after a batch of writes)."""
        with self._write_lock:
            self.move_large_tenants()  # first: a moved tenant's rows are not indexed twice
        if not self.ensure_indexes():
            return
        self.ensure_ann_index()
        with self._write_lock:
            for part in self._all_parts():
                part.table.optimize()

    # ---- vector (ANN) index --------------------------------------------------
    @property
    def has_ann_index(self) -> bool:
        """Whether any table searches through an IVF-PQ index (small tables stay exact)."""
        return any(p.has_ann for p in self._parts.values())

    def _ensure_ann(self, part: _Part, force: bool = False) -> bool:
        if part.has_ann:
            self._ensure_filter_indexes(part)  # tables indexed before the filter indexes existed
            return True
        n = part.table.count_rows()
        if n == 0 or (n < self.ann_min_rows and not force) or n < 256:
            return False
        from lancedb.index import IvfPq

        # sqrt(n) partitions balances probe cost against partition size; 8 dims per PQ
        # sub-vector keeps the codes small. The exact vectors re-rank the candidates.
        parts = max(1, int(math.sqrt(n)))
        sub = self.dim // 8 if self.dim % 8 == 0 else 1
        part.table.create_index("vector", config=IvfPq(distance_type="cosine", num_partitions=parts,
                                                       num_sub_vectors=sub), replace=True)
        part.has_ann = True
        part.ann_partitions = parts
        self._ensure_filter_indexes(part)
        return True

    @staticmethod
    def _ensure_filter_indexes(part: _Part) -> None:
        """Scalar indexes on the access columns, so the pre-filter of a large table reads index
        pages instead of decoding every row's columns (250k rows: 7-10 % less CPU per vector and
        full-text query, same results; ``evals/bench_filter_index.py``)."""
        if part.has_filter_indexes:
            return
        from lancedb.index import Bitmap, BTree

        for column, config in _FILTER_INDEXES:
            part.table.create_index(column, config=BTree() if config == "btree" else Bitmap(), replace=True)
        part.has_filter_indexes = True

    def ensure_ann_index(self, force: bool = False) -> bool:
        """Build the IVF-PQ index of each table that reached ``ann_min_rows`` (or every one, when forced)."""
        with self._write_lock:
            for part in self._all_parts():
                self._ensure_ann(part, force)
        return self.has_ann_index

    def _nprobes(self, part: _Part) -> int:
        """Recall follows the share of partitions probed, not their count: probe at least 6 %
        (20 of 316 gave recall@10 0.999 at 100k; 20 of 1,000 only 0.95 at 1M)."""
        return max(self.ann_nprobes, math.ceil(0.06 * part.ann_partitions))

    @property
    def effective_nprobes(self) -> int:
        """Probes of the largest indexed table."""
        return max((self._nprobes(p) for p in self._parts.values() if p.has_ann), default=self.ann_nprobes)

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
                 transform: Any = None, parts: list[tuple[_Part, str]] | None = None) -> list[ScoredChunk]:
        """Rows as scored chunks, each re-checked; with ``parts`` the rows are candidates (``_part``
        indexes ``parts``) and become :class:`CandidateChunk`."""
        out = []
        for row in rows:
            chunk = row_to_chunk(row) if parts is None else _candidate(row, parts[int(row["_part"])][0].key)
            if not flt.allows(chunk):
                # The pre-filter should make this impossible; refuse loudly rather than leak.
                raise AccessViolation(f"store returned a chunk outside the access filter: {chunk.chunk_id}")
            raw = float(row[score_key])
            out.append(ScoredChunk(chunk=chunk, score=transform(raw) if transform else raw, source=source))
        return out

    @staticmethod
    def _merge(results: list[list[dict[str, Any]]], key: str, k: int, smaller_first: bool) -> list[dict[str, Any]]:
        """The best ``k`` rows of several tables' top-k lists (a chunk met twice, while a tenant
        moves to its own table, counts once)."""
        if len(results) == 1:
            return results[0][:k]
        rows = [r for rs in results for r in rs]
        rows.sort(key=lambda r: float(r[key]) if smaller_first else -float(r[key]))
        seen: set[str] = set()
        out = []
        for r in rows:
            if r["chunk_id"] not in seen:
                seen.add(r["chunk_id"])
                out.append(r)
        return out[:k]

    def _plan(self, part: _Part, flt: AccessFilter, k: int,
              version: int | None = None) -> tuple[int | None, int | None]:
        """(rows a post-filtered query of ``part`` should ask for, None: pre-filter it; the table
        version at which every row was counted visible, else None)."""
        if not self.adaptive_filter:
            return None, None
        stats = part.access_stats(version)
        share = stats.visible_share(flt)
        if share >= 1.0:
            # Every row is visible: the same candidates as the pre-filtered query, nothing extra.
            return k, stats.version
        if share < self.postfilter_min_share or stats.rows < self.postfilter_min_rows:
            return None, None
        return math.ceil(k / share * self.postfilter_margin), None

    def _search(self, flt: AccessFilter, k: int, query: Any, key: str, smaller_first: bool,
                parts: list[tuple[_Part, str]] | None = None, convert: Any = None,
                versions: list[int] | None = None) -> list[dict[str, Any]]:
        """Each visible table's top ``k`` under the access filter, merged. ``query(part, where,
        prefilter, limit)`` builds one table's query; a post-filtered query that returns fewer
        than ``k`` rows is run again pre-filtered, so each table's top-k stays full. Not when the
        counts show every row of the table visible at the version searched: the filter then
        removed nothing, so fewer than ``k`` rows means fewer matched (a rare full-text term).
        ``convert`` turns one query's Arrow result into rows (default: every row as it came);
        ``versions``: the tables' versions as the caller just read them."""
        searched = parts or self._visible(flt)
        known = versions if versions is not None else [None] * len(searched)
        plans = [(part, where, *self._plan(part, flt, k, v))
                 for (part, where), v in zip(searched, known, strict=True)]
        results = self._run([query(part, where, fetch is None, fetch or k) for part, where, fetch, _ in plans], convert)
        redo = [i for i, (part, _, fetch, whole) in enumerate(plans)
                if fetch is not None and len(results[i]) < k and (whole is None or part.version() != whole)]
        if redo:
            again = self._run([query(plans[i][0], plans[i][1], True, k) for i in redo], convert)
            for i, rows in zip(redo, again, strict=True):
                results[i] = rows
        for i, (_, _, fetch, _) in enumerate(plans):
            if fetch is not None:
                # Post-filtered rows come in the search's order; the stable sort keeps ties as they came.
                results[i] = sorted(results[i], key=lambda r: float(r[key]) if smaller_first else -float(r[key]))[:k]
            self.filter_counts["pre" if fetch is None else "fallback" if i in redo else "post"] += 1
        return self._merge(results, key, k, smaller_first)

    def dense_search(self, vector: np.ndarray, flt: AccessFilter, k: int, *, exact: bool = False,
                     candidates: bool = False) -> list[ScoredChunk]:
        """Nearest visible chunks by their best window; ``exact`` scans every window of every visible
        row and always pre-filters: it is the reference the index, the post-filter and the
        candidate pool are measured by. ``candidates``: :class:`CandidateChunk` hits (no text; read
        the ones kept with :meth:`hydrate`)."""
        if k <= 0 or flt.empty:
            return []
        vec = np.asarray(vector, dtype=np.float32)
        scan_windows = exact or self.window_pool <= 0
        flat = exact or self.exact_search
        visible = self._visible(flt)
        if not scan_windows and not flat and self.mirror_max_rows > 0:
            mirrors = [p.fresh_mirror(self.mirror_max_rows, self.dim, self.mirror_background) for p, _ in visible]
            if any(m is not None for m in mirrors):
                return self._mirrored_dense(vec, visible, mirrors, flt, k, candidates)
        return self._checked(self._dense_rows(vec, visible, flt, k, candidates, scan_windows, flat), flt,
                             "_distance", "dense", transform=lambda d: 1.0 - d, parts=visible if candidates else None)

    def _mirrored_dense(self, vec: np.ndarray, visible: list[tuple[_Part, str]], mirrors: list[_Mirror | None],
                        flt: AccessFilter, k: int, candidates: bool) -> list[ScoredChunk]:
        """Dense search with the mirrored tables answered in process (:class:`_Mirror`, the access
        mask inside the query) and any other visible table by LanceDB, merged; the rows are re-checked
        against ``flt`` as every store result is, and read in full by row id unless ``candidates``."""
        pool = max(k, self.window_pool)
        results: list[list[dict[str, Any]]] = []
        rest = [i for i, m in enumerate(mirrors) if m is None]
        for i, m in enumerate(mirrors):
            if m is not None:
                self.mirror_queries += 1
                results.append([{**r, "_part": i} for r in m.search(vec, flt, visible[i][0].key, k, pool)])
        if rest:
            others = self._dense_rows(vec, [visible[i] for i in rest], flt, k, True, False, False)
            results.append([{**r, "_part": rest[int(r["_part"])]} for r in others])
        rows = self._merge(results, "_distance", k, smaller_first=True)
        if not candidates:
            full: dict[str, dict[str, Any]] = {}
            for i, (part, where) in enumerate(visible):
                mine = [(r["chunk_id"], int(r["_rowid"])) for r in rows if r["_part"] == i]
                if mine:
                    full.update(self._read_rows(part, where, mine, flt))
            rows = [{**full[r["chunk_id"]], "_distance": r["_distance"]} for r in rows if r["chunk_id"] in full]
        return self._checked(rows, flt, "_distance", "dense", transform=lambda d: 1.0 - d,
                             parts=visible if candidates else None)

    def _dense_rows(self, vec: np.ndarray, visible: list[tuple[_Part, str]], flt: AccessFilter, k: int,
                    candidates: bool, scan_windows: bool, flat: bool) -> list[dict[str, Any]]:
        """The dense top ``k`` of ``visible`` as LanceDB answers it (rows; with ``candidates`` tagged
        ``_part``: their index in ``visible``)."""
        index = {id(part): i for i, (part, _) in enumerate(visible)}
        columns = _CANDIDATE_COLUMNS if candidates else _ROW_COLUMNS

        def tagged(part: _Part, q: Any) -> Any:
            return _Tagged(q.with_row_id(True), index[id(part)]) if candidates else q

        def query(part: _Part, where: str, prefilter: bool, limit: int) -> Any:
            if scan_windows:
                return tagged(part, (
                    part.table.search(vec, vector_column_name="windows")
                    .distance_type("cosine")
                    .where(where, prefilter=True)
                    .select([*columns, "_distance"])
                    .limit(k)
                    .bypass_vector_index()
                ))
            # The IVF-PQ index holds the pooled vectors: its candidates bring their windows to be
            # re-scored. A table without the index (beside indexed ones) ranks its pooled vectors
            # exactly and re-scores a pool, as _pooled_exact does.
            q = (
                part.table.search(vec, vector_column_name="vector")
                .distance_type("cosine")
                .where(where, prefilter=prefilter or not part.has_ann)
                .select([*columns, "_distance", "windows"])
                .limit(limit if part.has_ann else max(k, self.window_pool))
            )
            if not part.has_ann:
                return tagged(part, q.bypass_vector_index())
            # refine_factor_for(k), not (limit): the re-rank pool grows with the over-fetch, so
            # the visible part of a post-filtered pool is as large as a pre-filtered one.
            return tagged(part, q.nprobes(self._nprobes(part)).refine_factor(self.refine_factor_for(k)))

        def rescore(table: pa.Table) -> list[dict[str, Any]]:
            # On the Arrow buffers: turning the candidates' windows into Python lists costs more
            # than scoring them.
            best = best_window_scores_arrow(vec, table.column("windows"))
            order = np.argsort(-best, kind="stable")[:k]
            top = table.drop_columns(["windows", "_distance"]).take(pa.array(order))
            return top.append_column("_distance", pa.array(1.0 - best[order], pa.float32())).to_pylist()

        if scan_windows:
            return self._merge(self._run([query(p, w, True, k) for p, w in visible]), "_distance", k,
                               smaller_first=True)
        if flat or not any(p.has_ann for p, _ in visible):
            return self._pooled_exact(vec, visible, flt, k, rescore, candidates)
        return self._search(flt, k, query, "_distance", smaller_first=True, parts=visible, convert=rescore)

    def _pooled_exact(self, vec: np.ndarray, parts: list[tuple[_Part, str]], flt: AccessFilter, k: int,
                      rescore: Any, candidates: bool = False) -> list[dict[str, Any]]:
        """Exact dense search without scanning every window: each visible table ranks its pooled
        vectors exactly (the access filter inside the query), the best ``window_pool`` candidates
        are re-scored by their best window, and only the top ``k`` rows are read in full (none
        with ``candidates``: the pool brings the candidate columns).

        Scanning the windows costs a distance per window (3.5 a chunk in the docs and CUAD sets) on
        LanceDB's slower multivector path; the pooled vector costs one a chunk, and reading the
        row columns of the ``k`` winners by row id skips decoding text for the whole pool. A table
        with at most ``window_pool`` visible rows gets the exact result.
        """
        index = {id(part): i for i, (part, _) in enumerate(parts)}
        columns = _CANDIDATE_COLUMNS if candidates else ["chunk_id"]

        def query(part: _Part, where: str, prefilter: bool, limit: int) -> Any:
            # A post-filtered query over-fetches by limit / k: the pool grows alike, so the visible
            # part of it is as large as a pre-filtered pool.
            pool = math.ceil(max(k, self.window_pool) * limit / k)
            q = (
                part.table.search(vec, vector_column_name="vector")
                .distance_type("cosine")
                .where(where, prefilter=prefilter)
                .select([*columns, "_distance", "windows"])
                .with_row_id(True)
                .limit(pool)
                .bypass_vector_index()
            )
            return _Tagged(q, index[id(part)])

        top = self._search(flt, k, query, "_distance", smaller_first=True, parts=parts, convert=rescore)
        if candidates:
            return top
        full: dict[str, dict[str, Any]] = {}
        for i, (part, where) in enumerate(parts):
            mine = [r for r in top if r["_part"] == i]
            if mine:
                full.update(self._read_rows(part, where, [(r["chunk_id"], int(r["_rowid"])) for r in mine], flt))
        return [{**full[r["chunk_id"]], "_distance": r["_distance"]} for r in top if r["chunk_id"] in full]

    def _read_rows(self, part: _Part, where: str, wanted: list[tuple[str, int]],
                   flt: AccessFilter) -> dict[str, dict[str, Any]]:
        """Full rows of (chunk id, row id) pairs of one table, by row id; only rows the filter still
        allows count as found. A write between the search and this read moves or changes rows (a
        row id read again may hold a newer version of the chunk, re-ingested at another level):
        what is not found so is read by chunk id, under the filter."""
        try:
            mirror = part.current_mirror() if self.mirror_max_rows > 0 else None
            if mirror is not None:  # the table's rows at its current version, held in process
                self.mirror_reads += 1
                got = mirror.take([rid for _, rid in wanted])
            else:
                got = part.table.take_row_ids([rid for _, rid in wanted]).select(_ROW_COLUMNS).to_arrow().to_pylist()
            ids = {cid for cid, _ in wanted}
            fetched = {row["chunk_id"]: row for row in got if row["chunk_id"] in ids and flt.allows(row_to_chunk(row))}
        except Exception:
            fetched = {}
        missing = [cid for cid, _ in wanted if cid not in fetched]
        if missing:
            got = (
                part.table.search().where(f"({where}) AND chunk_id IN ({', '.join(_q(c) for c in missing)})",
                                          prefilter=True)
                .select(_ROW_COLUMNS).limit(len(missing)).to_arrow()
            )
            fetched.update({row["chunk_id"]: row for row in got.to_pylist()})
        return fetched

    def hydrate(self, hits: list[ScoredChunk], flt: AccessFilter) -> list[ScoredChunk]:
        """``hits`` with every :class:`CandidateChunk` read in full, in order, scores and ranks kept.

        Rows are read by row id and re-checked with ``flt``; one changed since the search is read
        again by chunk id under the filter, in every table the filter sees (a tenant may have
        moved to its own table). A candidate no longer visible is left out."""
        by_part: dict[str | None, list[tuple[str, int]]] = {}
        for h in hits:
            if isinstance(h.chunk, CandidateChunk):
                by_part.setdefault(h.chunk.part, []).append((h.chunk.chunk_id, h.chunk.row_id))
        if not by_part:
            return hits
        full: dict[str, dict[str, Any]] = {}
        visible = {part.key: (part, where) for part, where in self._visible(flt)}
        reads = [(visible[key], wanted) for key, wanted in by_part.items() if key in visible]
        if len(reads) > 1 and self.concurrent_reads:
            # Several tables' rows are read side by side, as their queries run (_run): reading a
            # few rows by id costs LanceDB about a millisecond per column and random page, ~15 ms
            # for a 250k-row tenant table's share of the top 10.
            futures = [self._executor().submit(self._read_rows, *pw, wanted, flt) for pw, wanted in reads]
            for f in futures:
                full.update(f.result())
        else:
            for pw, wanted in reads:
                full.update(self._read_rows(*pw, wanted, flt))
        lost = [cid for rows in by_part.values() for cid, _ in rows if cid not in full]
        found = {c.chunk_id: c for c in self.get_chunks(lost, flt)} if lost else {}
        out = []
        for h in hits:
            if isinstance(h.chunk, CandidateChunk):
                cid = h.chunk.chunk_id
                chunk = row_to_chunk(full[cid]) if cid in full else found.get(cid)
                if chunk is None or not flt.allows(chunk):
                    continue
                h = ScoredChunk(chunk=chunk, score=h.score, source=h.source, ranks=h.ranks)
            out.append(h)
        return out

    def text_search(self, query: str, flt: AccessFilter, k: int, *, candidates: bool = False) -> list[ScoredChunk]:
        """BM25 matches; each tenant table ranks with its own term statistics (as a tenant's
        Weaviate shard does), so no tenant's documents weigh on another's scores.
        ``candidates``: :class:`CandidateChunk` hits, as in :meth:`dense_search`."""
        if k <= 0 or flt.empty or not query.strip():
            return []
        # An empty table has no full-text index and nothing to search.
        parts = [(p, w) for p, w in self._visible(flt) if p.has_fts or self._ensure_fts_locked(p)]
        if not parts:
            return []
        try:
            rows = self._mirrored_text_rows(query, flt, k, parts) if candidates else None
            if rows is None:
                rows = self._search(flt, k, self._fts_query(query, parts, candidates), "_score",
                                    smaller_first=False, parts=parts)
        except ValueError as exc:  # tokenizer found no terms, e.g. only stop words
            if "no terms" in str(exc).lower():
                return []
            raise StoreError(f"full-text query failed: {exc}") from exc
        return self._checked(rows, flt, "_score", "fulltext", parts=parts if candidates else None)

    @staticmethod
    def _fts_query(query: str, parts: list[tuple[_Part, str]], candidates: bool,
                   columns: list[str] | None = None) -> Any:
        """``query(part, where, prefilter, limit)`` of the full-text search (see :meth:`_search`);
        ``columns``: what the rows carry besides ``_score`` (default: the candidate or row columns)."""
        index = {id(part): i for i, (part, _) in enumerate(parts)}
        wanted = columns if columns is not None else _CANDIDATE_COLUMNS if candidates else _ROW_COLUMNS

        def fts(part: _Part, where: str, prefilter: bool, limit: int) -> Any:
            q = (
                part.table.search(query, query_type="fts", fts_columns="search_text")
                .where(where, prefilter=prefilter)
                .select([*wanted, "_score"])
                .limit(limit)
            )
            return _Tagged(q.with_row_id(True), index[id(part)]) if candidates else q

        return fts

    def _mirrored_text_rows(self, query: str, flt: AccessFilter, k: int,
                            parts: list[tuple[_Part, str]]) -> list[dict[str, Any]] | None:
        """The full-text candidates with their columns read from the in-process copies, or None
        (then LanceDB reads them, as before): every searched table must be held at its current
        version, and still be at that version once the query has run.

        LanceDB ranks as before and returns only row ids and scores; reading the candidate columns
        (strings decoded per row) was about a third of a full-text query's CPU. Why the rows are
        the ones LanceDB would have returned: a table's version only grows, and the query ran
        between two reads of it; when both equal the copy's version the query saw exactly the
        rows the copy holds, under the same row ids. A row id the copy does not hold (or a row
        with a NULL access column) also sends the search to LanceDB."""
        if self.mirror_max_rows <= 0:
            return None
        versions = [part.version() for part, _ in parts]  # the first version read
        mirrors = [part.mirror for part, _ in parts]
        if any(m is None or m.version != v for m, v in zip(mirrors, versions, strict=True)):
            return None
        held = cast(list[_Mirror], mirrors)

        def from_copy(table: pa.Table) -> list[dict[str, Any]]:
            if table.num_rows == 0:
                return []
            tag = int(table.column("_part")[0].as_py())  # one table's query: one tag
            pos = held[tag].positions(table.column("_rowid").to_numpy())
            if pos is None:
                raise _NotHeld
            return [{**held[tag].candidate(i), "_score": sc, "_part": tag}
                    for i, sc in zip(pos.tolist(), table.column("_score").to_pylist(), strict=True)]

        try:
            rows = self._search(flt, k, self._fts_query(query, parts, True, columns=[]), "_score",
                                smaller_first=False, parts=parts, convert=from_copy, versions=versions)
        except _NotHeld:
            return None
        # The second version read: unchanged since the first, so the query ran at the copies' versions.
        if any(part.version() != m.version for (part, _), m in zip(parts, held, strict=True)):
            return None
        self.mirror_text_queries += 1
        return rows

    def _run(self, queries: list[Any], convert: Any = None) -> list[list[dict[str, Any]]]:
        """Run the tables' queries, concurrently when there are several: one LanceDB query keeps
        about one core busy, so two tables searched side by side cost the time of the slower one
        (at 1M, two 250k-row tenant tables: 123 ms instead of 155 ms, same CPU). ``convert`` turns
        one Arrow result into rows (default ``to_pylist``)."""
        convert = convert or (lambda t: t.to_pylist())
        if len(queries) <= 1:
            return [convert(q.to_arrow()) for q in queries]
        futures = [self._executor().submit(q.to_arrow) for q in queries]
        return [convert(f.result()) for f in futures]

    def _executor(self) -> Any:
        """The threads several tables' queries and reads run on (made on first use)."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lancedb-query")
        return self._pool

    def _ensure_fts_locked(self, part: _Part) -> bool:
        with self._write_lock:
            return self._ensure_fts(part)

    def get_chunks(self, chunk_ids: Sequence[str], flt: AccessFilter) -> list[Chunk]:
        if not chunk_ids or flt.empty:
            return []
        chunks = []
        for part, visible in self._visible(flt):
            where = f"chunk_id IN ({', '.join(_q(c) for c in chunk_ids)}) AND {visible}"
            rows = part.table.search().where(where).select(_ROW_COLUMNS).limit(len(chunk_ids)).to_arrow()
            chunks += [row_to_chunk(r) for r in rows.to_pylist()]
        unique = {c.chunk_id: c for c in chunks}
        return [c for c in unique.values() if flt.allows(c)]

    def document_hashes(self, tenant_id: str | None = None) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        parts = self._all_parts() if tenant_id is None else [self._home(tenant_id)]
        for part in parts:
            q = part.table.search()
            if tenant_id is not None:
                q = q.where(f"tenant_id = {_q(tenant_id)}")
            tbl = q.select(["tenant_id", "doc_id", "doc_hash"]).limit(None).to_arrow()
            for t, d, h in zip(tbl["tenant_id"].to_pylist(), tbl["doc_id"].to_pylist(), tbl["doc_hash"].to_pylist(),
                               strict=True):
                out[(t, d)] = h
        return out

    def list_documents(self, flt: AccessFilter | None = None) -> list[DocumentInfo]:
        rows: list[dict[str, Any]] = []
        scans = [(p, None) for p in self._all_parts()] if flt is None else self._visible(flt)
        for part, where in scans:
            q = part.table.search()
            if where is not None:
                q = q.where(where)
            rows += q.select(["chunk_id", *_META_COLUMNS]).limit(None).to_arrow().to_pylist()
        docs: dict[tuple[str, str], dict[str, Any]] = {}
        counts: dict[tuple[str, str], int] = {}
        for r in {r["chunk_id"]: r for r in rows}.values():
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
        return sum(int(p.table.count_rows()) for p in self._parts.values())

    @property
    def data_version(self) -> int:
        """Changes with every write: the sum of the tables' LanceDB versions (each only grows, and
        a new table adds its own), so caches of derived data key on it instead of rescanning."""
        return sum(p.version() for p in self._parts.values())

    def _scan(self, columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
        """The tables in batches, streamed (a full ``to_arrow`` held 1M rows with vectors in memory)."""
        for p in self._all_parts():
            reader = p.table.search().select(columns).limit(None).to_batches(batch_size)
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

    def iter_windows(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], list[np.ndarray]]]:
        for batch in self._scan([*_ROW_COLUMNS, "windows"], batch_size):
            col = batch.column("windows")
            # list<fixed_size_list<float>>: flatten() honours slicing, value_lengths() splits the rows.
            flat = np.asarray(col.flatten().flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
            bounds = np.cumsum(col.value_lengths().to_numpy(zero_copy_only=False))[:-1]
            wins = np.split(flat.reshape(-1, self.dim), bounds)
            rows = batch.drop_columns(["windows"]).to_pylist()
            yield [row_to_chunk(r) for r in rows], wins

    def iter_chunks(self, batch_size: int = 1000) -> Iterator[list[Chunk]]:
        """Every chunk without its vector (text scans: mention statistics, prewarming)."""
        for batch in self._scan(_ROW_COLUMNS, batch_size):
            yield [row_to_chunk(r) for r in batch.to_pylist()]

    def close(self) -> None:
        """LanceDB holds no server connection; only the query threads are released."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
