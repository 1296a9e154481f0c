"""The ONNX query encoder: same vectors as the torch model, an export cache that is reused and
rebuilt when damaged, and the torch path whenever the backend is off or onnxruntime is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from copilot.core.settings import Settings
from retrievers import onnx_encoder
from retrievers.embeddings import QueryBatcher, SentenceTransformerEmbedder, default_model_path

pytestmark = pytest.mark.slow  # exports the real model (several seconds)

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "demo"


def _real_texts() -> list[str]:
    """Questions of the demo eval set and passages of its corpus, short and long (truncated)."""
    rows = [json.loads(line) for line in (DEMO / "evalset.jsonl").read_text(encoding="utf-8").splitlines() if line]
    questions = [r["question"] for r in rows[:40]]
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(DEMO.rglob("*.md"))).split()
    passages = [" ".join(words[i : i + 150]) for i in range(0, 150 * 12, 150)]
    return questions + passages + ["  padded with spaces  ", "x " * 600]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(precision="float32")


@pytest.fixture(scope="module")
def reference(torch_model) -> tuple[list[str], np.ndarray]:
    texts = _real_texts()
    return texts, torch_model.encode(texts)


@pytest.mark.parametrize(("variant", "min_cos", "mean_cos"), [("float32", 0.9999, 0.99999), ("int8", 0.98, 0.99)])
def test_onnx_vectors_agree_with_the_torch_model(torch_model, reference, cache_dir, variant, min_cos, mean_cos):
    texts, ref = reference
    enc = onnx_encoder.load_query_encoder(default_model_path(), cache_dir, variant,
                                          transformer=torch_model._model[0].auto_model)
    # One at a time (a lone query) and as one padded batch (coalesced queries) give the same vectors.
    one = np.vstack([enc.encode([t]) for t in texts])
    batch = enc.encode(texts)
    assert one.shape == ref.shape and one.dtype == np.float32
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-4)  # L2-normalised like the model
    # int8 quantises activations with one scale per batch, so batch-mates move a vector slightly.
    assert (one * batch).sum(1).min() >= (0.99999 if variant == "float32" else min_cos)
    cos = (one * ref).sum(1)
    assert cos.min() >= min_cos and cos.mean() >= mean_cos, (cos.min(), cos.mean())
    # Negative guard: the agreement is not trivial; a different text is far from each reference.
    assert float((one[0] * ref[1]).sum()) < 0.9


def test_second_start_reuses_the_export(torch_model, cache_dir, monkeypatch):
    first = onnx_encoder.ensure_export(default_model_path(), cache_dir, "float32", torch_model._model[0].auto_model)
    mtime = first.stat().st_mtime_ns

    def no_export(*_a, **_k):
        raise AssertionError("a valid cached export was exported again")

    monkeypatch.setattr(onnx_encoder, "_export", no_export)
    again = onnx_encoder.ensure_export(default_model_path(), cache_dir, "float32", torch_model._model[0].auto_model)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert first.name.startswith(onnx_encoder.model_digest(default_model_path())[:24])  # keyed by the model


def test_a_corrupt_cached_file_is_rebuilt(torch_model, cache_dir, tmp_path):
    import shutil

    model = torch_model._model[0].auto_model
    # A valid cache to start from: the module's export (made above, or here), copied with its hash.
    made = onnx_encoder.ensure_export(default_model_path(), cache_dir, "float32", model)
    for f in cache_dir.glob(made.stem + ".*"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / made.name
    assert onnx_encoder._cached(path)
    assert onnx_encoder.ensure_export(default_model_path(), tmp_path, "float32", model) == path
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # a write cut short
    rebuilt = onnx_encoder.ensure_export(default_model_path(), tmp_path, "float32", model)
    assert rebuilt == path and rebuilt.stat().st_size == len(good)
    enc = onnx_encoder.OnnxQueryEncoder(rebuilt, Path(default_model_path()) / "tokenizer.json")
    assert enc.encode(["notice period"]).shape == (1, 384)
    # Without its hash file the export is not trusted either.
    path.with_suffix(".sha256").unlink()
    assert not onnx_encoder._cached(path)


def test_embedder_routes_queries_to_onnx_and_passages_to_torch(cache_dir):
    e = SentenceTransformerEmbedder(precision="float32", query_backend="onnx", cache_dir=cache_dir)
    assert e.query_backend == "onnx" and e._query_encoder is not None
    seen: list[list[str]] = []
    real = e._query_encoder.encode
    e._query_encoder.encode = lambda texts: seen.append(list(texts)) or real(texts)  # type: ignore[method-assign]
    q = QueryBatcher(e).encode("Who approves a change request?")
    assert seen == [["Who approves a change request?"]]
    e.encode(["a passage is encoded by torch"])
    assert len(seen) == 1
    assert float(q @ e.encode(["Who approves a change request?"])[0]) > 0.9999


def test_torch_backend_keeps_queries_on_torch():
    e = SentenceTransformerEmbedder(precision="float32", query_backend="torch")
    assert e.query_backend == "torch" and e._query_encoder is None
    v = e.encode_queries(["termination notice"])
    assert np.array_equal(v, e.encode(["termination notice"]))


def test_missing_onnxruntime_falls_back_to_torch(monkeypatch, tmp_path, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    e = SentenceTransformerEmbedder(precision="float32", query_backend="onnx", cache_dir=tmp_path)
    assert e.query_backend == "torch" and e._query_encoder is None
    assert "queries use the torch model" in caplog.text
    assert e.encode_queries(["x"]).shape == (1, 384)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="query backend"):
        SentenceTransformerEmbedder(query_backend="tensorrt")
    with pytest.raises(ValueError):
        Settings(embed_query_backend="tensorrt")
    assert Settings().models_dir == Settings().data_dir / "models"


def test_export_command_writes_into_the_data_dir_and_reuses_it(cache_dir, tmp_path, monkeypatch):
    import contextlib
    import io
    import shutil

    from copilot.cli import main

    monkeypatch.delenv("COPILOT_EMBED_QUERY_BACKEND", raising=False)
    models = tmp_path / "models"
    models.mkdir()
    for f in cache_dir.glob("*-float32-*"):  # the export made above: the command must reuse it
        shutil.copy(f, models / f.name)
    monkeypatch.setattr(onnx_encoder, "_export", lambda *a, **k: (_ for _ in ()).throw(AssertionError("re-export")))

    def run(args: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        return code, out.getvalue(), err.getvalue()

    code, out, err = run(["export-encoder", "--data-dir", str(tmp_path)])
    assert code == 0, err
    assert str(models) in out and "-float32-" in out
    code, _, err = run(["export-encoder", "--data-dir", str(tmp_path), "--variant", "int4"])
    assert code != 0 and "--variant" in err
