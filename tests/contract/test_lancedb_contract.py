"""The store contract against the embedded LanceDB backend (always runs)."""

from __future__ import annotations

import pytest

from retrievers.stores.lancedb import LanceDBStore
from tests.contract.store_contract import DIM, StoreContract


class TestLanceDBContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        s = LanceDBStore(tmp_path / "index", dim=DIM)
        yield s
        s.close()


class MovingStore(LanceDBStore):
    """Every tenant moves to its own table right after each write (the layout of a large index)."""

    def replace_documents(self, docs):
        n = super().replace_documents(docs)
        self.move_large_tenants()
        return n

    def upsert(self, chunks, vectors):
        n = super().upsert(chunks, vectors)
        self.move_large_tenants()
        return n


class TestLanceDBTenantTablesContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        s = MovingStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1)
        yield s
        assert s.tables().get(None) is None or s.tables()[None].count_rows() == 0  # all moved
        s.close()


class TestLanceDBSingleTableContract(StoreContract):
    """The former one-table layout, still readable (benchmarks compare the two)."""

    @pytest.fixture
    def store(self, tmp_path):
        s = LanceDBStore(tmp_path / "index", dim=DIM, layout="single")
        yield s
        s.close()


def test_reopening_keeps_the_stored_vector_width(tmp_path):
    import numpy as np

    from tests.contract.store_contract import chunk, unit

    first = LanceDBStore(tmp_path / "index", dim=DIM)
    first.upsert([chunk("a.md")], np.stack([unit(1)]))
    reopened = LanceDBStore(tmp_path / "index")  # default width differs from the stored one
    assert reopened.dim == DIM
    [(chunks, vecs)] = list(reopened.iter_all())
    np.testing.assert_array_equal(vecs, np.stack([unit(1)]))


def test_replace_documents_swaps_a_group_in_one_commit(tmp_path):
    import numpy as np

    from tests.contract.store_contract import chunk, unit

    store = LanceDBStore(tmp_path / "index", dim=DIM)
    store.replace_document("acme", "a.md", [chunk("a.md", 0), chunk("a.md", 1)], np.stack([unit(1), unit(2)]))
    store.replace_document("acme", "keep.md", [chunk("keep.md")], np.stack([unit(3)]))
    version = store.tables()[None].version
    n = store.replace_documents([
        ("acme", "a.md", [chunk("a.md", 0, text="new text")], np.stack([unit(1)])),
        ("acme", "b.md", [chunk("b.md")], np.stack([unit(2)])),
    ])
    assert n == 2 and store.tables()[None].version == version + 1
    docs = {(c.doc_id, c.position, c.text) for cs, _ in store.iter_all() for c in cs}
    assert ("a.md", 1, chunk("a.md", 1).text) not in docs  # the dropped chunk is gone
    assert {d for d, _, _ in docs} == {"a.md", "b.md", "keep.md"}
    assert ("a.md", 0, "new text") in docs
