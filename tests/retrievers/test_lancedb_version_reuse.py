"""A table's version, read once, is reused by the store only while LanceDB could not have moved the
table handle: no read-consistency interval and no write of the store begun or finished since. Every
other case reads LanceDB, so a search sees each write exactly when LanceDB's own query would."""

from __future__ import annotations

import numpy as np
import pytest

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.stores.lancedb import LanceDBStore
from tests.retrievers.test_lancedb_mirror import DIM, NOW, TENANTS, _data

ALL = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)


class _Counting:
    """A table handle that counts reads of ``version`` (each one a call into LanceDB)."""

    def __init__(self, table, on_read=None):
        self._table, self.reads, self.on_read = table, 0, on_read

    @property
    def version(self):
        self.reads += 1
        v = self._table.version
        if self.on_read is not None:
            self.on_read()
        return v

    def __getattr__(self, name):
        return getattr(self._table, name)


def _store(path, consistency=None, n=80, seed=2):
    store = LanceDBStore(path, dim=DIM, read_consistency_s=consistency, mirror_background=False)
    chunks, windows = _data(n, seed=seed)
    store.upsert(chunks, windows)
    store.ensure_indexes()
    return store, chunks, windows


def test_version_is_read_once_until_the_next_write(tmp_path):
    store, chunks, windows = _store(tmp_path)
    part = store._parts[None]
    counting = part.table = _Counting(part.table)
    v = part.version()
    assert [part.version() for _ in range(5)] == [v] * 5
    assert counting.reads == 1
    store.delete_document(chunks[0].tenant_id, chunks[0].doc_id)
    assert part.version() == int(counting._table.version) > v
    assert counting.reads == 2


def test_search_sees_a_write_of_this_store_at_once(tmp_path):
    store, chunks, _ = _store(tmp_path)
    q = np.random.default_rng(3).standard_normal(DIM).astype(np.float32)
    top = store.dense_search(q, ALL, 5)[0].chunk
    store.text_search("text", ALL, 5, candidates=True)
    store.delete_document(top.tenant_id, top.doc_id)
    assert top.doc_id not in {h.chunk.doc_id for h in store.dense_search(q, ALL, 50)}
    assert top.doc_id not in {h.chunk.doc_id for h in store.text_search("text", ALL, 80, candidates=True)}


def test_a_write_under_way_is_never_hidden(tmp_path):
    """While the store's lock is held the table may already be at the new version: read LanceDB."""
    store, chunks, _ = _store(tmp_path)
    part = store._parts[None]
    v = part.version()
    raw = part.table
    with store._write_lock:
        raw.delete(f"doc_id = '{chunks[0].doc_id}'")  # committed, the write not finished yet
        assert part.version() == int(raw.version) > v
    assert part.version() == int(raw.version)


def test_a_write_finishing_during_a_read_is_not_cached(tmp_path):
    store, chunks, _ = _store(tmp_path)
    part = store._parts[None]
    raw = part.table
    stale = int(raw.version)
    done = []

    def write_meanwhile():
        if not done:
            done.append(1)
            store.delete_document(chunks[1].tenant_id, chunks[1].doc_id)

    part._version = None
    part.table = _Counting(raw, on_read=write_meanwhile)
    assert part.version() == stale  # read before the write committed
    assert part.version() == int(raw.version) > stale  # not reused: a write ended meanwhile


@pytest.mark.parametrize("consistency", [0, None])
def test_another_connections_write_is_seen_exactly_as_lancedb_sees_it(tmp_path, consistency):
    writer, chunks, _ = _store(tmp_path, n=60, seed=6)
    reader = LanceDBStore(tmp_path, dim=DIM, read_consistency_s=consistency, mirror_background=False)
    part = reader._parts[None]
    before = part.version()
    doc = chunks[0].doc_id
    assert doc in {h.chunk.doc_id for h in reader.text_search("text", ALL, 60, candidates=True)}
    writer.delete_document(chunks[0].tenant_id, doc)
    assert part.version() == int(part.table.version)  # whatever LanceDB says now
    got = {h.chunk.doc_id for h in reader.text_search("text", ALL, 60, candidates=True)}
    if consistency == 0:
        assert part.version() > before and doc not in got  # seen at once
    else:
        assert part.version() == before and doc in got  # the version the handle opened, as LanceDB keeps it


def test_taking_the_raw_tables_switches_reuse_off(tmp_path):
    store, chunks, _ = _store(tmp_path)
    part = store._parts[None]
    part.version()
    raw = store.tables()[None]
    raw.delete(f"doc_id = '{chunks[2].doc_id}'")  # around the store's lock
    assert part.version() == int(raw.version)
