"""The API with the second-stage rerank switched on: same access rules, cited answers."""

from __future__ import annotations

import pytest

from tests.copilot.conftest import h, make_client
from tests.copilot.test_api import TENANT_OF, VISIBLE


@pytest.fixture(scope="module")
def rr_env(demo_services, demo_data_dir, tmp_path_factory):
    from copilot.cli.commands.demo import ensure_demo_keys

    db = tmp_path_factory.mktemp("rr-gov") / "copilot.db"
    client, app = make_client(demo_services, demo_data_dir, f"sqlite:///{db}", api_rate_limit="100000/minute",
                              rerank=True)
    with client:
        keys = {k["name"]: k["key"] for k in ensure_demo_keys(app.state.copilot.settings)}
        yield client, keys


def test_rerank_stage_is_used_and_stays_inside_each_principals_scope(rr_env, demo_services, monkeypatch):
    client, keys = rr_env
    stage = demo_services.retriever.reranker
    calls = []
    real = stage.rerank

    def counting(query, hits, k):  # a spy: the real stage still does the work
        calls.append(query)
        return real(query, hits, k)

    monkeypatch.setattr(stage, "rerank", counting)
    for user, (tenants, _) in VISIBLE.items():
        for q in ["liability cap", "customer project manager contacts", "P1 response time"]:
            r = client.post("/v1/search", json={"query": q, "k": 20}, headers=h(keys[user]))
            assert r.status_code == 200
            assert all(TENANT_OF[x["doc_id"]] in tenants for x in r.json()["results"]), user
            a = client.post("/v1/ask", json={"question": q}, headers=h(keys[user])).json()
            assert all(TENANT_OF[c["doc_id"]] in tenants for c in a["citations"]), user
    assert len(calls) == 2 * 3 * len(VISIBLE)  # every search and every ask went through the stage


def test_reranked_answer_is_cited(rr_env, demo_services):
    client, keys = rr_env
    body = client.post("/v1/ask", json={"question": "How long is the standard hypercare period?"},
                       headers=h(keys["demo-alder-consultant"])).json()
    assert not body["refused"] and "30 calendar days" in body["answer"] and "[1]" in body["answer"]
    # The stage really ran: hits of a hybrid search with rerank carry the sentence rank.
    hits = demo_services.retriever.search("standard hypercare period", _principal(), k=5, rerank=True)
    assert hits and all("sentence" in x.ranks for x in hits)


def _principal():
    from retrievers.access import AccessLevel, Principal

    return Principal("t", "alder", AccessLevel.PARTNER)


def test_answers_and_the_rerank_stage_share_one_sentence_cache(demo_services):
    from copilot.answering.answerer import Answerer
    from copilot.core.settings import Settings

    ans = Answerer(demo_services.retriever, demo_services.embedder, Settings(rerank=True))
    assert ans.vectors is demo_services.retriever.reranker.vectors
