"""`copilot reindex` between two real LanceDB indexes (the Weaviate direction runs only live)."""

from __future__ import annotations

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from copilot.cli.commands import reindex as reindex_mod
from retrievers.access import AccessLevel
from retrievers.stores.lancedb import LanceDBStore
from tests.contract.store_contract import chunk, flt

DIM = 384


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:  # keeps "reindex" a sub-command as in the real CLI
        pass

    reindex_mod.register(app)
    return app


def _source(path, n: int = 300) -> tuple[LanceDBStore, list, np.ndarray]:
    rng = np.random.default_rng(11)
    tenants = ["acme", "globex", "shared"]
    cs = [
        chunk(
            f"doc{i % 40}.md",
            i,
            tenant=tenants[i % 3],
            level=AccessLevel(i % 4),
            text=f"cutover step {i} ledger",
        )
        for i in range(n)
    ]
    vs = rng.normal(size=(n, DIM)).astype(np.float32)
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    store = LanceDBStore(path / "index", dim=DIM)
    store.upsert(cs, vs)
    return store, cs, vs


def test_lancedb_to_lancedb_moves_every_chunk_and_vector(tmp_path):
    src, cs, vs = _source(tmp_path / "src")
    src.close()
    result = CliRunner().invoke(
        _app(),
        ["reindex", "--from", "lancedb", "--to", "lancedb", "--data-dir", str(tmp_path / "src"),
         "--to-data-dir", str(tmp_path / "dst"), "--batch-size", "64", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "moved 300 chunks" in result.output and "target 300" in result.output
    dst = LanceDBStore(tmp_path / "dst" / "index", dim=DIM)
    assert dst.count() == 300
    got = {c.chunk_id: (c, v) for batch, vecs in dst.iter_all() for c, v in zip(batch, vecs, strict=True)}
    for c, v in zip(cs, vs, strict=True):
        assert got[c.chunk_id][0] == c
        np.testing.assert_array_equal(got[c.chunk_id][1], v)
    # Same answers from the copy, with the access rule intact (full-text index built by optimize()).
    src = LanceDBStore(tmp_path / "src" / "index", dim=DIM)
    for f in (flt("acme", AccessLevel.PARTNER), flt("globex", AccessLevel.RESTRICTED)):
        assert [h.chunk.chunk_id for h in dst.dense_search(vs[5], f, 10)] == [
            h.chunk.chunk_id for h in src.dense_search(vs[5], f, 10)
        ]
        text = dst.text_search("ledger", f, 10)
        assert len(text) == 10 and all(f.allows(h.chunk) for h in text)


def test_refuses_a_non_empty_target(tmp_path):
    _source(tmp_path / "src", n=20)[0].close()
    _source(tmp_path / "dst", n=5)[0].close()
    result = CliRunner().invoke(
        _app(),
        ["reindex", "--from", "lancedb", "--to", "lancedb", "--data-dir", str(tmp_path / "src"),
         "--to-data-dir", str(tmp_path / "dst"), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "already holds 5 chunks" in result.output
    assert LanceDBStore(tmp_path / "dst" / "index", dim=DIM).count() == 5


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "lancedb", "--to", "lancedb"],  # same index
        ["--from", "lancedb", "--to", "solr", "--to-data-dir", "x"],
        ["--from", "weaviate", "--to", "weaviate"],  # needs --to-collection
    ],
)
def test_bad_arguments_are_rejected_before_touching_anything(tmp_path, args):
    result = CliRunner().invoke(
        _app(), ["reindex", *args, "--data-dir", str(tmp_path / "d"), "--no-progress"]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "d").exists()


class LossyTarget:
    """A real LanceDB store behind a wrapper that silently drops the last chunk of every batch,
    standing in for a backend that loses writes, to exercise the final count check."""

    def __init__(self, store: LanceDBStore):
        self._store = store

    def upsert(self, chunks, vectors):
        self._store.upsert(chunks[:-1], vectors[:-1])
        return len(chunks)  # claims success, like a backend that loses writes

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_count_mismatch_exits_non_zero(tmp_path, monkeypatch):
    _source(tmp_path / "src", n=50)[0].close()
    real_open = reindex_mod._open

    def lossy_open(backend, data_dir, collection, dim):
        store = real_open(backend, data_dir, collection, dim)
        return LossyTarget(store) if data_dir == tmp_path / "dst" else store

    monkeypatch.setattr(reindex_mod, "_open", lossy_open)
    result = CliRunner().invoke(
        _app(),
        ["reindex", "--from", "lancedb", "--to", "lancedb", "--data-dir", str(tmp_path / "src"),
         "--to-data-dir", str(tmp_path / "dst"), "--batch-size", "20", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "count mismatch" in result.output
    assert "target 47" in result.output


def test_reindex_is_registered_in_the_cli():
    from copilot.cli import app

    result = CliRunner().invoke(app, ["reindex", "--help"])
    assert result.exit_code == 0 and "--to-data-dir" in result.output


def test_reindex_keeps_window_vectors(tmp_path):
    # A chunk embedded as several windows must reach the copy with all of them: the pooled vector
    # alone would rank it by its mean, not by its best window.
    src, cs, vs = _source(tmp_path / "src", n=30)
    rng = np.random.default_rng(5)
    windows = rng.normal(size=(3, DIM)).astype(np.float32)
    windows /= np.linalg.norm(windows, axis=1, keepdims=True)
    src.replace_document(cs[0].tenant_id, cs[0].doc_id, [cs[0]], [windows])
    expected = {c.chunk_id: w for batch, ws in src.iter_windows() for c, w in zip(batch, ws, strict=True)}
    src.close()
    result = CliRunner().invoke(
        _app(),
        ["reindex", "--from", "lancedb", "--to", "lancedb", "--data-dir", str(tmp_path / "src"),
         "--to-data-dir", str(tmp_path / "dst"), "--batch-size", "7", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    dst = LanceDBStore(tmp_path / "dst" / "index", dim=DIM)
    got = {c.chunk_id: w for batch, ws in dst.iter_windows() for c, w in zip(batch, ws, strict=True)}
    assert got.keys() == expected.keys()
    np.testing.assert_allclose(got[cs[0].chunk_id], windows, atol=1e-6)
    for cid, w in expected.items():
        np.testing.assert_allclose(got[cid], w, atol=1e-6)
    # The copy ranks the multi-window chunk first for a query equal to its second window.
    top = dst.dense_search(windows[1], flt(cs[0].tenant_id, AccessLevel.RESTRICTED), 1)
    assert top[0].chunk.chunk_id == cs[0].chunk_id
