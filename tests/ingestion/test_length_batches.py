"""Texts encoded ahead of an upload's end are batched by length: a chunk's short last window is
not padded up to the full windows of its neighbours, and no vector moves beyond float rounding."""

from __future__ import annotations

import numpy as np

from ingestion.pipeline import BATCH_LENGTH_SHARE, _AheadEncoder, length_batches


def _windows(n_chunks: int) -> list[str]:
    """Per chunk, three full windows and a short last one, in the order the upload path sends them."""
    out = []
    for c in range(n_chunks):
        out += [f"chunk {c} window {w} " + "reconcile the ledger against the legacy balances " * 5 for w in range(3)]
        out.append(f"chunk {c} tail " + "notify the steering group " * (1 + c % 3))
    return out


def test_a_batch_never_pads_a_short_text_up_to_a_long_one():
    texts = _windows(5)
    batches = length_batches(texts, batch_size=64)
    assert sorted(t for b in batches for t in b) == sorted(texts)  # every text once
    for b in batches:
        assert min(map(len, b)) >= BATCH_LENGTH_SHARE * max(map(len, b))
    # arrival order would have put all 20 in one batch padded to the longest
    assert len(batches) > 1


def test_texts_of_one_length_keep_full_batches():
    texts = [f"window {i:03d} " + "word " * 40 for i in range(70)]
    assert [len(b) for b in length_batches(texts, batch_size=32)] == [32, 32, 6]
    assert length_batches([], batch_size=8) == []


def test_vectors_encoded_ahead_match_one_text_at_a_time(embedder):
    texts = _windows(3)
    ahead = _AheadEncoder(embedder, batch_size=64)
    try:
        ahead.submit(texts)
        got = ahead.results()
    finally:
        ahead.close()
    alone = {t: embedder.encode([t])[0] for t in texts}
    assert set(got) == set(texts)
    assert all(np.allclose(got[t], alone[t], atol=1e-5) for t in texts)
