"""The IVF-PQ path of LanceDBStore: built above the threshold, pre-filter inside the query,
top-k full, close to exact search; the query-vector cache."""

from __future__ import annotations

import numpy as np
import pytest

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.embeddings import QueryVectorCache, normalize_query
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore

DIM = 32


def chunks_and_vectors(n: int, seed: int = 1) -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM)).astype(np.float32)
    vecs = centres[rng.integers(0, 20, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    tenants = ["alder", "birch", "shared"]
    out = []
    for i in range(n):
        t = tenants[i % 3]
        doc = f"d/{t}/{i // 10}.md"
        out.append(Chunk(chunk_id=chunk_uuid(t, doc, "1", i % 10), doc_id=doc, tenant_id=t,
                         access_level=AccessLevel(i % 4), doc_type="playbook", title="T", version="1",
                         position=i % 10, text=f"text {i}", index_text=f"text {i}", section_path=[],
                         char_start=0, char_end=6))
    return out, vecs


@pytest.fixture(scope="module")
def ann_store(tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("ann"), dim=DIM, ann_min_rows=1000, mirror_max_rows=0)
    chunks, vecs = chunks_and_vectors(3000)
    store.upsert(chunks, vecs)
    assert not store.has_ann_index
    store.optimize()
    return store, chunks, vecs


def test_index_is_built_above_the_threshold_only(tmp_path):
    small = LanceDBStore(tmp_path / "small", dim=DIM, ann_min_rows=1000)
    chunks, vecs = chunks_and_vectors(500)
    small.upsert(chunks, vecs)
    small.optimize()
    assert not small.has_ann_index


def test_ann_keeps_the_prefilter_and_a_full_top_k(ann_store):
    store, chunks, vecs = ann_store
    assert store.has_ann_index
    p = Principal("u", "alder", AccessLevel.PARTNER)
    flt = access_filter(p)
    by_id = {c.chunk_id: c for c in chunks}
    recalls = []
    for i in range(0, 3000, 97):
        # query right at a chunk the principal may NOT see (birch): it must never come back
        q = vecs[i] if chunks[i].tenant_id == "birch" else vecs[i] + 0.01
        got = store.dense_search(q, flt, 10)
        exact = store.dense_search(q, flt, 10, exact=True)
        assert len(got) == 10
        for h in got:
            c = by_id[h.chunk.chunk_id]
            assert c.tenant_id in ("alder", "shared") and c.access_level <= AccessLevel.PARTNER
        recalls.append(len({h.chunk.chunk_id for h in got} & {h.chunk.chunk_id for h in exact}) / 10)
    assert np.mean(recalls) >= 0.9


def test_rows_written_after_the_index_are_found(ann_store):
    store, _, _ = ann_store
    extra, vecs = chunks_and_vectors(3, seed=9)
    for c in extra:
        c.chunk_id = c.chunk_id[:-4] + "beef"
        c.tenant_id, c.access_level, c.doc_id = "alder", AccessLevel.PUBLIC, "d/alder/new.md"
    store.upsert(extra, vecs)
    got = store.dense_search(vecs[0], access_filter(Principal("u", "alder", AccessLevel.PUBLIC)), 1)
    assert got[0].chunk.chunk_id == extra[0].chunk_id


class CountingEmbedder:
    """Wraps the real embedder and counts model calls."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def encode(self, texts, batch_size=None):
        self.calls += 1
        return self.inner.encode(texts, batch_size)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def test_query_cache_reuses_vectors_of_the_same_normalised_text(embedder):
    counting = CountingEmbedder(embedder)
    cache = QueryVectorCache(counting, max_items=2)
    a = cache.vector("Who approves a  change request?")
    b = cache.vector("who approves a change REQUEST?")
    assert counting.calls == 1 and np.allclose(a, b)
    assert np.allclose(a, embedder.encode(["who approves a change request?"])[0], atol=1e-5)
    cache.vector("second")
    cache.vector("third")  # evicts the first (LRU of 2)
    cache.vector("who approves a change request?")
    assert counting.calls == 4
    assert normalize_query("Ｆｕｌｌ  width") == "full width"
    assert QueryVectorCache(counting, max_items=0).vector("x") is not None and counting.calls == 5


def test_a_wide_request_reranks_the_same_pool_and_keeps_its_top_ten(ann_store):
    """The retriever asks for 50 candidates: the re-rank pool stays refine_factor x 10, and the
    top 10 of the wide request are as close to exact search as a top-10 request."""
    store, chunks, vecs = ann_store
    assert store.refine_factor_for(10) == store.ann_refine_factor
    assert store.refine_factor_for(50) * 50 >= store.ann_refine_factor * 10
    assert store.refine_factor_for(50) < store.ann_refine_factor
    flt = access_filter(Principal("u", "alder", AccessLevel.INTERNAL))
    wide, narrow = [], []
    for i in range(0, 3000, 131):
        exact = {h.chunk.chunk_id for h in store.dense_search(vecs[i], flt, 10, exact=True)}
        got = store.dense_search(vecs[i], flt, 50)
        assert len(got) == 50
        wide.append(len({h.chunk.chunk_id for h in got[:10]} & exact) / 10)
        narrow.append(len({h.chunk.chunk_id for h in store.dense_search(vecs[i], flt, 10)} & exact) / 10)
    assert np.mean(wide) >= 0.9 and np.mean(wide) >= np.mean(narrow) - 0.05


def test_large_tables_index_the_access_columns_and_stale_entries_never_widen_access(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=1000, mirror_max_rows=0)
    chunks, vecs = chunks_and_vectors(1500, seed=4)
    store.upsert(chunks, vecs)
    store.optimize()
    indexed = {tuple(i.columns) for i in store.tables()[None].list_indices()}
    assert {("tenant_id",), ("access_level",), ("approved",), ("superseded",), ("valid_from",),
            ("valid_until",)} <= indexed
    p = Principal("u", "alder", AccessLevel.PARTNER)
    # after the indexes were built: one visible document is superseded, one is raised above the
    # caller's level by a new version, and new rows arrive that are not in any index yet
    target = next(c for c in chunks if c.tenant_id == "alder" and c.access_level <= AccessLevel.PARTNER)
    store.set_superseded("alder", target.doc_id, True)
    raised = next(c for c in chunks if c.tenant_id == "shared" and c.access_level == AccessLevel.PUBLIC)
    raised_chunks = [c for c in chunks if c.doc_id == raised.doc_id]
    for c in raised_chunks:
        c.access_level = AccessLevel.RESTRICTED
    store.replace_document("shared", raised.doc_id, raised_chunks,
                           np.stack([vecs[chunks.index(c)] for c in raised_chunks]))
    for i, c in enumerate(chunks):
        if c.doc_id in (target.doc_id, raised.doc_id):
            for q in (vecs[i], vecs[i] + 0.01):
                for hit in store.dense_search(q, access_filter(p), 10):
                    assert hit.chunk.doc_id not in (target.doc_id, raised.doc_id)
            for hit in store.text_search(c.text, access_filter(p), 10):
                assert hit.chunk.doc_id not in (target.doc_id, raised.doc_id)
    store.set_superseded("alder", target.doc_id, False)
    back = store.dense_search(vecs[chunks.index(target)], access_filter(p), 1)
    assert back[0].chunk.chunk_id == target.chunk_id
