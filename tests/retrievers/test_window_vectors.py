"""Chunks stored with their window vectors in LanceDB: the indexed path re-scores its candidates by
the best window, and a table written before the column existed is upgraded on open."""

from __future__ import annotations

import lancedb
import numpy as np
import pyarrow as pa

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.stores.lancedb import TABLE, LanceDBStore, _schema
from tests.retrievers.test_ann import DIM, chunks_and_vectors


def _unit(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def test_indexed_search_ranks_a_long_chunk_by_its_best_window(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=1000)
    chunks, vecs = chunks_and_vectors(1200)
    # Chunk 0 has a window equal to the query among three others; its mean is .5 from the query.
    target = chunks[0]
    windows: list[np.ndarray] = [np.stack([_unit(0), _unit(1), _unit(2), _unit(3)])] + [v[None] for v in vecs[1:]]
    # A one-window rival at ~.71: ahead of the long chunk's mean, behind its best window.
    rival = np.zeros(DIM, dtype=np.float32)
    rival[[0, 4]] = np.sqrt(0.5)
    windows[3] = rival[None]
    store.upsert(chunks, windows)
    store.optimize()
    assert store.has_ann_index
    flt = access_filter(Principal("u@alder", "alder", AccessLevel.RESTRICTED))
    hits = store.dense_search(_unit(0), flt, 5)
    assert hits[0].chunk.chunk_id == target.chunk_id
    assert abs(hits[0].score - 1.0) < 1e-4
    assert all(flt.allows(h.chunk) for h in hits)
    exact = store.dense_search(_unit(0), flt, 5, exact=True)
    assert exact[0].chunk.chunk_id == target.chunk_id


def test_a_table_without_window_vectors_is_upgraded_on_open(tmp_path):
    chunks, vecs = chunks_and_vectors(30)
    new = LanceDBStore(tmp_path / "new", dim=DIM)
    new.upsert(chunks, vecs)
    old_schema = pa.schema([f for f in _schema(DIM) if f.name != "windows"])
    rows = new.tables()[None].to_arrow().drop_columns(["windows"]).cast(old_schema)
    lancedb.connect(str(tmp_path / "old")).create_table(TABLE, data=rows, schema=old_schema)
    store = LanceDBStore(tmp_path / "old", dim=DIM)
    assert "windows" in store.tables()[None].schema.names
    flt = access_filter(Principal("u@birch", "birch", AccessLevel.RESTRICTED))
    q = vecs[1]
    got = store.dense_search(q, flt, 3)
    assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in new.dense_search(q, flt, 3)]
    assert got[0].chunk.chunk_id == chunks[1].chunk_id
    # Writes of the current shape go into the upgraded table.
    store.replace_document(chunks[1].tenant_id, chunks[1].doc_id, [chunks[1]], [np.stack([vecs[2], vecs[1]])])
    assert store.dense_search(q, flt, 1)[0].chunk.chunk_id == chunks[1].chunk_id
