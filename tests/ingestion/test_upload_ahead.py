"""A long upload is embedded while PII detection is still running, and the result is exactly the
one of the sequential path: same chunks, masks, spans and vectors (real detector, model, store)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from guardrails.redaction import mask_for_index
from guardrails.spans import PiiSpan
from ingestion import pipeline
from ingestion.manifest import DocumentTags
from ingestion.pipeline import Ingestor, settled_before
from ingestion.sources import SourceLedger
from retrievers.stores.lancedb import LanceDBStore

TAGS = DocumentTags.model_validate({"tenant_id": "alder", "access_level": "partner", "doc_type": "playbook"})


@pytest.fixture(scope="module")
def detector():
    from guardrails.pii import get_detector

    return get_detector()


class RecordingEmbedder:
    """The real model; records which thread encoded which texts."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.batch_size = 16
        self.calls: list[tuple[str, list[str]]] = []

    def encode(self, texts, batch_size=None):
        self.calls.append((threading.current_thread().name, list(texts)))
        return self.inner.encode(texts, batch_size=batch_size)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def long_document() -> bytes:
    """Sections with personal data everywhere, including headings and window boundaries."""
    people = ["Jane Roe", "Marta Kowalska", "Oskar Lindqvist", "Priya Raman"]
    parts = ["# Hypercare runbook for Jane Roe\n"]
    for i in range(40):
        who = people[i % len(people)]
        parts.append(f"## Step {i} owned by {who}\n")
        parts.append(
            f"During cutover wave {i} the consultant checks the ledger balances and the open invoices. "
            f"Escalations go to {who} at {who.split()[0].lower()}.{i}@example.com or +44 20 7946 {i:04d}. "
            "The warehouse team confirms stock counts before the approval workflow is released again.\n"
        )
    return "\n".join(parts).encode()


def snapshot(store: LanceDBStore) -> dict:
    out = {}
    for chunks, vecs in store.iter_all():
        for c, v in zip(chunks, vecs, strict=True):
            out[c.position] = (c.text, c.index_text, c.title, tuple(c.section_path), c.char_start, c.char_end,
                               tuple((s.entity_type, s.start, s.end) for s in c.pii_spans), np.asarray(v))
    return out


def test_ahead_embedding_equals_the_sequential_path(tmp_path, embedder, detector, monkeypatch):
    monkeypatch.setattr(pipeline, "PII_WINDOW_CHARS", 3_000)  # a dozen windows
    data = long_document()
    rec = RecordingEmbedder(embedder)
    ahead = Ingestor(LanceDBStore(tmp_path / "a"), rec, detector=detector, mask=mask_for_index,
                     ledger=SourceLedger(None), embed_batch=16)
    assert ahead.ingest_bytes(data, "uploads/partner/runbook.md", TAGS).status == "written"

    # The sequential reference: the same stages one after the other (batch ingest's path).
    seq = Ingestor(LanceDBStore(tmp_path / "b"), embedder, detector=detector, mask=mask_for_index,
                   ledger=SourceLedger(None), embed_batch=16)
    parsed = pipeline.parse_bytes(data, "runbook.md")
    pii = seq._detect([parsed])[0]
    prepared = seq._prepare("uploads/partner/runbook.md", data, TAGS, superseded=False, doc_hash="x",
                            parsed=parsed, pii=pii)
    seq._write([prepared], pipeline.IngestReport())

    got, want = snapshot(ahead.store), snapshot(seq.store)
    assert got.keys() == want.keys() and len(got) > 10
    masked = 0
    for pos in want:
        assert got[pos][:7] == want[pos][:7], pos
        assert np.allclose(got[pos][7], want[pos][7], atol=1e-5), pos
        masked += got[pos][1] != got[pos][0]
    assert masked > 10  # the document's personal data was found and masked

    # Most of the encoding happened on the worker thread, during detection.
    ahead_texts = sum(len(t) for name, t in rec.calls if name.startswith("ingest-ahead"))
    final_texts = sum(len(t) for name, t in rec.calls if not name.startswith("ingest-ahead"))
    assert ahead_texts >= 0.8 * len(got) and final_texts < ahead_texts


def test_settled_before_holds_back_groups_reaching_the_next_window():
    def sp(a: int, b: int) -> PiiSpan:
        return PiiSpan("PERSON", a, b, 0.9)

    assert settled_before([], 100) == 100
    assert settled_before([sp(10, 20), sp(40, 60)], 100) == 100
    # a span crossing the next window's start may still merge with what that window finds
    assert settled_before([sp(10, 20), sp(90, 110)], 100) == 90
    # ... and so may every span overlapping it, transitively
    assert settled_before([sp(10, 20), sp(80, 95), sp(92, 105)], 100) == 80
    # a span ending exactly at the next start does not overlap what starts there
    assert settled_before([sp(80, 100)], 100) == 100


def test_a_failing_detector_fails_the_upload_and_writes_nothing(tmp_path, embedder, detector, monkeypatch):
    monkeypatch.setattr(pipeline, "PII_WINDOW_CHARS", 3_000)
    calls = {"n": 0}
    real = detector.detect_batch

    def flaky(texts, batch_size=32, contexts=None):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("spaCy ran out of memory")
        return real(texts, batch_size=batch_size, contexts=contexts)

    monkeypatch.setattr(detector, "detect_batch", flaky)
    store = LanceDBStore(tmp_path / "idx")
    ing = Ingestor(store, embedder, detector=detector, mask=mask_for_index, ledger=SourceLedger(None))
    with pytest.raises(RuntimeError):
        ing.ingest_bytes(long_document(), "uploads/partner/runbook.md", TAGS)
    assert store.count() == 0  # nothing half-written, the worker thread is gone
    assert not [t for t in threading.enumerate() if t.name.startswith("ingest-ahead")]
