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


def test_reopening_keeps_the_stored_vector_width(tmp_path):
    import numpy as np

    from tests.contract.store_contract import chunk, unit

    first = LanceDBStore(tmp_path / "index", dim=DIM)
    first.upsert([chunk("a.md")], np.stack([unit(1)]))
    reopened = LanceDBStore(tmp_path / "index")  # default width differs from the stored one
    assert reopened.dim == DIM
    [(chunks, vecs)] = list(reopened.iter_all())
    np.testing.assert_array_equal(vecs, np.stack([unit(1)]))
