"""Weaviate backend (weaviate-client v4) for deployments that outgrow one machine.

Layout
- One multi-tenant collection. Every partner tenant and ``shared`` is a native
  Weaviate tenant (its own shard), created explicitly on the first write for it;
  automatic tenant creation is off so a typo can never open a new tenant.
- Each object's uuid is the chunk id; vectors are supplied by us (no vectorizer
  module) as the named vector ``default`` (cosine HNSW): a chunk's pooled vector.
  A chunk embedded as several windows also keeps them, flattened, in the stored-only
  property ``window_vectors``; dense search re-scores the HNSW candidates by their
  best window (the model reads 256 tokens, chunks are longer). Native hybrid fuses
  on the pooled vector.
- BM25 covers ``index_text`` (the redacted text), title and section path;
  ``text`` is stored but not indexed, so the inverted index carries no personal data.

Queries
- A search runs once per visible tenant of the :class:`AccessFilter`, each with
  the full access/validity filter inside the query (pre-filter, so top-k is
  full), and the per-tenant lists are merged by score. Every result is then
  re-checked with ``AccessFilter.allows`` before it is returned.

Consistency (Weaviate has no multi-object transactions)
- ``replace_document`` writes the new chunks first, then deletes the old ids
  that are not in the new set. If writing the new chunks fails, the objects it
  overwrote are restored from a snapshot and the new-only ids removed, so the
  old version stays (best effort: a rollback can itself fail when the server is
  gone, and the error says so). Between the two steps concurrent readers can
  briefly see chunks of both versions (each chunk still passes its own access
  check); a crash there leaves both, ``document_hashes`` then reports the
  document with an empty hash so the next ingest replaces it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid as uuid_mod
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from retrievers.access import MAX_TS, MIN_TS, AccessFilter, AccessLevel, AccessViolation
from retrievers.schema import Chunk, DocumentInfo, PiiSpan, ScoredChunk
from retrievers.stores.base import StoreError, Vectors, best_window_scores, split_vectors

log = logging.getLogger(__name__)

VECTOR_NAME = "default"
WINDOW_PROPERTY = "window_vectors"
# BM25 fields: like the LanceDB store, title and section path help match the document;
# the body is the redacted ``index_text``.
SEARCH_PROPERTIES = ["index_text", "title", "section_path"]
# Weaviate caps offset+limit of one query (QUERY_MAXIMUM_RESULTS, default 10,000).
MAX_QUERY_RESULTS = 10_000
# A tenant created by another process becomes searchable here within this delay.
TENANT_REFRESH_SECONDS = 30.0
_TENANT_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TENANT_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")

RETURN_PROPERTIES = [
    "chunk_id",
    "doc_id",
    "tenant_id",
    "access_rank",
    "doc_type",
    "title",
    "version",
    "position",
    "text",
    "index_text",
    "section_path",
    "page",
    "char_start",
    "char_end",
    "approved",
    "superseded",
    "valid_from",
    "valid_until",
    "content_hash",
    "doc_hash",
    "pii_spans",
    "injection_flag",
]


@dataclass(frozen=True)
class WeaviateConfig:
    """Connection and collection settings (built from ``copilot.core.settings`` by the service factory)."""

    host: str = "localhost"
    http_port: int = 8080
    grpc_host: str | None = None  # defaults to ``host``
    grpc_port: int = 50051
    secure: bool = False
    api_key: str | None = None
    timeout_init: float = 10.0
    timeout_query: float = 30.0
    timeout_insert: float = 120.0
    collection: str = "PartnerChunk"
    alpha: float = 0.5
    replication_factor: int = 1
    batch_size: int = 200

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> WeaviateConfig:
        """``http://host:8080`` (or https) -> config; gRPC port stays 50051 unless overridden."""
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"WEAVIATE_URL must look like http://host:8080, got {url!r}")
        secure = parsed.scheme == "https"
        values: dict[str, Any] = {
            "host": parsed.hostname,
            "http_port": parsed.port or (443 if secure else 8080),
            "secure": secure,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def weaviate_tenant_name(tenant_id: str) -> str:
    """Deterministic, collision-free map from our tenant ids to valid Weaviate tenant names.

    Ids that are already valid names (``[A-Za-z0-9_-]{1,64}``) without ``--`` are
    used unchanged (``shared`` stays ``shared``). Anything else becomes a sanitised
    prefix + ``--`` + 16 hex digits of its SHA-256; since unchanged names never
    contain ``--`` the two ranges cannot collide. Queries additionally filter on
    the ``tenant_id`` property, so even a hash collision could not mix tenants.
    """
    if not tenant_id or not tenant_id.strip():
        raise ValueError("tenant_id must be a non-empty string")
    if _TENANT_NAME_RE.fullmatch(tenant_id) and "--" not in tenant_id:
        return tenant_id
    digest = hashlib.sha256(tenant_id.encode("utf-8")).hexdigest()[:16]
    prefix = _TENANT_BAD_CHARS.sub("_", tenant_id)[:40]
    return f"{prefix}--{digest}"


def object_uuid(chunk_id: str) -> str:
    """The Weaviate object uuid: the chunk id itself (ids from ``chunk_uuid`` are UUIDs)."""
    try:
        return str(uuid_mod.UUID(chunk_id))
    except ValueError:
        raise ValueError(f"chunk_id must be a UUID (see retrievers.schema.chunk_uuid), got {chunk_id!r}") from None


def _wv() -> Any:
    # Lazy import keeps the LanceDB-only path free of the client's gRPC start-up cost.
    import weaviate.classes as wvc

    return wvc


def collection_properties() -> list[Any]:
    """The collection schema: filterable tags, one BM25 field, stored-only display text."""
    wvc = _wv()
    P, DT, Tok = wvc.config.Property, wvc.config.DataType, wvc.config.Tokenization

    def keyword(name: str) -> Any:
        return P(name=name, data_type=DT.TEXT, tokenization=Tok.FIELD, index_searchable=False)

    def stored(name: str, data_type: Any = DT.TEXT) -> Any:
        return P(name=name, data_type=data_type, index_filterable=False, index_searchable=False)

    def number(name: str, ranged: bool = False) -> Any:
        return P(name=name, data_type=DT.INT, index_range_filters=ranged or None)

    return [
        keyword("chunk_id"),
        keyword("doc_id"),
        keyword("tenant_id"),
        number("access_rank", ranged=True),
        keyword("doc_type"),
        P(name="title", data_type=DT.TEXT, tokenization=Tok.WORD, index_filterable=False),
        keyword("version"),
        number("position"),
        stored("text"),
        P(name="index_text", data_type=DT.TEXT, tokenization=Tok.WORD, index_filterable=False),
        P(name="section_path", data_type=DT.TEXT_ARRAY, tokenization=Tok.WORD, index_filterable=False),
        number("page"),
        number("char_start"),
        number("char_end"),
        P(name="approved", data_type=DT.BOOL),
        P(name="superseded", data_type=DT.BOOL),
        number("valid_from", ranged=True),
        number("valid_until", ranged=True),
        keyword("content_hash"),
        keyword("doc_hash"),
        # JSON list of {entity_type,start,end,score}; never filtered on, so a blob is enough.
        stored("pii_spans"),
        P(name="injection_flag", data_type=DT.BOOL),
        window_property(),
    ]


def window_property() -> Any:
    """A chunk's window vectors, row after row; read back only to score the chunk by its best window."""
    wvc = _wv()
    return wvc.config.Property(name=WINDOW_PROPERTY, data_type=wvc.config.DataType.NUMBER_ARRAY,
                               index_filterable=False, index_searchable=False)


def window_matrix(props: dict[str, Any], dim: int) -> np.ndarray | None:
    """The stored windows of one object as an (n, dim) array; None when it has one window."""
    flat = props.get(WINDOW_PROPERTY)
    if not flat or dim <= 0 or len(flat) % dim:
        return None
    return np.asarray(flat, dtype=np.float32).reshape(-1, dim)


def chunk_properties(chunk: Chunk) -> dict[str, Any]:
    props: dict[str, Any] = {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "tenant_id": chunk.tenant_id,
        "access_rank": int(chunk.access_level),
        "doc_type": str(chunk.doc_type),
        "title": chunk.title,
        "version": chunk.version,
        "position": int(chunk.position),
        "text": chunk.text,
        "index_text": chunk.index_text,
        "section_path": list(chunk.section_path),
        "char_start": int(chunk.char_start),
        "char_end": int(chunk.char_end),
        "approved": bool(chunk.approved),
        "superseded": bool(chunk.superseded),
        "valid_from": int(chunk.valid_from),
        "valid_until": int(chunk.valid_until),
        "content_hash": chunk.content_hash,
        "doc_hash": chunk.doc_hash,
        "pii_spans": json.dumps(
            [{"entity_type": s.entity_type, "start": s.start, "end": s.end, "score": s.score} for s in chunk.pii_spans]
        ),
        "injection_flag": bool(chunk.injection_flag),
    }
    if chunk.page is not None:  # absent property = null in Weaviate
        props["page"] = int(chunk.page)
    return props


def chunk_from_properties(p: dict[str, Any]) -> Chunk:
    page = p.get("page")
    spans = json.loads(p.get("pii_spans") or "[]")
    return Chunk(
        chunk_id=str(p["chunk_id"]),
        doc_id=str(p["doc_id"]),
        tenant_id=str(p["tenant_id"]),
        access_level=AccessLevel(int(p["access_rank"])),
        doc_type=str(p.get("doc_type") or "other"),
        title=str(p.get("title") or ""),
        version=str(p.get("version") or ""),
        position=int(p.get("position") or 0),
        text=str(p.get("text") or ""),
        index_text=str(p.get("index_text") or ""),
        section_path=list(p.get("section_path") or []),
        page=int(page) if page is not None else None,
        char_start=int(p.get("char_start") or 0),
        char_end=int(p.get("char_end") or 0),
        approved=bool(p.get("approved")),
        superseded=bool(p.get("superseded")),
        valid_from=int(p["valid_from"]) if p.get("valid_from") is not None else MIN_TS,
        valid_until=int(p["valid_until"]) if p.get("valid_until") is not None else MAX_TS,
        content_hash=str(p.get("content_hash") or ""),
        doc_hash=str(p.get("doc_hash") or ""),
        pii_spans=[PiiSpan(s["entity_type"], int(s["start"]), int(s["end"]), float(s["score"])) for s in spans],
        injection_flag=bool(p.get("injection_flag")),
    )


def build_filter(tenant_id: str, flt: AccessFilter) -> Any:
    """The access rule for one tenant as a Weaviate filter (applied inside the query)."""
    F = _wv().query.Filter
    parts = [
        F.by_property("tenant_id").equal(tenant_id),
        F.by_property("access_rank").less_or_equal(int(flt.max_level)),
        F.by_property("approved").equal(True),
        F.by_property("superseded").equal(False),
        F.by_property("valid_from").less_or_equal(int(flt.now)),
        F.by_property("valid_until").greater_than(int(flt.now)),
    ]
    if flt.doc_ids is not None:
        parts.append(F.by_property("doc_id").contains_any(list(flt.doc_ids)))
    return F.all_of(parts)


class WeaviateBatchError(StoreError):
    """Some objects of a batch write failed; ``failures`` lists (chunk_id, server message)."""

    def __init__(self, failures: list[tuple[str, str]], written: int, note: str = "") -> None:
        self.failures = failures
        self.written = written
        shown = "; ".join(f"{cid}: {msg}" for cid, msg in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} chunk(s) failed to write to Weaviate: {shown}{more}{note}")


def connect(config: WeaviateConfig) -> Any:
    """Open a ``WeaviateClient`` for ``config`` (HTTP + gRPC, optional API key, timeouts)."""
    import weaviate
    from weaviate.classes.init import AdditionalConfig, Auth, Timeout

    try:
        return weaviate.connect_to_custom(
            http_host=config.host,
            http_port=config.http_port,
            http_secure=config.secure,
            grpc_host=config.grpc_host or config.host,
            grpc_port=config.grpc_port,
            grpc_secure=config.secure,
            auth_credentials=Auth.api_key(config.api_key) if config.api_key else None,
            additional_config=AdditionalConfig(
                timeout=Timeout(init=config.timeout_init, query=config.timeout_query, insert=config.timeout_insert)
            ),
        )
    except Exception as exc:  # the client raises several unrelated types on connect
        raise StoreError(
            f"cannot connect to Weaviate at {config.host}:{config.http_port} (gRPC {config.grpc_port}): {exc}"
        ) from exc


class WeaviateStore:
    """The :class:`~retrievers.stores.base.Store` protocol on a multi-tenant Weaviate collection."""

    name = "weaviate"

    def __init__(self, client: Any, config: WeaviateConfig | None = None, *, owns_client: bool = True) -> None:
        self.config = config or WeaviateConfig()
        self._client = client
        self._owns_client = owns_client
        self._tenants: set[str] = set()  # Weaviate tenant names known to exist
        self._refreshed_at = float("-inf")
        self._collection = self._ensure_collection()

    @classmethod
    def connect(cls, config: WeaviateConfig) -> WeaviateStore:
        return cls(connect(config), config)

    # --- schema / tenants ---------------------------------------------------
    def _ensure_collection(self) -> Any:
        wvc = _wv()
        name = self.config.collection
        try:
            if not self._client.collections.exists(name):
                self._client.collections.create(
                    name,
                    properties=collection_properties(),
                    vector_config=wvc.config.Configure.Vectors.self_provided(
                        name=VECTOR_NAME,
                        vector_index_config=wvc.config.Configure.VectorIndex.hnsw(
                            distance_metric=wvc.config.VectorDistances.COSINE
                        ),
                    ),
                    multi_tenancy_config=wvc.config.Configure.multi_tenancy(
                        enabled=True, auto_tenant_creation=False, auto_tenant_activation=True
                    ),
                    replication_config=wvc.config.Configure.replication(factor=self.config.replication_factor),
                )
            coll = self._client.collections.get(name)
            # Collections created before chunks kept their windows get the property.
            if WINDOW_PROPERTY not in {p.name for p in coll.config.get().properties}:
                coll.config.add_property(window_property())
            return coll
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open Weaviate collection {name!r}: {exc}") from exc

    def _refresh_tenants(self) -> set[str]:
        self._tenants = set(self._collection.tenants.get().keys())
        self._refreshed_at = time.monotonic()
        return self._tenants

    def _existing(self, tenant_ids: Iterable[str], fresh: bool = False) -> list[tuple[str, str]]:
        """(tenant_id, weaviate name) for the given tenants that exist; querying a missing one is an error."""
        wanted = [(t, weaviate_tenant_name(t)) for t in sorted(set(tenant_ids))]
        # Partners without documents of their own are common; re-list tenants for a
        # miss at most every TENANT_REFRESH_SECONDS instead of on every search.
        # Writes and admin reads pass fresh=True and always re-list on a miss.
        stale = fresh or time.monotonic() - self._refreshed_at > TENANT_REFRESH_SECONDS
        if stale and any(n not in self._tenants for _, n in wanted):
            self._refresh_tenants()
        return [(t, n) for t, n in wanted if n in self._tenants]

    def _ensure_tenant(self, tenant_id: str) -> str:
        name = weaviate_tenant_name(tenant_id)
        if name in self._tenants or name in self._refresh_tenants():
            return name
        try:
            self._collection.tenants.create([_wv().tenants.Tenant(name=name)])
        except Exception as exc:
            # Another writer may have created it in between; only fail if it is still missing.
            if name not in self._refresh_tenants():
                raise StoreError(f"cannot create Weaviate tenant {name!r} for {tenant_id!r}: {exc}") from exc
        self._tenants.add(name)
        return name

    def _handle(self, name: str) -> Any:
        return self._collection.with_tenant(name)

    # --- writes ---------------------------------------------------------------
    def _data_objects(self, chunks: Sequence[Chunk], vectors: Sequence[np.ndarray]) -> list[Any]:
        DataObject = _wv().data.DataObject
        pooled, windows = split_vectors(vectors, len(chunks))
        out = []
        for c, v, w in zip(chunks, pooled, windows, strict=True):
            props = chunk_properties(c)
            if len(w) > 1:
                props[WINDOW_PROPERTY] = w.reshape(-1).tolist()
            out.append(DataObject(properties=props, uuid=object_uuid(c.chunk_id),
                                  vector={VECTOR_NAME: np.asarray(v, dtype=np.float32).tolist()}))
        return out

    def _insert(
        self, name: str, chunks: Sequence[Chunk], vectors: Sequence[np.ndarray]
    ) -> tuple[int, list[tuple[str, str]]]:
        """Batch upsert into one tenant; returns (written, [(chunk_id, error)])."""
        handle = self._handle(name)
        written, failures = 0, list[tuple[str, str]]()
        step = max(1, self.config.batch_size)
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            try:
                result = handle.data.insert_many(self._data_objects(part, vectors[start : start + step]))
            except Exception as exc:  # whole request failed (network, auth, schema)
                failures.extend((c.chunk_id, f"batch request failed: {exc}") for c in part)
                continue
            errors = dict(getattr(result, "errors", {}) or {})
            failures.extend((part[i].chunk_id, str(getattr(err, "message", err))) for i, err in sorted(errors.items()))
            written += len(part) - len(errors)
        return written, failures

    @staticmethod
    def _check_batch(chunks: Sequence[Chunk], vectors: Vectors) -> list[np.ndarray]:
        """Per chunk, its window vectors (one row for a chunk given one vector)."""
        if not isinstance(vectors, np.ndarray):
            if len(vectors) != len(chunks):
                raise ValueError(f"expected {len(chunks)} vectors, got {len(vectors)}")
            return split_vectors(vectors, len(chunks))[1]
        vectors = np.asarray(vectors, dtype=np.float32)
        if not len(chunks) and vectors.size == 0:
            return []
        if vectors.ndim != 2 or vectors.shape[0] != len(chunks):
            raise ValueError(f"expected {len(chunks)} vectors, got array of shape {vectors.shape}")
        return split_vectors(vectors, len(chunks))[1]

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> int:
        """Insert or update by chunk_id; raises :class:`WeaviateBatchError` listing every failed chunk."""
        vectors = self._check_batch(chunks, vectors)
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(chunks):
            by_tenant[c.tenant_id].append(i)
        written, failures = 0, list[tuple[str, str]]()
        for tenant_id, idx in sorted(by_tenant.items()):
            name = self._ensure_tenant(tenant_id)
            w, f = self._insert(name, [chunks[i] for i in idx], [vectors[i] for i in idx])
            written += w
            failures.extend(f)
        if failures:
            raise WeaviateBatchError(failures, written)
        return written

    def _doc_objects(self, name: str, tenant_id: str, doc_id: str, with_vectors: bool = False) -> list[Any]:
        F = _wv().query.Filter
        res = self._handle(name).query.fetch_objects(
            filters=F.all_of([F.by_property("tenant_id").equal(tenant_id), F.by_property("doc_id").equal(doc_id)]),
            limit=MAX_QUERY_RESULTS,
            include_vector=with_vectors,
            return_properties=[*RETURN_PROPERTIES, WINDOW_PROPERTY] if with_vectors else ["chunk_id"],
        )
        objs = list(res.objects)
        if len(objs) >= MAX_QUERY_RESULTS:
            raise StoreError(f"document {doc_id!r} has more than {MAX_QUERY_RESULTS} chunks; not supported")
        return objs

    def _delete_ids(self, name: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        F = _wv().query.Filter
        res = self._handle(name).data.delete_many(where=F.by_id().contains_any(list(ids)))
        if getattr(res, "failed", 0):
            raise StoreError(f"Weaviate failed to delete {res.failed} of {len(ids)} object(s)")
        return int(getattr(res, "successful", 0))

    def replace_document(self, tenant_id: str, doc_id: str, chunks: Sequence[Chunk], vectors: Vectors) -> int:
        """Write the new chunks, then drop old ids not in the new set (guarantees: module docstring)."""
        vectors = self._check_batch(chunks, vectors)
        for c in chunks:
            if c.tenant_id != tenant_id or c.doc_id != doc_id:
                raise ValueError(f"chunk {c.chunk_id} belongs to {c.tenant_id}/{c.doc_id}, not {tenant_id}/{doc_id}")
        name = self._ensure_tenant(tenant_id)
        new_ids = {object_uuid(c.chunk_id) for c in chunks}
        old_objs = self._doc_objects(name, tenant_id, doc_id, with_vectors=True)
        old_ids = {str(o.uuid) for o in old_objs}
        # Objects the write will overwrite in place, kept to restore them if the write fails.
        snapshot = [o for o in old_objs if str(o.uuid) in new_ids]

        written, failures = self._insert(name, chunks, vectors)
        if failures:
            note = self._rollback(name, new_ids - old_ids, snapshot)
            raise WeaviateBatchError(failures, written, note)
        stale = sorted(old_ids - new_ids)
        try:
            self._delete_ids(name, stale)
        except Exception as exc:
            raise StoreError(
                f"new version of {doc_id!r} written but {len(stale)} old chunk(s) could not be deleted "
                f"({exc}); "
                "re-run the ingest to remove them"
            ) from exc
        return written

    def _rollback(self, name: str, added: set[str], snapshot: list[Any]) -> str:
        try:
            self._delete_ids(name, sorted(added))
            if snapshot:
                DataObject = _wv().data.DataObject
                res = self._handle(name).data.insert_many(
                    [DataObject(properties=dict(o.properties), uuid=str(o.uuid), vector=o.vector) for o in snapshot]
                )
                if getattr(res, "errors", None):
                    raise StoreError(f"{len(res.errors)} object(s) could not be restored")
            return "; the previous version was restored"
        except Exception as exc:
            log.error("rollback of %s failed: %s", name, exc)
            return f"; rollback FAILED ({exc}): the document may be partly written, re-run the ingest"

    def delete_document(self, tenant_id: str, doc_id: str) -> int:
        if not self._existing([tenant_id], fresh=True):
            return 0
        F = _wv().query.Filter
        res = self._handle(weaviate_tenant_name(tenant_id)).data.delete_many(
            where=F.all_of([F.by_property("tenant_id").equal(tenant_id), F.by_property("doc_id").equal(doc_id)])
        )
        if getattr(res, "failed", 0):
            raise StoreError(f"Weaviate failed to delete {res.failed} chunk(s) of {doc_id!r}")
        return int(getattr(res, "successful", 0))

    def set_superseded(self, tenant_id: str, doc_id: str, superseded: bool) -> None:
        if not self._existing([tenant_id], fresh=True):
            return
        name = weaviate_tenant_name(tenant_id)
        handle = self._handle(name)
        for obj in self._doc_objects(name, tenant_id, doc_id):
            handle.data.update(uuid=obj.uuid, properties={"superseded": bool(superseded)})

    # --- reads ----------------------------------------------------------------
    @staticmethod
    def _allowed(chunk: Chunk, flt: AccessFilter) -> bool:
        return flt.allows(chunk)

    def _recheck(self, hits: list[ScoredChunk], flt: AccessFilter) -> list[ScoredChunk]:
        """Defence in depth: the pre-filter makes a violation impossible; refuse loudly rather than leak."""
        for h in hits:
            if not self._allowed(h.chunk, flt):
                raise AccessViolation(f"store returned a chunk outside the access filter: {h.chunk.chunk_id}")
        return hits

    def _merge(self, per_tenant: list[list[ScoredChunk]], flt: AccessFilter, k: int) -> list[ScoredChunk]:
        merged = [h for hits in per_tenant for h in hits]
        merged.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
        return self._recheck(merged, flt)[:k]

    def _search(self, flt: AccessFilter, k: int, source: str, run: Any, score: Any) -> list[ScoredChunk]:
        if k <= 0 or flt.empty:
            return []
        per_tenant = []
        for tenant_id, name in self._existing(flt.tenants):
            try:
                res = run(self._handle(name).query, build_filter(tenant_id, flt))
            except Exception as exc:
                raise StoreError(f"Weaviate {source} query failed for tenant {name!r}: {exc}") from exc
            hits = [
                ScoredChunk(chunk=chunk_from_properties(o.properties), score=float(score(o)), source=source)
                for o in res.objects
            ]
            if source == "dense":
                hits.sort(key=lambda h: -h.score)  # re-scored by the best window
            for rank, h in enumerate(hits, 1):
                h.ranks[source] = rank
            per_tenant.append(hits)
        return self._merge(per_tenant, flt, k)

    def dense_search(
        self, vector: np.ndarray, flt: AccessFilter, k: int, *, candidates: bool = False
    ) -> list[ScoredChunk]:
        # ``candidates`` changes nothing here: Weaviate returns the properties asked for in one
        # round trip, so every hit is a full row already (see ``hydrate``).
        MetadataQuery = _wv().query.MetadataQuery
        qv = np.asarray(vector, dtype=np.float32).reshape(-1)
        vec = qv.tolist()

        def best(o: Any) -> float:
            # cosine distance in [0, 2] -> cosine similarity, comparable across tenants
            windows = window_matrix(o.properties, len(qv))
            return best_window_scores(qv, [windows])[0] if windows is not None else 1.0 - float(o.metadata.distance)

        return self._search(
            flt,
            k,
            "dense",
            lambda q, f: q.near_vector(
                near_vector=vec,
                target_vector=VECTOR_NAME,
                limit=k,
                filters=f,
                return_metadata=MetadataQuery(distance=True),
                return_properties=[*RETURN_PROPERTIES, WINDOW_PROPERTY],
            ),
            best,
        )

    def text_search(self, query: str, flt: AccessFilter, k: int, *, candidates: bool = False) -> list[ScoredChunk]:
        if not query or not query.strip():
            return []
        MetadataQuery = _wv().query.MetadataQuery
        return self._search(
            flt,
            k,
            "fulltext",
            lambda q, f: q.bm25(
                query=query,
                query_properties=SEARCH_PROPERTIES,
                limit=k,
                filters=f,
                return_metadata=MetadataQuery(score=True),
                return_properties=RETURN_PROPERTIES,
            ),
            lambda o: float(o.metadata.score or 0.0),
        )

    def hybrid_search(
        self, query: str, vector: np.ndarray, flt: AccessFilter, k: int, alpha: float | None = None
    ) -> list[ScoredChunk]:
        """Weaviate's native hybrid (relative-score fusion); alpha 1 = pure vector, 0 = pure BM25."""
        wvc = _wv()
        a = self.config.alpha if alpha is None else float(alpha)
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], got {a}")
        vec = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        return self._search(
            flt,
            k,
            "hybrid",
            lambda q, f: q.hybrid(
                query=query or None,
                vector=vec,
                alpha=a,
                query_properties=SEARCH_PROPERTIES,
                fusion_type=wvc.query.HybridFusion.RELATIVE_SCORE,
                target_vector=VECTOR_NAME,
                limit=k,
                filters=f,
                return_metadata=wvc.query.MetadataQuery(score=True),
                return_properties=RETURN_PROPERTIES,
            ),
            lambda o: float(o.metadata.score or 0.0),
        )

    def hydrate(self, hits: list[ScoredChunk], flt: AccessFilter) -> list[ScoredChunk]:
        """Hits are full rows already (re-checked by the search, and again by the retriever)."""
        return hits

    def get_chunks(self, chunk_ids: Sequence[str], flt: AccessFilter) -> list[Chunk]:
        ids = sorted({object_uuid(c) for c in chunk_ids})
        if not ids or flt.empty:
            return []
        F = _wv().query.Filter
        found: dict[str, Chunk] = {}
        for tenant_id, name in self._existing(flt.tenants):
            for start in range(0, len(ids), 1000):
                part = ids[start : start + 1000]
                res = self._handle(name).query.fetch_objects(
                    filters=F.all_of([F.by_id().contains_any(part), build_filter(tenant_id, flt)]),
                    limit=len(part),
                    return_properties=RETURN_PROPERTIES,
                )
                for o in res.objects:
                    found[str(o.uuid)] = chunk_from_properties(o.properties)
        kept = [c for c in found.values() if self._allowed(c, flt)]
        order = {object_uuid(c): i for i, c in enumerate(chunk_ids)}
        return sorted(kept, key=lambda c: order.get(object_uuid(c.chunk_id), 0))

    def _iter_tenant(self, name: str, props: list[str], with_vectors: bool, cache: int = 1000) -> Iterator[Any]:
        return iter(self._handle(name).iterator(include_vector=with_vectors, return_properties=props, cache_size=cache))

    def _tenant_names(self, tenant_id: str | None) -> list[str]:
        if tenant_id is not None:
            return [n for _, n in self._existing([tenant_id], fresh=True)]
        return sorted(self._refresh_tenants())

    def document_hashes(self, tenant_id: str | None = None) -> dict[tuple[str, str], str]:
        hashes: dict[tuple[str, str], set[str]] = defaultdict(set)
        for name in self._tenant_names(tenant_id):
            for o in self._iter_tenant(name, ["tenant_id", "doc_id", "doc_hash"], False):
                p = o.properties
                hashes[(p["tenant_id"], p["doc_id"])].add(p.get("doc_hash") or "")
        # A document whose chunks disagree (interrupted replace) gets "" so ingest rewrites it.
        return {key: (next(iter(v)) if len(v) == 1 else "") for key, v in hashes.items()}

    def list_documents(self, flt: AccessFilter | None = None) -> list[DocumentInfo]:
        """Iterate the visible tenants' chunks and keep those the rule allows (no 10k query cap)."""
        names = self._tenant_names(None) if flt is None else [n for _, n in self._existing(flt.tenants)]
        docs: dict[tuple[str, str], list[Chunk]] = defaultdict(list)
        props = [p for p in RETURN_PROPERTIES if p not in ("text", "index_text", "pii_spans")]
        for name in names:
            for o in self._iter_tenant(name, props, False):
                c = chunk_from_properties(o.properties)
                if flt is not None and not flt.allows(c):
                    continue
                docs[(c.tenant_id, c.doc_id)].append(c)
        out = []
        for (tenant_id, doc_id), cs in sorted(docs.items()):
            first = min(cs, key=lambda c: c.position)
            out.append(
                DocumentInfo(
                    doc_id=doc_id,
                    tenant_id=tenant_id,
                    title=first.title,
                    doc_type=first.doc_type,
                    access_level=max(c.access_level for c in cs),
                    version=first.version,
                    chunks=len(cs),
                    approved=all(c.approved for c in cs),
                    superseded=any(c.superseded for c in cs),
                    valid_from=first.valid_from,
                    valid_until=first.valid_until,
                    doc_hash=first.doc_hash,
                )
            )
        return out

    def count(self) -> int:
        total = 0
        for name in self._tenant_names(None):
            total += int(self._handle(name).aggregate.over_all(total_count=True).total_count or 0)
        return total

    def iter_all(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        for name in self._tenant_names(None):
            chunks: list[Chunk] = []
            vecs: list[list[float]] = []
            for o in self._iter_tenant(name, RETURN_PROPERTIES, True, cache=batch_size):
                chunks.append(chunk_from_properties(o.properties))
                v = o.vector
                vecs.append(v[VECTOR_NAME] if isinstance(v, dict) else v)
                if len(chunks) >= batch_size:
                    yield chunks, np.asarray(vecs, dtype=np.float32)
                    chunks, vecs = [], []
            if chunks:
                yield chunks, np.asarray(vecs, dtype=np.float32)

    def iter_windows(self, batch_size: int = 1000) -> Iterator[tuple[list[Chunk], list[np.ndarray]]]:
        props = [*RETURN_PROPERTIES, WINDOW_PROPERTY]
        for name in self._tenant_names(None):
            chunks: list[Chunk] = []
            wins: list[np.ndarray] = []
            for o in self._iter_tenant(name, props, True, cache=batch_size):
                chunks.append(chunk_from_properties(o.properties))
                v = o.vector
                pooled = np.asarray([v[VECTOR_NAME] if isinstance(v, dict) else v], dtype=np.float32)
                stored = window_matrix(o.properties, pooled.shape[1])
                wins.append(stored if stored is not None else pooled)
                if len(chunks) >= batch_size:
                    yield chunks, wins
                    chunks, wins = [], []
            if chunks:
                yield chunks, wins

    def drop(self) -> None:
        """Delete the whole collection (used by tests against a throwaway collection)."""
        self._client.collections.delete(self.config.collection)
        self._tenants.clear()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


def config_from_settings(settings: Any) -> WeaviateConfig:
    """Map the ``weaviate_*`` fields of ``copilot.core.settings.Settings`` (duck-typed: no upward import)."""
    return WeaviateConfig(
        host=settings.weaviate_host,
        http_port=settings.weaviate_http_port,
        grpc_host=settings.weaviate_grpc_host,
        grpc_port=settings.weaviate_grpc_port,
        secure=settings.weaviate_secure,
        api_key=settings.weaviate_api_key,
        timeout_init=settings.weaviate_timeout_init,
        timeout_query=settings.weaviate_timeout_query,
        timeout_insert=settings.weaviate_timeout_insert,
        collection=settings.weaviate_collection,
        alpha=settings.weaviate_alpha,
        replication_factor=settings.weaviate_replication_factor,
        batch_size=settings.weaviate_batch_size,
    )
