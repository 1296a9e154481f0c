"""Permission-aware hybrid retrieval: dense + full-text, fused with reciprocal rank fusion.

Every search builds the principal's :class:`AccessFilter` once, hands it to the
store (pre-filter inside the query) and re-checks each fused result with the same
rule before returning it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from retrievers.access import AccessFilter, AccessViolation, Principal, access_filter
from retrievers.embeddings import Embedder, QueryVectorCache
from retrievers.query import ranking_text
from retrievers.schema import ScoredChunk
from retrievers.stores.base import Store

Mode = Literal["dense", "fulltext", "hybrid"]
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fulltext")
MODES: tuple[str, ...] = ("dense", "fulltext", "hybrid")


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[ScoredChunk], k: int) -> list[ScoredChunk]: ...


def rrf_fuse(
    ranked_lists: dict[str, list[ScoredChunk]], *, k: int = 60, weights: dict[str, float] | None = None
) -> list[ScoredChunk]:
    """Reciprocal rank fusion: score = sum_w w / (k + rank). Ties keep first-seen order."""
    weights = weights or {}
    fused: dict[str, ScoredChunk] = {}
    for name, hits in ranked_lists.items():
        w = weights.get(name, 1.0)
        for rank, hit in enumerate(hits, start=1):
            cid = hit.chunk.chunk_id
            entry = fused.get(cid)
            if entry is None:
                entry = ScoredChunk(chunk=hit.chunk, score=0.0, source="hybrid")
                fused[cid] = entry
            entry.score += w / (k + rank)
            entry.ranks[name] = rank
    return sorted(fused.values(), key=lambda h: h.score, reverse=True)


EvidenceSource = Literal["fused", "lists"]


def document_rerank(
    hits: list[ScoredChunk], *, weight: float, k: int = 20, decay: float = 0.0,
    lists: dict[str, list[ScoredChunk]] | None = None, list_weights: dict[str, float] | None = None,
) -> list[ScoredChunk]:
    """Re-rank fused candidates: each chunk's score plus ``weight / (k + rank of its document)``.

    Documents are ranked by their evidence among the candidates: without ``lists``, the decayed
    sum of their chunks' fused scores, best first (``decay`` 0: the best chunk only); with
    ``lists``, reciprocal rank fusion of each ranked list's first chunk of the document (weighted
    by ``list_weights``). Only the candidates given count, and those came from queries with the
    access filter inside them, so a document the principal cannot read never lifts or lowers one
    it can. A document rank, not a raw sum, keeps a long document's many weak chunks from
    outweighing a short one's strong chunk. Returns new hits; ties keep the fused order.
    """
    if weight <= 0 or len(hits) < 2:
        return hits
    evidence: dict[tuple[str, str], float] = {}
    if lists is not None:
        lw = list_weights or {}
        for name, ranked in lists.items():
            seen: set[tuple[str, str]] = set()
            for h in ranked:
                key = (h.chunk.tenant_id, h.chunk.doc_id)
                if key not in seen:
                    seen.add(key)
                    evidence[key] = evidence.get(key, 0.0) + lw.get(name, 1.0) / (k + len(seen))
    else:
        per_doc: dict[tuple[str, str], list[float]] = {}
        for h in hits:
            per_doc.setdefault((h.chunk.tenant_id, h.chunk.doc_id), []).append(h.score)
        for key, scores in per_doc.items():
            scores.sort(reverse=True)
            evidence[key] = sum(s * decay**i for i, s in enumerate(scores))
    order = sorted(evidence, key=lambda d: evidence[d], reverse=True)
    bonus = {d: weight / (k + rank) for rank, d in enumerate(order, start=1)}
    out = [ScoredChunk(chunk=h.chunk, score=h.score + bonus.get((h.chunk.tenant_id, h.chunk.doc_id), 0.0),
                       source=h.source, ranks=dict(h.ranks)) for h in hits]
    return sorted(out, key=lambda h: h.score, reverse=True)


@dataclass
class SearchTrace:
    """What one search did, for metrics and the audit log."""

    mode: str
    k: int
    embed_ms: float = 0.0
    dense_ms: float = 0.0
    fulltext_ms: float = 0.0
    total_ms: float = 0.0
    candidates: dict[str, int] = field(default_factory=dict)


class Retriever:
    """Hybrid retriever over one :class:`Store` for one embedding model."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        fulltext_weight: float = 1.0,
        candidates: int = 50,
        reranker: Reranker | None = None,
        native_hybrid: bool = False,
        query_cache_size: int = 4096,
        query_batch_size: int = 32,
        doc_weight: float = 0.0,
        doc_k: int = 20,
        doc_decay: float = 0.0,
        doc_source: EvidenceSource = "fused",
    ):
        self.store = store
        self.embedder = embedder
        self.query_vectors = QueryVectorCache(embedder, query_cache_size, batch_size=query_batch_size)
        self.rrf_k = rrf_k
        self.weights = {"dense": dense_weight, "fulltext": fulltext_weight}
        self.candidates = candidates
        # Document evidence in hybrid ranking (document_rerank; off at weight 0).
        self.doc_weight = doc_weight
        self.doc_k = doc_k
        self.doc_decay = doc_decay
        self.doc_source = doc_source
        self.reranker = reranker
        # Stores with their own fusion (Weaviate) can run hybrid in one query per tenant.
        self.native_hybrid = native_hybrid and callable(getattr(store, "hybrid_search", None))
        self.last_trace: SearchTrace | None = None

    def search(
        self,
        query: str,
        principal: Principal,
        *,
        k: int = 10,
        mode: Mode = "hybrid",
        doc_ids: Sequence[str] | None = None,
        now: datetime | None = None,
        rerank: bool = False,
    ) -> list[ScoredChunk]:
        """Top-k chunks the principal may see; ``doc_ids`` can only narrow the scope."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r} (expected one of {', '.join(MODES)})")
        if k <= 0 or not query.strip():
            return []
        flt = access_filter(principal, now, doc_ids)
        # Both rankers see the question without its framing; a reranker reads the question as asked.
        text = ranking_text(query)
        trace = SearchTrace(mode=mode, k=k)
        t0 = time.perf_counter()
        n_cand = max(k, self.candidates)
        lists: dict[str, list[ScoredChunk]] = {}
        if mode == "hybrid" and self.native_hybrid:
            t = time.perf_counter()
            vec = self.query_vectors.vector(text)
            trace.embed_ms = (time.perf_counter() - t) * 1000
            hits = self.store.hybrid_search(text, vec, flt, n_cand)  # type: ignore[attr-defined]
            return self._finish(query, hits, k, flt, rerank, trace, t0)
        # Candidates come without their text where the store can do that; only the ones kept are
        # read in full (``_hydrate``): at 50 candidates a side the text columns were a third of a
        # LanceDB query's CPU.
        fulltext: Future[list[ScoredChunk]] | None = None
        if mode == "hybrid":
            # The full-text query runs while the query is embedded (both release the GIL):
            # hybrid then costs about max(embed + dense, full-text), not their sum.
            fulltext = _POOL.submit(self._timed_text_search, text, flt, n_cand, trace)
        if mode in ("dense", "hybrid"):
            t = time.perf_counter()
            vec = self.query_vectors.vector(text)
            trace.embed_ms = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            lists["dense"] = self.store.dense_search(vec, flt, n_cand, candidates=True)
            trace.dense_ms = (time.perf_counter() - t) * 1000
        if fulltext is not None:
            lists["fulltext"] = fulltext.result()
        elif mode == "fulltext":
            lists["fulltext"] = self._timed_text_search(text, flt, n_cand, trace)
        trace.candidates = {name: len(hits) for name, hits in lists.items()}
        if mode == "hybrid":
            hits = rrf_fuse(lists, k=self.rrf_k, weights=self.weights)
            hits = self.document_rerank(hits, lists)
        else:
            hits = lists[mode]
            for rank, h in enumerate(hits, start=1):
                h.ranks[mode] = rank
        return self._finish(query, hits, k, flt, rerank, trace, t0)

    def document_rerank(self, fused: list[ScoredChunk], lists: dict[str, list[ScoredChunk]]) -> list[ScoredChunk]:
        """The configured document-evidence re-rank of one search's fused candidates."""
        return document_rerank(fused, weight=self.doc_weight, k=self.doc_k, decay=self.doc_decay,
                               lists=lists if self.doc_source == "lists" else None, list_weights=self.weights)

    def _timed_text_search(self, query: str, flt: AccessFilter, k: int, trace: SearchTrace) -> list[ScoredChunk]:
        t = time.perf_counter()
        hits = self.store.text_search(query, flt, k, candidates=True)
        trace.fulltext_ms = (time.perf_counter() - t) * 1000
        return hits

    def _finish(
        self, query: str, hits: list[ScoredChunk], k: int, flt: AccessFilter, rerank: bool, trace: SearchTrace,
        t0: float,
    ) -> list[ScoredChunk]:
        if rerank and self.reranker is not None:
            hits = self.reranker.rerank(query, self._hydrate(hits, max(k, self.candidates), flt), k)
        hits = self._recheck(self._hydrate(hits, k, flt), flt)
        trace.total_ms = (time.perf_counter() - t0) * 1000
        self.last_trace = trace
        return hits

    def _hydrate(self, hits: list[ScoredChunk], k: int, flt: AccessFilter) -> list[ScoredChunk]:
        """The first ``k`` hits read in full (a store's candidates carry no text); one that is gone
        or no longer visible since the search is replaced by the next candidate."""
        out: list[ScoredChunk] = []
        i = 0
        while len(out) < k and i < len(hits):
            batch = hits[i : i + k - len(out)]
            i += len(batch)
            out += self.store.hydrate(batch, flt)
        return out

    @staticmethod
    def _recheck(hits: list[ScoredChunk], flt: AccessFilter) -> list[ScoredChunk]:
        """Defence in depth: the store already filtered; a violation here is a backend bug."""
        for h in hits:
            if not flt.allows(h.chunk):
                raise AccessViolation(f"retriever produced a chunk outside the access filter: {h.chunk.chunk_id}")
        return hits
