"""The foundation leak suite re-run through the HTTP API.

Every eval-set principal (a key is created per tenant x level) sends every eval question
plus every document title to /v1/search at k=50 and to /v1/ask. Nothing the manifest
oracle forbids may appear in results or citations, no case's forbidden_doc_ids may
appear, and answer text may not quote another tenant's documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from retrievers.retriever import Retriever
from tests.conftest import DEMO_CORPUS
from tests.copilot.conftest import h, make_client
from tests.retrievers.test_leaks import CachedEmbedder, allowed, oracle

pytestmark = pytest.mark.slow

EVALSET = [json.loads(x) for x in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if x.strip()]


@pytest.fixture(scope="module")
def leak_api(demo_services, demo_data_dir, tmp_path_factory):
    """An app whose retriever uses query vectors encoded up front (same model, same vectors)."""
    from copilot.core.services import Services

    titles = sorted({d.title for d in demo_services.store.list_documents()})
    queries = sorted({c["question"] for c in EVALSET} | set(titles))
    cached = CachedEmbedder(demo_services.embedder, queries)
    services = Services(
        settings=demo_services.settings,
        store=demo_services.store,
        embedder=cached,
        retriever=Retriever(demo_services.store, cached),
    )
    services._detector = demo_services.detector
    db = tmp_path_factory.mktemp("leak-gov") / "copilot.db"
    client, app = make_client(services, demo_data_dir, f"sqlite:///{db}", api_rate_limit="1000000/minute")
    with client:
        keys = {}
        for c in EVALSET:
            t, lvl = c["principal"]["tenant_id"], c["principal"]["access_level"]
            if (t, lvl) not in keys:
                keys[(t, lvl)] = app.state.copilot.keys.create(f"leak-{t}-{lvl}", t, lvl)[0]
        yield client, keys, titles


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


def test_ask_cites_nothing_forbidden_and_quotes_no_other_tenant(leak_api):
    client, keys, _ = leak_api
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
