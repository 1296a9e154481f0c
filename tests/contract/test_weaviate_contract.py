"""The store contract against a live Weaviate named by ``WEAVIATE_URL``.

Skipped when the variable is not set. Each test uses a throwaway collection that
is dropped afterwards; ``WEAVIATE_GRPC_PORT`` (default 50051) and
``WEAVIATE_API_KEY`` are honoured.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.contract.store_contract import StoreContract

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("WEAVIATE_URL"), reason="WEAVIATE_URL not set: no live Weaviate"),
]


class TestWeaviateContract(StoreContract):
    @pytest.fixture
    def store(self):
        from retrievers.stores.weaviate import WeaviateConfig, WeaviateStore

        config = WeaviateConfig.from_url(
            os.environ["WEAVIATE_URL"],
            grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
            api_key=os.environ.get("WEAVIATE_API_KEY") or None,
            collection=f"ContractTest{uuid.uuid4().hex[:12]}",
        )
        s = WeaviateStore.connect(config)
        try:
            yield s
        finally:
            s.drop()
            s.close()
