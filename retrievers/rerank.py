"""Optional cross-encoder rerank stage over the fused candidates.

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

from retrievers.schema import ScoredChunk


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


def load_reranker(model_path: str | None) -> CrossEncoderReranker | None:
    """The configured reranker, or None when no model path is set."""
    return CrossEncoderReranker(model_path) if model_path else None
