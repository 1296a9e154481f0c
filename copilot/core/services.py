"""Wiring: build the store, embedder, retriever and ingestor from Settings.

One place decides which backend and models the service uses, so the API, the
CLI and the benchmarks all run the same components.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from copilot.core.offline import force_offline
from copilot.core.settings import Settings
from retrievers.embeddings import Embedder, get_embedder, model_lexicon
from retrievers.query import MentionScoper
from retrievers.rerank import load_reranker
from retrievers.retriever import Retriever
from retrievers.stores.base import Store


def build_store(settings: Settings, dim: int = 384) -> Store:
    """The configured index backend (``COPILOT_STORE``)."""
    if settings.store == "lancedb":
        from retrievers.stores.lancedb import LanceDBStore

        return LanceDBStore(settings.index_dir, dim=dim, ann_min_rows=settings.ann_min_rows,
                            ann_nprobes=settings.ann_nprobes, ann_refine_factor=settings.ann_refine_factor,
                            read_consistency_s=settings.index_read_consistency_s,
                            mirror_max_rows=settings.index_mirror_max_rows)
    if settings.store == "weaviate":
        from retrievers.stores.weaviate import WeaviateStore, config_from_settings

        return WeaviateStore.connect(config_from_settings(settings))
    raise ValueError(f"store backend {settings.store!r} is not available")


def build_detector(settings: Settings) -> Any | None:
    if not settings.pii_detection:
        return None
    from guardrails.pii import PiiDetector, get_detector

    if settings.pii_allow_terms:
        return PiiDetector(allow_terms=settings.pii_allow_terms)
    return get_detector()


def build_ingestor(settings: Settings, store: Store, embedder: Embedder, detector: Any | None = None, *,
                   ledger: bool = True):
    from guardrails.injection import screen
    from guardrails.redaction import mask_for_index
    from ingestion.pipeline import Ingestor
    from ingestion.sources import SourceLedger

    return Ingestor(
        store,
        embedder,
        detector=detector,
        screen=lambda text: screen(text).flagged,
        mask=mask_for_index,
        strict_pii=settings.pii_strict,
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
        chunk_tokens=settings.chunk_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
        embed_batch=settings.embed_batch_size,
        # Without a ledger (the upload worker process, which writes nothing) claims go nowhere.
        ledger=SourceLedger(settings.index_dir / "sources.json" if ledger else None),
        archive_limits=archive_limits(settings),
    )


def archive_limits(settings: Settings):
    from ingestion.parsing import ArchiveLimits

    return ArchiveLimits(
        max_expanded_bytes=int(settings.archive_max_expanded_mb * 1024 * 1024),
        max_entries=settings.archive_max_entries, max_ratio=settings.archive_max_ratio,
    )


@dataclass
class Services:
    """Long-lived components of one running copilot."""

    settings: Settings
    store: Store
    embedder: Embedder
    retriever: Retriever
    scoper: MentionScoper = None  # type: ignore[assignment]  # set in __post_init__
    _detector: Any | None = None
    _ingestor: Any | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.scoper is None:
            self.scoper = MentionScoper(self.store, min_scope_score=self.settings.query_scope_min_score,
                                        lexicon=model_lexicon(self.embedder))

    @property
    def detector(self) -> Any | None:
        with self._lock:
            if self._detector is None and self.settings.pii_detection:
                self._detector = build_detector(self.settings)
            return self._detector

    @property
    def ingestor(self):
        if self._ingestor is None:
            self._ingestor = build_ingestor(self.settings, self.store, self.embedder, self.detector)
        return self._ingestor

    def upload_ingestor(self):
        """An ingestor with its own embedding model instance, for upload jobs in a serving process.

        Queries keep the shared model to themselves: an upload only competes for CPU, never for
        the model's lock (about 90 MB more memory for the second copy of MiniLM).
        """
        from retrievers.embeddings import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(
            self.settings.embed_model_path,
            threads=self.settings.torch_threads,
            precision=self.settings.embed_precision,
        )
        return build_ingestor(self.settings, self.store, embedder, self.detector)


    def upload_writer(self):
        """The ingestor of upload jobs whose CPU work runs in the worker process
        (``copilot/core/upload_process.py``): here it only checks and writes, so it shares the
        serving model, which only names the embedding in document hashes."""
        return build_ingestor(self.settings, self.store, self.embedder, self.detector)


def build_services(settings: Settings) -> Services:
    force_offline()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedder = get_embedder(
        settings.embed_model_path, threads=settings.torch_threads, precision=settings.embed_precision,
        query_backend=settings.embed_query_backend, cache_dir=settings.models_dir,
    )
    store = build_store(settings, dim=embedder.dim)
    retriever = Retriever(
        store,
        embedder,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        fulltext_weight=settings.fulltext_weight,
        doc_weight=settings.doc_evidence_weight,
        doc_k=settings.doc_evidence_k,
        doc_decay=settings.doc_evidence_decay,
        doc_source=settings.doc_evidence_source,
        candidates=settings.candidates,
        native_hybrid=settings.store == "weaviate",
        # Always present; used when a request runs with rerank (settings.rerank, evals' rerank mode).
        reranker=load_reranker(settings.rerank_model_path, embedder),
        query_cache_size=settings.query_cache_size,
        query_batch_size=settings.query_batch_size,
    )
    return Services(settings=settings, store=store, embedder=embedder, retriever=retriever)
