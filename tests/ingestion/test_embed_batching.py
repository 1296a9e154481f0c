"""How ingest feeds the model: texts of similar length share a batch (less padding, same vectors),
and corpus ingest hands the model its first group as soon as it fills one model batch of windows
(real model, parser and store)."""

from __future__ import annotations

import random

import numpy as np

from ingestion import pipeline
from ingestion.pipeline import Ingestor, embed_chunks
from ingestion.sources import SourceLedger
from retrievers.stores.lancedb import LanceDBStore

WORDS = ["ledger", "invoice", "approval", "cutover", "balance", "warehouse", "consultant", "escalation", "release",
         "freeze", "master", "data", "migration", "wave", "tier", "partner", "delivery", "contract", "retention",
         "access", "policy", "stock", "count"]


class RecordingEmbedder:
    """The real model; records the texts of every encode call."""

    def __init__(self, inner, batch_size: int = 4):
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.batch_size = batch_size
        self.calls: list[list[str]] = []

    def encode(self, texts, batch_size=None):
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size=batch_size)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def test_batches_hold_texts_of_similar_length_and_vectors_are_unchanged(embedder):
    rng = random.Random(5)
    # Per chunk: full windows and a short last one, as embed_windows makes them.
    windows = [[_text(rng, 120), _text(rng, 120), _text(rng, 8 + i)] for i in range(4)]
    rec = RecordingEmbedder(embedder)
    vecs = embed_chunks(rec, windows, batch_size=4)
    assert len(rec.calls) == 3
    lengths = [len(t) for call in rec.calls for t in call]
    assert lengths == sorted(lengths)  # short last windows together, not padded to full ones
    # Same vectors as each chunk's windows encoded on their own, in chunk order.
    for w, v in zip(windows, vecs, strict=True):
        alone = np.asarray(embedder.encode(w), dtype=np.float32)
        assert v.shape == alone.shape
        assert all(float(np.dot(a, b)) > 0.9999 for a, b in zip(alone, v, strict=True))


def test_corpus_ingest_starts_the_model_after_one_batch_of_windows(tmp_path, embedder, monkeypatch):
    rng = random.Random(9)
    root = tmp_path / "corpus"
    (root / "docs").mkdir(parents=True)
    (root / "manifest.yaml").write_text(
        "documents:\n  - path: \"docs/*\"\n    tenant_id: alder\n    access_level: partner\n    doc_type: playbook\n")
    for i in range(8):
        # One chunk per file, longer than the model's window: several windows each.
        (root / f"docs/runbook-{i:02d}.md").write_text(f"# Runbook {i}\n\n{_text(rng, 380)}\n")
    groups: list[int] = []
    real = pipeline.embed_chunks

    def recording(embedder_, windows, *args, **kwargs):
        groups.append(sum(len(w) for w in windows))
        return real(embedder_, windows, *args, **kwargs)

    monkeypatch.setattr(pipeline, "embed_chunks", recording)
    ing = Ingestor(LanceDBStore(tmp_path / "index"), embedder, ledger=SourceLedger(None), embed_batch=8,
                   chunk_tokens=640)
    report = ing.ingest_corpus(root, progress=False)
    assert report.documents_written == 8 and report.chunks_written == 8 and sum(groups) >= 16
    # Files are parsed four at a time before the model has work; with several windows per chunk
    # the first four files already fill a batch of 8, so the model starts then (counting chunks,
    # it waited for 8 files).
    assert 8 <= groups[0] < 16
