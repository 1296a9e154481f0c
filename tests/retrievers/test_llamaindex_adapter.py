"""The LlamaIndex adapter on a small real LanceDB index with the real embedding model."""

from __future__ import annotations

import pytest
from llama_index.core.schema import NodeWithScore, QueryBundle

from retrievers.access import AccessLevel, Principal
from retrievers.llamaindex import PermissionAwareRetriever
from retrievers.retriever import Retriever
from retrievers.stores.lancedb import LanceDBStore
from tests.contract.store_contract import chunk

pytestmark = pytest.mark.slow  # loads the embedding model (about 7 s cold)

P, R = AccessLevel.PARTNER, AccessLevel.RESTRICTED
DOCS = [
    # (tenant, doc_id, level, text)
    ("acme", "acme/cutover.md", P, "Acme cutover plan: freeze the general ledger two days before go-live."),
    ("acme", "acme/rates.md", R, "Acme day rates for senior consultants are confidential."),
    ("globex", "globex/cutover.md", P, "Globex cutover plan: freeze the general ledger one week before go-live."),
    ("globex", "globex/escalation.md", P, "Globex escalation contact is the steering committee chair."),
    ("shared", "guides/ledger.md", AccessLevel.PUBLIC, "General ledger period close checklist for every project."),
]


@pytest.fixture(scope="module")
def retriever(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("li") / "index", dim=embedder.dim)
    cs = [
        chunk(doc, 0, tenant=t, level=lv, text=text, index_text=text.replace("Acme", "<ORG>"), title=doc.title())
        for t, doc, lv, text in DOCS
    ]
    store.upsert(cs, embedder.encode([c.index_text for c in cs]))
    store.optimize()
    return Retriever(store, embedder)


def acme(level: AccessLevel = AccessLevel.PARTNER) -> Principal:
    return Principal(subject="u@acme", tenant_id="acme", access_level=level)


def test_returns_nodes_with_citation_metadata(retriever):
    nodes = PermissionAwareRetriever(retriever, acme(), k=3).retrieve(
        "when do we freeze the general ledger for cutover?"
    )
    assert nodes and all(isinstance(n, NodeWithScore) for n in nodes)
    top = nodes[0]
    assert top.node.metadata["doc_id"] == "acme/cutover.md"
    for key in ("doc_id", "title", "section", "page", "chunk_id"):
        assert key in top.node.metadata
    assert top.node.node_id == top.node.metadata["chunk_id"]
    assert top.node.metadata["section"] == "Guide > Section 0" and top.node.metadata["page"] == 1
    # Redacted text by default; identifiers kept out of what an LLM sees.
    assert top.node.get_content().startswith("<ORG> cutover plan")
    assert "chunk_id" not in top.node.get_content(metadata_mode="llm")
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)


def test_never_returns_another_tenants_chunk(retriever):
    for mode in ("hybrid", "dense", "fulltext"):
        r = PermissionAwareRetriever(retriever, acme(AccessLevel.RESTRICTED), k=10, mode=mode)
        # The query is the Globex text word for word.
        nodes = r.retrieve("Globex escalation contact is the steering committee chair. Globex cutover plan")
        tenants = {n.node.metadata["tenant_id"] for n in nodes}
        assert tenants <= {"acme", "shared"}, mode
        assert not any(n.node.metadata["doc_id"].startswith("globex/") for n in nodes)


def test_access_level_and_doc_scope_are_kept(retriever):
    partner = PermissionAwareRetriever(retriever, acme(AccessLevel.PARTNER), k=10)
    assert "acme/rates.md" not in {n.node.metadata["doc_id"] for n in partner.retrieve("consultant day rates")}
    restricted = PermissionAwareRetriever(retriever, acme(AccessLevel.RESTRICTED), k=10)
    assert "acme/rates.md" in {n.node.metadata["doc_id"] for n in restricted.retrieve("consultant day rates")}
    scoped = PermissionAwareRetriever(retriever, acme(), k=10, doc_ids=["guides/ledger.md", "globex/cutover.md"])
    assert {n.node.metadata["doc_id"] for n in scoped.retrieve("general ledger freeze")} == {"guides/ledger.md"}


def test_works_inside_a_llamaindex_query_engine(retriever):
    from llama_index.core import get_response_synthesizer
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    engine = RetrieverQueryEngine(
        retriever=PermissionAwareRetriever(retriever, acme(), k=2),
        response_synthesizer=get_response_synthesizer(llm=MockLLM(max_tokens=8), response_mode="compact"),
    )
    response = engine.query(QueryBundle("general ledger freeze before go-live"))
    docs = [n.node.metadata["doc_id"] for n in response.source_nodes]
    assert docs and set(docs) <= {"acme/cutover.md", "guides/ledger.md"}
