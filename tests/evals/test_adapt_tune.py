"""Tuning the packaged model on document pairs: the tuned copy is saved, loads as an embedder, and
pulls each heading toward its own section (the objective works on the real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.adapt import AdaptConfig, Pair, fine_tune
from retrievers.embeddings import SentenceTransformerEmbedder, default_model_path

PAIRS = [
    Pair("Orbit > Rotating the signing keys", "run keyctl rotate then restart the gateway pods", "heading", "a"),
    Pair("Orbit > Backing up the ledger", "copy the ledger volume snapshot to cold storage nightly", "heading", "b"),
    Pair("Orbit > Tuning the scheduler", "raise worker slots and lower the queue poll interval", "heading", "c"),
    Pair("Orbit > Enabling audit trails", "set audit.enabled and choose a retention in days", "heading", "d"),
]


def _margin(emb: SentenceTransformerEmbedder) -> float:
    """Mean (own passage − best other passage) cosine over the pairs."""
    q = emb.encode([p.query for p in PAIRS])
    d = emb.encode([p.passage for p in PAIRS])
    sims = q @ d.T
    own = np.diag(sims)
    other = np.where(np.eye(len(PAIRS), dtype=bool), -np.inf, sims).max(axis=1)
    return float(np.mean(own - other))


def test_tuned_copy_loads_and_separates_sections(tmp_path: Path) -> None:
    out = tmp_path / "adapted"
    stats = fine_tune(default_model_path(), PAIRS, out,
                      AdaptConfig(epochs=8, lr=1e-4, batch_size=4, warmup=0.0, seed=1))
    assert stats["steps"] == 8
    base = SentenceTransformerEmbedder(None, precision="float32")
    tuned = SentenceTransformerEmbedder(str(out), precision="float32")
    assert tuned.dim == base.dim
    before, after = _margin(base), _margin(tuned)
    assert after > before + 0.05, (before, after)
