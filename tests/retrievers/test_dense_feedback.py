"""Dense pseudo-relevance feedback in hybrid search: the dense side is searched again with the query
vector moved toward the top hits, and only chunks the principal may read steer it."""

from __future__ import annotations

import numpy as np
import pytest

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.query import ranking_text
from retrievers.retriever import Retriever, rrf_fuse
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore

VISIBLE = {
    "keys.md": "Signing key rotation schedule: signing keys rotate every ninety days.",
    "creds.md": "Every ninety days the platform team replaces the credentials used to sign releases.",
    "office.md": "The office key is kept at reception; ask for the key at the front desk.",
    "desk.md": "Help desk rotation follows a weekly schedule published on Mondays.",
    "sched.md": "The release schedule lists the dates of each quarterly release.",
    "certs.md": "Cryptographic certificates expire and must be renewed by the security office.",
    "tokens.md": "Access tokens for the API are revoked when an employee leaves.",
    "lunch.md": "The canteen serves lunch from noon until two in the afternoon.",
}
# Restricted documents that match the question better than any visible one: fed back, they would
# pull the dense side toward themselves and reorder what a partner-level reader sees.
HIDDEN = {f"incident-{i}.md": f"Signing key rotation schedule after incident {i}: the lunch canteen rotates the "
                              "signing key at noon." for i in range(4)}
QUERY = "signing key rotation schedule"
PARTNER = Principal("u", "alder", AccessLevel.PARTNER)


def mk(doc: str, text: str, level: AccessLevel) -> Chunk:
    return Chunk(chunk_id=chunk_uuid("alder", doc, "1", 0), doc_id=doc, tenant_id="alder", access_level=level,
                 doc_type="other", title=doc, version="1", position=0, text=text, index_text=text)


def _store(path, embedder, with_hidden: bool) -> LanceDBStore:
    store = LanceDBStore(path, dim=embedder.dim)
    docs = {d: (t, AccessLevel.PARTNER) for d, t in VISIBLE.items()}
    if with_hidden:
        docs |= {d: (t, AccessLevel.RESTRICTED) for d, t in HIDDEN.items()}
    for doc, (text, level) in docs.items():
        store.replace_document("alder", doc, [mk(doc, text, level)], embedder.encode([text]))
    store.ensure_indexes()
    return store


def test_feedback_searches_the_dense_side_again_with_the_moved_vector(tmp_path, embedder):
    store = _store(tmp_path / "s", embedder, False)
    plain = Retriever(store, embedder, fulltext_weight=2.0)
    fed = Retriever(store, embedder, fulltext_weight=2.0, feedback_weight=1.0, feedback_docs=2)
    before = plain.search(QUERY, PARTNER, k=8)
    after = fed.search(QUERY, PARTNER, k=8)
    # What the feedback must compute: the plain fused top 2's vectors pulled into the query vector.
    flt = access_filter(PARTNER)
    vec = embedder.encode([ranking_text(QUERY)])[0]
    top = store.chunk_vectors([h.chunk.chunk_id for h in before[:2]], flt)
    assert len(top) == 2
    q = vec + np.mean(list(top.values()), axis=0)
    lists = {"dense": store.dense_search(q / np.linalg.norm(q), flt, 50),
             "fulltext": store.text_search(ranking_text(QUERY), flt, 50)}
    expected = rrf_fuse(lists, k=60, weights={"dense": 1.0, "fulltext": 2.0})[:8]
    assert [h.chunk.doc_id for h in after] == [h.chunk.doc_id for h in expected]
    assert [h.score for h in after] == pytest.approx([h.score for h in expected])
    # ... and it does change the ranking: the dense ranks move, and so does the fused order.
    assert [h.ranks.get("dense") for h in after] != [h.ranks.get("dense") for h in before]
    assert [h.chunk.doc_id for h in after] != [h.chunk.doc_id for h in before]
    assert fed.last_trace is not None and fed.last_trace.feedback_ms > 0


def test_hidden_chunks_never_steer_the_feedback(tmp_path, embedder):
    """A partner's feedback search over a store holding restricted matches equals the same search on a
    store without them: the vectors fed back and the second dense query are under the same filter."""
    kw = {"fulltext_weight": 2.0, "feedback_weight": 1.0, "feedback_docs": 3}
    with_hidden = Retriever(_store(tmp_path / "a", embedder, True), embedder, **kw)
    without = Retriever(_store(tmp_path / "b", embedder, False), embedder, **kw)
    seen = with_hidden.search(QUERY, PARTNER, k=8)
    base = without.search(QUERY, PARTNER, k=8)
    assert [(h.chunk.doc_id, h.ranks) for h in seen] == [(h.chunk.doc_id, h.ranks) for h in base]
    assert [h.score for h in seen] == pytest.approx([h.score for h in base])
    assert all(h.chunk.access_level == AccessLevel.PARTNER for h in seen)
    # The store's vector read itself never hands a partner a restricted chunk's vector ...
    hidden_ids = [chunk_uuid("alder", d, "1", 0) for d in HIDDEN]
    assert with_hidden.store.chunk_vectors(hidden_ids, access_filter(PARTNER)) == {}  # type: ignore[attr-defined]
    # ... while a restricted reader's search does read (and rank) them.
    boss = Principal("boss", "alder", AccessLevel.RESTRICTED)
    assert len(with_hidden.store.chunk_vectors(hidden_ids, access_filter(boss))) == 4  # type: ignore[attr-defined]
    assert any(h.chunk.doc_id in HIDDEN for h in with_hidden.search(QUERY, boss, k=8))
