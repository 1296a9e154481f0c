"""Embedding precision: ``auto`` picks bfloat16 only where the CPU computes it natively, both
precisions give (nearly) the same vectors, and a bad setting is rejected by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from copilot.core.settings import Settings
from retrievers.embeddings import SentenceTransformerEmbedder, cpu_has_native_bf16, resolve_precision


def test_torch_still_exposes_the_cpu_checks_auto_relies_on():
    # Private torch helpers: if an upgrade drops them, ``auto`` would silently mean float32.
    assert callable(getattr(torch.cpu, "_is_avx512_bf16_supported", None))
    assert callable(getattr(torch.cpu, "_is_amx_tile_supported", None))


def test_auto_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not cpu_has_native_bf16() and resolve_precision("auto") == "float32"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert resolve_precision("auto") == "bfloat16"
    assert resolve_precision("float32") == "float32"  # an explicit choice is kept


def test_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="float16"):
        resolve_precision("float16")
    with pytest.raises(ValueError):
        Settings(embed_precision="int8")


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bfloat16")
def test_bfloat16_vectors_match_float32():
    texts = ["Which partner tier needs three certified consultants?",
             "Gold partners need at least three certified consultants and a signed partner agreement. " * 6]
    a = SentenceTransformerEmbedder(precision="float32").encode(texts)
    b = SentenceTransformerEmbedder(precision="bfloat16").encode(texts)
    assert a.dtype == b.dtype == np.float32
    cos = (a * b).sum(1)
    assert cos.min() > 0.999
    assert not np.array_equal(a, b)  # the setting really changed the arithmetic


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_direct_forward_matches_sentence_transformers_encode(precision: str) -> None:
    """Small batches skip ``SentenceTransformer.encode``'s per-call set-up; the vectors must be the
    ones it gives (same tokens, pooling and normalisation), deterministic (eval mode, no dropout)."""
    if precision == "bfloat16" and not cpu_has_native_bf16():
        pytest.skip("no native bfloat16 on this CPU")
    e = SentenceTransformerEmbedder(precision=precision)
    texts = ["notice period for termination", "Who approves a change request during hypercare?", "SLA"]
    fast = e.encode(texts)  # 3 <= batch size: the direct forward pass
    with e._autocast():
        ref = e._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert fast.shape == (3, e.dim) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (np.sum(fast * ref, axis=1) > 0.9999).all()
    assert np.array_equal(e.encode(texts), fast)
    # Above the batch size, encode() is used: same vectors either way.
    many = e.encode(texts * 3, batch_size=4)
    assert (np.sum(many[:3] * fast, axis=1) > 0.9999).all()
