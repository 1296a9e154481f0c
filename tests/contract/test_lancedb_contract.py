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
