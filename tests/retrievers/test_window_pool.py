"""Dense search of a table without an ANN index: pooled vectors ranked exactly, a candidate pool
re-scored by its best window, the winners read by row id. It must equal the full window scan
(``exact=True``) wherever the pool covers the visible rows, keep the access filter, and never scan
the windows column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.stores.base import best_window_scores, best_window_scores_arrow
from retrievers.stores.lancedb import LanceDBStore
from tests.retrievers.lance_faults import rows_raised_on_take
from tests.retrievers.test_ann import DIM, chunks_and_vectors


def _windows(n: int, seed: int = 11) -> list[np.ndarray]:
    """1-5 windows a chunk around a topic: the pooled rank and the best-window rank often differ."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((8, DIM)).astype(np.float32)
    out = []
    for _ in range(n):
        w = topics[rng.integers(8)] + rng.standard_normal((int(rng.integers(1, 6)), DIM)).astype(np.float32)
        out.append(w / np.linalg.norm(w, axis=1, keepdims=True))
    return out


def _ids(hits: list) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def _store(tmp_path, n: int) -> tuple[LanceDBStore, list, list[np.ndarray]]:
    # LanceDB's own query path (the in-process mirror is checked against it in test_lancedb_mirror.py).
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=10_000, mirror_max_rows=0)
    chunks, _ = chunks_and_vectors(n)
    windows = _windows(n)
    store.upsert(chunks, windows)
    store.optimize()
    assert not store.has_ann_index
    return store, chunks, windows


def test_arrow_scores_equal_the_list_scores():
    windows = _windows(40)
    q = np.random.default_rng(3).standard_normal(DIM).astype(np.float32)
    col = pa.array([w.tolist() for w in windows], pa.list_(pa.list_(pa.float32(), DIM)))
    np.testing.assert_allclose(best_window_scores_arrow(q, col), best_window_scores(q, windows), atol=1e-5)
    np.testing.assert_allclose(
        best_window_scores_arrow(q, col.slice(7, 20)), best_window_scores(q, windows[7:27]), atol=1e-5
    )


def test_pooled_search_equals_the_window_scan_and_keeps_the_filter(tmp_path, monkeypatch):
    store, chunks, windows = _store(tmp_path, 300)
    by_id = {c.chunk_id: c for c in chunks}
    searched: list[str] = []
    for part in store._all_parts():
        real = part.table.search

        def spy(*args, _real=real, **kw):
            searched.append(kw.get("vector_column_name", "?"))
            return _real(*args, **kw)

        monkeypatch.setattr(part.table, "search", spy)
    rng = np.random.default_rng(5)
    differs = 0
    for level in (AccessLevel.PUBLIC, AccessLevel.RESTRICTED):
        flt = access_filter(Principal("u@alder", "alder", level))
        for q in rng.standard_normal((15, DIM)).astype(np.float32):
            searched.clear()
            got = store.dense_search(q, flt, 20)
            assert "vector" in searched and "windows" not in searched  # never the window scan
            want = store.dense_search(q, flt, 20, exact=True)
            assert _ids(got) == _ids(want)  # 300 rows, pool 200 visible at most: exact
            np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-4)
            assert all(flt.allows(by_id[h.chunk.chunk_id]) for h in got)
            # The pooled vector alone would rank differently: the re-scoring is what makes it equal.
            pooled = np.stack([w.mean(axis=0) / np.linalg.norm(w.mean(axis=0)) for w in windows])
            visible = [i for i, c in enumerate(chunks) if flt.allows(c)]
            by_pool = [chunks[i].chunk_id for i in sorted(visible, key=lambda i: -float(pooled[i] @ q))[:20]]
            differs += by_pool != _ids(want)
    assert differs > 0


def test_a_pool_smaller_than_the_table_returns_k_visible_rows_by_best_window(tmp_path):
    store, chunks, windows = _store(tmp_path, 600)
    store.window_pool = 100
    by_id = {c.chunk_id: i for i, c in enumerate(chunks)}
    flt = access_filter(Principal("u@birch", "birch", AccessLevel.RESTRICTED))
    for q in np.random.default_rng(9).standard_normal((10, DIM)).astype(np.float32):
        got = store.dense_search(q, flt, 30)
        assert len(got) == 30 and all(flt.allows(chunks[by_id[h.chunk.chunk_id]]) for h in got)
        scores = [h.score for h in got]
        assert scores == sorted(scores, reverse=True)
        want = best_window_scores(q, [windows[by_id[h.chunk.chunk_id]] for h in got])
        np.testing.assert_allclose(scores, want, atol=1e-4)


def test_rows_moved_between_the_two_reads_are_read_again_under_the_filter(tmp_path, monkeypatch):
    store, chunks, _ = _store(tmp_path, 120)
    by_id = {c.chunk_id: c for c in chunks}
    part = store._parts[None]

    def stale(_ids):
        raise ValueError("row ids no longer valid")

    monkeypatch.setattr(part.table, "take_row_ids", stale)
    flt = access_filter(Principal("u@alder", "alder", AccessLevel.PARTNER))
    q = np.random.default_rng(2).standard_normal(DIM).astype(np.float32)
    got = store.dense_search(q, flt, 10)
    assert _ids(got) == _ids(store.dense_search(q, flt, 10, exact=True))
    assert all(flt.allows(by_id[h.chunk.chunk_id]) for h in got)


def test_a_row_raised_to_a_higher_level_between_the_two_reads_is_read_again_under_the_filter(tmp_path, monkeypatch):
    # The second read (by row id) returns every row as if re-ingested at RESTRICTED meanwhile: none of
    # them may be taken from it; the rows are read again under the filter instead of failing the search.
    store, chunks, _ = _store(tmp_path, 120)
    rows_raised_on_take(monkeypatch, store._parts[None])
    flt = access_filter(Principal("u@alder", "alder", AccessLevel.PARTNER))
    q = np.random.default_rng(4).standard_normal(DIM).astype(np.float32)
    got = store.dense_search(q, flt, 10)
    assert got and _ids(got) == _ids(store.dense_search(q, flt, 10, exact=True))
    assert all(h.chunk.access_level <= AccessLevel.PARTNER for h in got)
