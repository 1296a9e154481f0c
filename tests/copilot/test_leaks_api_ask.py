"""The foundation leak suite re-run through the HTTP API: /v1/ask (see test_leaks_api_search.py).

Every eval case's principal asks its question: no citation may be a document the manifest
oracle forbids or the case's forbidden_doc_ids, and the answer text may not quote another
tenant's documents.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import seed_sentence_vectors
from tests.copilot.conftest import h
from tests.copilot.leak_api import EVALSET
from tests.retrievers.test_leaks import allowed, oracle

pytestmark = pytest.mark.slow


def test_ask_cites_nothing_forbidden_and_quotes_no_other_tenant(leak_api, sentence_vectors):
    client, keys, _ = leak_api
    # The run's one encoding of the index's sentences (the answers' vectors, not encoded here again).
    seed_sentence_vectors(client.app.state.copilot.answerer.vectors, sentence_vectors)
    docs, superseded = oracle()
    now = datetime.now(UTC)
    # Text that only another tenant's documents contain: their document titles.
    titles_by_tenant: dict[str, set[str]] = {}
    for d in client.app.state.copilot.services.store.list_documents():
        titles_by_tenant.setdefault(d.tenant_id, set()).add(d.title)
    cited = 0
    for case in EVALSET:
        t, lvl = case["principal"]["tenant_id"], case["principal"]["access_level"]
        body = client.post("/v1/ask", json={"question": case["question"]}, headers=h(keys[(t, lvl)])).json()
        got = {c["doc_id"] for c in body["citations"]}
        assert not got & set(case.get("forbidden_doc_ids") or []), (case["id"], got)
        for d in got:
            assert allowed(docs[d], d, superseded, t, lvl, now), (case["id"], d)
            assert docs[d]["tenant_id"] in (t, "shared")
        for other, titles in titles_by_tenant.items():
            if other in (t, "shared"):
                continue
            for title in titles:
                assert title not in body["answer"], (case["id"], title)
        cited += len(got)
    assert cited > 50
