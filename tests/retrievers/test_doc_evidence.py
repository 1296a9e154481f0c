"""Document evidence in hybrid ranking: arithmetic, and only readable rows count."""

from __future__ import annotations

import pytest

from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever, document_rerank
from retrievers.schema import Chunk, ScoredChunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore


def mk(doc: str, pos: int, text: str, level: AccessLevel = AccessLevel.PARTNER, tenant: str = "alder") -> Chunk:
    return Chunk(chunk_id=chunk_uuid(tenant, doc, "1", pos), doc_id=doc, tenant_id=tenant, access_level=level,
                 doc_type="other", title=doc, version="1", position=pos, text=text, index_text=text)


def hit(doc: str, pos: int, score: float, tenant: str = "alder") -> ScoredChunk:
    return ScoredChunk(mk(doc, pos, f"{doc} {pos}", tenant=tenant), score, source="hybrid")


def test_a_document_with_more_evidence_lifts_its_chunk():
    hits = [hit("lone", 0, 0.050), hit("guide", 0, 0.048), hit("guide", 1, 0.030)]
    # guide's evidence .048 + .5 x .030 = .063 ranks it first: + .01 / 1; lone second: + .01 / 2
    ranked = document_rerank(hits, weight=0.01, k=0, decay=0.5)
    assert [(h.chunk.doc_id, h.chunk.position) for h in ranked] == [("guide", 0), ("lone", 0), ("guide", 1)]
    assert [h.score for h in ranked] == pytest.approx([0.058, 0.055, 0.040])
    # decay 0 ranks documents by their best chunk only: the lone chunk keeps the lead
    assert [h.chunk.doc_id for h in document_rerank(hits, weight=0.01, k=0, decay=0.0)][0] == "lone"
    # weight 0 leaves the fused order and the objects untouched
    assert document_rerank(hits, weight=0.0) is hits


def test_document_rank_from_the_ranked_lists():
    lone, g0, g1 = hit("lone", 0, 0.050), hit("guide", 0, 0.048), hit("guide", 1, 0.030)
    # guide leads both lists (through different chunks), lone is second in each
    lists = {"dense": [g1, lone], "fulltext": [g0, lone]}
    ranked = document_rerank([lone, g0, g1], weight=0.01, k=0, lists=lists, list_weights={"fulltext": 2.0})
    assert [h.chunk.doc_id for h in ranked][:2] == ["guide", "lone"]
    assert ranked[0].score == pytest.approx(0.048 + 0.01)


def test_same_doc_id_in_two_tenants_is_two_documents():
    hits = [hit("a", 0, 0.05, "shared"), hit("sla", 0, 0.049, "alder"), hit("sla", 1, 0.03, "shared")]
    # merged by doc id, "sla" (.079) would outrank "a" (.05) and lift the alder chunk to the top
    ranked = document_rerank(hits, weight=1.0, k=0, decay=1.0)
    assert ranked[0].chunk.doc_id == "a"


def test_ranks_are_copied_not_shared():
    h = hit("x", 0, 0.05)
    h.ranks["dense"] = 1
    out = document_rerank([h, hit("y", 0, 0.04)], weight=1.0)
    out[0].ranks["dense"] = 9
    assert h.ranks == {"dense": 1}


VISIBLE = {
    ("rotation.md", 0): "Rotate the signing key every ninety days and record the rotation in the audit log.",
    ("rotation.md", 1): "Key rotation is scheduled by the platform team.",
    ("backup.md", 0): "Backups of the signing key are kept in the vault; restore them with the vault tool.",
    ("backup.md", 1): "Restore tests run every quarter.",
}
HIDDEN = {("incident.md", i): f"Signing key rotation and key backup after incident {i}: rotate the signing key "
                              f"and restore the backup from the vault." for i in range(6)}


def _store(path, embedder, with_hidden: bool) -> LanceDBStore:
    store = LanceDBStore(path, dim=embedder.dim)
    rows = {(d, p, AccessLevel.PARTNER): t for (d, p), t in VISIBLE.items()}
    if with_hidden:
        rows |= {(d, p, AccessLevel.RESTRICTED): t for (d, p), t in HIDDEN.items()}
    by_doc: dict[str, list[Chunk]] = {}
    for (doc, pos, level), text in rows.items():
        by_doc.setdefault(doc, []).append(mk(doc, pos, text, level))
    for doc, chunks in by_doc.items():
        store.replace_document("alder", doc, chunks, embedder.encode([c.text for c in chunks]))
    return store


def test_hidden_document_cannot_lift_or_lower_a_visible_one(tmp_path, embedder):
    """A restricted guide full of matching chunks changes nothing for a partner-level reader."""
    partner = Principal("u", "alder", AccessLevel.PARTNER)
    restricted = Principal("boss", "alder", AccessLevel.RESTRICTED)
    query = "how do I rotate and restore the signing key"
    evidence = {"doc_weight": 1.0, "doc_k": 0, "doc_decay": 1.0}
    with_hidden = Retriever(_store(tmp_path / "a", embedder, True), embedder, **evidence)
    without = Retriever(_store(tmp_path / "b", embedder, False), embedder, **evidence)
    seen = with_hidden.search(query, partner, k=10)
    base = without.search(query, partner, k=10)
    assert [h.chunk.chunk_id for h in seen] == [h.chunk.chunk_id for h in base]
    assert [h.score for h in seen] == pytest.approx([h.score for h in base])
    assert {h.chunk.doc_id for h in seen} == {"rotation.md", "backup.md"}
    # The hidden guide is real evidence for a reader entitled to it: it moves that reader's ranking.
    assert any(h.chunk.doc_id == "incident.md" for h in with_hidden.search(query, restricted, k=10))
    for source in ("fused", "lists"):
        with_hidden.doc_source = without.doc_source = source
        assert ([(h.chunk.chunk_id, round(h.score, 9)) for h in with_hidden.search(query, partner, k=10)]
                == [(h.chunk.chunk_id, round(h.score, 9)) for h in without.search(query, partner, k=10)])
