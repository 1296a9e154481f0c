"""The foundation leak suite re-run through the HTTP API: /v1/search (/v1/ask is in
test_leaks_api_ask.py, a file of its own so the two run in parallel under ``--dist loadfile``).

Every eval-set principal (a key is created per tenant x level) sends every eval question
plus every document title to /v1/search at k=50: nothing the manifest oracle forbids may
appear in the results.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.copilot.conftest import h
from tests.copilot.leak_api import EVALSET
from tests.retrievers.test_leaks import allowed, oracle

pytestmark = pytest.mark.slow


def test_search_never_returns_a_forbidden_chunk(leak_api):
    client, keys, titles = leak_api
    docs, superseded = oracle()
    now = datetime.now(UTC)
    queries = sorted({c["question"] for c in EVALSET} | set(titles))
    checked = 0
    for (tenant, level), key in sorted(keys.items()):
        for q in queries:
            r = client.post("/v1/search", json={"query": q, "k": 50}, headers=h(key))
            assert r.status_code == 200, r.text
            for hit in r.json()["results"]:
                assert allowed(docs[hit["doc_id"]], hit["doc_id"], superseded, tenant, level, now), (
                    f"{tenant}/{level} got {hit['doc_id']} for {q!r}"
                )
                checked += 1
    assert checked > 10_000
