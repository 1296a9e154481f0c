"""Optional rerank stages over the fused candidates.

:class:`SentenceReranker` needs no extra model: the embedding model scores every sentence of
the first few candidates and a chunk's best sentence adds one reciprocal-rank vote next to
the first stage's dense and full-text ranks. A long chunk's single vector averages everything it says; one
sentence that states the clause asked about is a sharper signal (late interaction at
sentence grain). Sentence vectors are cached, so chunks read again cost nothing.

No cross-encoder model ships as a PyPI package (the package lists only hold rerank
libraries that download weights at run time), so the stage loads any local
sentence-transformers ``CrossEncoder`` folder the operator provides
(``COPILOT_RERANK_MODEL_PATH``). Nothing is downloaded: the hub is switched off and a
missing or unreadable path is a clear error at start-up, not at the first query.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from guardrails.text import split_sentences
from retrievers.embeddings import Embedder, SentenceVectors
from retrievers.query import ranking_text
from retrievers.schema import ScoredChunk

MIN_SENTENCE_CHARS = 25


class RerankerError(RuntimeError):
    """The rerank model could not be loaded."""


class CrossEncoderReranker:
    """Scores (query, chunk) pairs with a local cross-encoder and reorders the candidates."""

    def __init__(self, model_path: str | Path, *, max_length: int = 512, batch_size: int = 32, threads: int | None = 1):
        path = Path(model_path)
        if not path.is_dir():
            raise RerankerError(f"rerank model folder not found: {path}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import CrossEncoder

        if threads:
            torch.set_num_threads(threads)
        try:
            self._model = CrossEncoder(str(path), device="cpu", max_length=max_length, local_files_only=True)
        except Exception as exc:  # transformers raises many types for a wrong folder
            raise RerankerError(f"cannot load a cross-encoder from {path}: {type(exc).__name__}: {exc}") from None
        self.name = path.name
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def scores(self, query: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        with self._lock:
            out = self._model.predict(
                [(query, t) for t in texts], batch_size=self.batch_size, show_progress_bar=False,
                convert_to_numpy=True,
            )
        return [float(x) for x in (out.reshape(len(texts), -1)[:, -1] if out.ndim > 1 else out)]

    def rerank(self, query: str, hits: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        """Top-k of ``hits`` by cross-encoder score; ties keep the fused order. Never adds chunks."""
        if not hits:
            return []
        # Score the redacted index text: the same text the other rankers saw.
        scores = self.scores(query, [h.chunk.index_text for h in hits])
        order = sorted(range(len(hits)), key=lambda i: (-scores[i], i))[:k]
        out = []
        for rank, i in enumerate(order, start=1):
            h = hits[i]
            ranks = dict(h.ranks)
            ranks["rerank"] = rank
            out.append(ScoredChunk(chunk=h.chunk, score=scores[i], source="rerank", ranks=ranks))
        return out


class SentenceReranker:
    """Reorders the first ``candidates`` hits by their best sentence, fused with the first stage."""

    name = "sentence-maxsim"

    def __init__(
        self, embedder: Embedder, *, candidates: int = 10, rrf_k: int = 60, vectors: SentenceVectors | None = None
    ):
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.vectors = vectors or SentenceVectors(embedder, max_items=100_000)

    @staticmethod
    def sentences(text: str) -> list[str]:
        """The sentences a chunk is scored by (the whole text when it has none long enough)."""
        out = [" ".join(s.split()) for s in split_sentences(text)]
        out = [s for s in out if len(s) >= MIN_SENTENCE_CHARS]
        return out or [" ".join(text.split())[:1000]]

    def rerank(self, query: str, hits: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        """Top-k: the first ``candidates`` reordered, the rest in first-stage order. Never adds chunks."""
        if not hits:
            return []
        head, tail = hits[: self.candidates], hits[self.candidates :]
        # Redacted index text: personal data never reaches the model here either.
        per_chunk = [self.sentences(h.chunk.index_text) for h in head]
        flat = [s for ss in per_chunk for s in ss]
        vecs, qv = self.vectors.get(flat, extra=[ranking_text(query)])
        sims = vecs @ qv[0]
        best: list[float] = []
        offset = 0
        for ss in per_chunk:
            best.append(float(sims[offset : offset + len(ss)].max()))
            offset += len(ss)
        by_sentence = sorted(range(len(head)), key=lambda i: (-best[i], i))
        sentence_rank = {i: r for r, i in enumerate(by_sentence, start=1)}
        # The sentence ranking joins the first-stage rankings as one more reciprocal-rank vote
        # (dense and full-text each keep theirs; a store's own fusion counts as one list).
        def first_stage(i: int) -> float:
            ranks = [r for name, r in head[i].ranks.items() if name in ("dense", "fulltext")]
            return sum(1 / (self.rrf_k + r) for r in ranks) if ranks else 1 / (self.rrf_k + i + 1)

        fused = sorted(
            range(len(head)), key=lambda i: (-(first_stage(i) + 1 / (self.rrf_k + sentence_rank[i])), i)
        )
        out = []
        for i in fused:
            h = head[i]
            ranks = dict(h.ranks)
            ranks["sentence"] = sentence_rank[i]
            out.append(ScoredChunk(chunk=h.chunk, score=best[i], source="rerank", ranks=ranks))
        return (out + tail)[:k]


def load_reranker(
    model_path: str | None, embedder: Embedder | None = None
) -> CrossEncoderReranker | SentenceReranker | None:
    """The configured reranker: a local cross-encoder when a model path is set, else the
    sentence-level reranker over the embedding model (when one is given), else None."""
    if model_path:
        return CrossEncoderReranker(model_path)
    return SentenceReranker(embedder) if embedder is not None else None
