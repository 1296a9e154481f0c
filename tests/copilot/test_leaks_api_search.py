"""The foundation leak suite re-run through the HTTP API: /v1/search (/v1/ask is in
test_leaks_api_ask.py, a file of its own so the two run in parallel under ``--dist loadfile``).

Every eval-set principal (a key is created per tenant x level) sends every document title
plus a fixed-seed sample of eval questions (all of them with --exhaustive) to /v1/search at
k=50: nothing the manifest oracle forbids may appear in the results.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tests.copilot.conftest import h
from tests.copilot.leak_api import EVALSET
from tests.retrievers.test_leaks import QUESTION_SAMPLE, allowed, oracle

pytestmark = pytest.mark.slow


def _check_search(leak_api, sample: int | None) -> int:
    client, keys, titles = leak_api
    docs, superseded = oracle()
    now = datetime.now(UTC)
    questions = sorted({c["question"] for c in EVALSET} - set(titles))
    checked = 0
    for (tenant, level), key in sorted(keys.items()):
        asked = questions
        if sample is not None:
            asked = random.Random(f"{tenant}/{level}").sample(questions, min(sample, len(questions)))
        for q in sorted(titles) + asked:
            r = client.post("/v1/search", json={"query": q, "k": 50}, headers=h(key))
            assert r.status_code == 200, r.text
            for hit in r.json()["results"]:
                assert allowed(docs[hit["doc_id"]], hit["doc_id"], superseded, tenant, level, now), (
                    f"{tenant}/{level} got {hit['doc_id']} for {q!r}"
                )
                checked += 1
    return checked


def test_search_never_returns_a_forbidden_chunk(leak_api):
    assert _check_search(leak_api, QUESTION_SAMPLE) > 5_000


@pytest.mark.exhaustive
def test_search_never_returns_a_forbidden_chunk_for_any_question(leak_api):
    assert _check_search(leak_api, None) > 10_000
