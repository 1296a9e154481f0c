"""Chunks longer than the model's window: embedded as sub-windows, never silently truncated."""

from __future__ import annotations

import numpy as np
import pytest

from ingestion.manifest import DocumentTags
from ingestion.pipeline import Ingestor, embed_text, embed_windows, pool_windows, vectors_for
from retrievers.access import AccessLevel
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore

FILLER = (
    "The Supplier shall deliver the Products in accordance with the delivery schedule agreed in writing, "
    "and the Customer shall inspect each delivery within ten business days of receipt. "
)
# A clause that sits at the end of a long chunk: with truncation the dense side never saw it.
TAIL = "Neither party shall solicit or hire the employees of the other party during the term and for one year after."


def long_chunk(body: str) -> Chunk:
    return Chunk(chunk_id=chunk_uuid("t", "d", "1", 0), doc_id="d", tenant_id="t", access_level=AccessLevel.PARTNER,
                 doc_type="contract", title="Supply Agreement", version="1", position=0, text=body,
                 index_text=body, section_path=["12. Miscellaneous"])


def test_short_chunk_is_one_window(embedder):
    c = long_chunk("Payment is due within thirty days of the invoice date.")
    assert embed_windows(c, embedder) == [embed_text(c)]


def test_long_chunk_windows_fit_the_model_and_cover_every_word(embedder):
    body = FILLER * 12 + TAIL
    c = long_chunk(body)
    assert embedder.count_tokens(embed_text(c)) > embedder.max_tokens  # would be truncated
    windows = embed_windows(c, embedder)
    assert len(windows) >= 2
    head = "Supply Agreement > 12. Miscellaneous\n"
    for w in windows:
        assert w.startswith(head)
        assert embedder.count_tokens(w) <= embedder.max_tokens
    covered = " ".join(w[len(head):] for w in windows).split()
    assert set(body.split()) <= set(covered)
    assert windows[-1].endswith(TAIL)


def test_pool_windows_is_the_normalised_mean():
    v = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    pooled = pool_windows(v, [2, 1])
    assert np.allclose(pooled[0], np.array([1, 1]) / np.sqrt(2))
    assert np.allclose(pooled[1], [0.6, 0.8])
    assert pool_windows(v, [1, 1, 1]) is v


def test_long_chunks_are_ingested_with_pooled_vectors_and_the_tail_is_findable(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    ing = Ingestor(store, embedder, chunk_tokens=480, overlap_tokens=64)
    doc = "# Supply Agreement\n\n## 12. Miscellaneous\n\n" + FILLER * 12 + TAIL + "\n"
    tags = DocumentTags(tenant_id="alder", access_level="partner", doc_type="contract", title="Supply Agreement")
    out = ing.ingest_bytes(doc.encode(), "contracts/supply.md", tags)
    assert out.status == "written"
    chunks, vecs = next(store.iter_all())
    assert max(embedder.count_tokens(c.text) for c in chunks) > embedder.max_tokens  # longer than the window
    assert np.allclose(vecs, vectors_for(embedder, chunks), atol=1e-5)  # the same pooling as re-embedding tools
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    # The clause at the end of the chunk counts in its vector; a truncated encoding never saw it.
    q = embedder.encode(["Neither party may solicit or hire the other party's employees for a year after the term."])[0]
    last = max(chunks, key=lambda c: c.char_end)
    stored = vecs[[c.chunk_id for c in chunks].index(last.chunk_id)]
    truncated = embedder.encode([embed_text(last)])[0]
    assert TAIL in last.text
    assert float(stored @ q) > float(truncated @ q) + 0.01  # equal if the tail were cut off


@pytest.mark.parametrize("tokens", [200, 480])
def test_chunk_size_setting_is_part_of_the_document_hash(tmp_path, embedder, tokens):
    store = LanceDBStore(tmp_path / f"i{tokens}", dim=embedder.dim)
    a = Ingestor(store, embedder, chunk_tokens=tokens)
    b = Ingestor(store, embedder, chunk_tokens=tokens + 100)
    tags = DocumentTags(tenant_id="alder", access_level="partner", doc_type="contract")
    assert a._doc_hash(b"x", tags, False) != b._doc_hash(b"x", tags, False)
