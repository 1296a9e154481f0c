"""Hybrid retrieval: RRF arithmetic, modes, doc scope, native hybrid dispatch, re-check."""

from __future__ import annotations

import numpy as np
import pytest

from retrievers.access import AccessLevel, AccessViolation, Principal
from retrievers.retriever import Retriever, rrf_fuse
from retrievers.schema import Chunk, ScoredChunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore


def mk(tenant, doc, pos, text, level=AccessLevel.PARTNER):
    return Chunk(chunk_id=chunk_uuid(tenant, doc, "1", pos), doc_id=doc, tenant_id=tenant, access_level=level,
                 doc_type="playbook", title=doc, version="1", position=pos, text=text, index_text=text)


def test_rrf_fusion_arithmetic_and_weights():
    a, b, c = (ScoredChunk(mk("t", d, 0, d), 0.0) for d in ("a", "b", "c"))
    fused = rrf_fuse({"dense": [a, b], "fulltext": [b, c]}, k=60)
    scores = {h.chunk.doc_id: h.score for h in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["c"] == pytest.approx(1 / 62)
    assert [h.chunk.doc_id for h in fused] == ["b", "a", "c"]
    assert fused[0].ranks == {"dense": 2, "fulltext": 1}
    weighted = rrf_fuse({"dense": [a], "fulltext": [c]}, k=60, weights={"fulltext": 2.0})
    assert [h.chunk.doc_id for h in weighted] == ["c", "a"]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, embedder):
    store = LanceDBStore(tmp_path_factory.mktemp("ret"), dim=embedder.dim)
    docs = {
        ("alder", "sla.md"): "Priority 1 incidents receive a first response within 30 minutes.",
        ("alder", "cutover.md"): "Freeze master data changes 48 hours before the go-live weekend.",
        ("birch", "sla.md"): "Priority 1 incidents receive a first response within one hour.",
        ("shared", "release.md"): "Release 2026.1 adds multi-currency revaluation to the ledger.",
    }
    for (tenant, doc), text in docs.items():
        c = mk(tenant, doc, 0, text)
        store.replace_document(tenant, doc, [c], embedder.encode([text]))
    return store


@pytest.mark.parametrize("mode", ["dense", "fulltext", "hybrid"])
def test_modes_find_the_right_chunk_for_the_principal(small_index, embedder, mode):
    r = Retriever(small_index, embedder)
    hits = r.search("first response time for priority 1 incidents", Principal("u", "alder", AccessLevel.PARTNER),
                    k=3, mode=mode)
    assert hits and hits[0].chunk.tenant_id == "alder" and hits[0].chunk.doc_id == "sla.md"
    assert all(h.chunk.tenant_id in ("alder", "shared") for h in hits)
    assert r.last_trace is not None and r.last_trace.mode == mode


def test_doc_scope_narrows_and_cannot_widen(small_index, embedder):
    r = Retriever(small_index, embedder)
    p = Principal("u", "alder", AccessLevel.PARTNER)
    hits = r.search("response incidents freeze release", p, k=10, doc_ids=["cutover.md"])
    assert {h.chunk.doc_id for h in hits} == {"cutover.md"}
    # naming another tenant's document in the scope yields nothing from it
    birch_only = r.search("priority 1 response", Principal("u", "cedar", AccessLevel.RESTRICTED), k=10,
                          doc_ids=["sla.md"])
    assert birch_only == []


def test_unknown_mode_and_empty_query(small_index, embedder):
    r = Retriever(small_index, embedder)
    p = Principal("u", "alder", AccessLevel.PARTNER)
    with pytest.raises(ValueError, match="unknown search mode"):
        r.search("x", p, mode="magic")  # type: ignore[arg-type]
    assert r.search("   ", p) == []
    assert r.search("response", p, k=0) == []


def test_native_hybrid_is_used_when_the_store_offers_it(small_index, embedder):
    calls = []

    class NativeHybridStore(LanceDBStore):
        def hybrid_search(self, query, vector, flt, k):
            calls.append((query, k, flt.tenants))
            return self.dense_search(vector, flt, k)

    store = NativeHybridStore(small_index.path, dim=embedder.dim)
    p = Principal("u", "alder", AccessLevel.PARTNER)
    Retriever(store, embedder, native_hybrid=True).search("freeze", p, k=2)
    assert calls == [("freeze", 50, ("alder", "shared"))]
    Retriever(store, embedder, native_hybrid=False).search("freeze", p, k=2)
    assert len(calls) == 1
    assert Retriever(small_index, embedder, native_hybrid=True).native_hybrid is False


def test_recheck_refuses_a_leaking_backend(small_index, embedder):
    class LeakyStore(LanceDBStore):
        def dense_search(self, vector, flt, k, **_):  # ignores the filter: a backend bug
            rows = [r for t in self.tables().values()
                    for r in t.search(np.asarray(vector), vector_column_name="vector").limit(k).to_arrow().to_pylist()]
            from retrievers.stores.lancedb import row_to_chunk

            return [ScoredChunk(row_to_chunk(r), 1.0, "dense") for r in rows]

    store = LeakyStore(small_index.path, dim=embedder.dim)
    with pytest.raises(AccessViolation):
        Retriever(store, embedder).search("priority 1", Principal("u", "alder", AccessLevel.PARTNER), k=4,
                                          mode="dense")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Does this agreement restrict a party from competing with the counterparty?",
         "Does restrict a party from competing with the counterparty?"),
        ("Under this agreement, does a party have the right to audit the books?",
         "does a party have the right to audit the books?"),
        ("Which law governs the interpretation of the contract?", "Which law governs the interpretation?"),
        ("What is the P2 response time?", "What is the P2 response time?"),  # nothing to drop
        ("What does the contract say?", "What does the contract say?"),  # too little would be left
        ("Summarise the document.", "Summarise the document."),
    ],
)
def test_ranking_text_drops_self_references(question, expected):
    from retrievers.query import ranking_text

    assert ranking_text(question) == expected


def test_boilerplate_about_this_agreement_does_not_outrank_the_clause(tmp_path, embedder):
    """'this agreement' is in every contract chunk; ranking with it pulls boilerplate up."""
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    texts = [
        "This Agreement may be amended only by a written instrument signed by both parties to this Agreement.",
        "This Agreement constitutes the entire agreement between the parties and supersedes prior agreements.",
        "During the term, the Distributor shall not sell products that compete with the Products in the Territory.",
    ]
    chunks = [mk("alder", "c.txt", i, t) for i, t in enumerate(texts)]
    store.replace_document("alder", "c.txt", chunks, embedder.encode(texts))
    p = Principal("u", "alder", AccessLevel.PARTNER)
    q = "Does this agreement restrict a party from competing with the other party under this agreement?"
    for mode in ("dense", "hybrid"):
        hits = Retriever(store, embedder).search(q, p, k=3, mode=mode, doc_ids=["c.txt"])  # type: ignore[arg-type]
        assert hits[0].chunk.position == 2, mode
