"""Search candidates without their text: the store ranks on id, document, title and access
columns, and reads the rows kept after fusion in full. Results must equal the full-row search,
and a row changed between the two reads is read again under the access filter."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.retriever import Retriever
from retrievers.schema import ScoredChunk
from retrievers.stores.lancedb import CandidateChunk, LanceDBStore
from tests.conftest import DEMO_CORPUS
from tests.retrievers.lance_faults import rows_raised_on_take
from tests.retrievers.test_ann import DIM, chunks_and_vectors


class FullRows:
    """The same store answering every search with full rows, as before candidates existed (as a
    store that cannot leave the text out may)."""

    def __init__(self, inner: LanceDBStore):
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def dense_search(self, vector, flt, k, *, candidates=False):
        return self._inner.dense_search(vector, flt, k)

    def text_search(self, query, flt, k, *, candidates=False):
        return self._inner.text_search(query, flt, k)

    def hydrate(self, hits, flt):
        return hits


def _same(a: list[ScoredChunk], b: list[ScoredChunk]) -> None:
    assert [(dataclasses.asdict(h.chunk), h.score, h.source, h.ranks) for h in a] == \
        [(dataclasses.asdict(h.chunk), h.score, h.source, h.ranks) for h in b]
    assert not any(isinstance(h.chunk, CandidateChunk) for h in a)


@pytest.mark.parametrize("mode, doc_weight", [("hybrid", 0.0), ("hybrid", 0.05), ("dense", 0.0), ("fulltext", 0.0)])
def test_candidate_search_returns_what_the_full_row_search_returns(demo_services, mode, doc_weight):
    store = demo_services.retriever.store
    cases = [json.loads(line) for line in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if line.strip()]
    # Document evidence ranks candidates by their documents: it needs no text either.
    settings = dict(rrf_k=demo_services.retriever.rrf_k, candidates=demo_services.retriever.candidates,
                    dense_weight=demo_services.retriever.weights["dense"],
                    fulltext_weight=demo_services.retriever.weights["fulltext"], doc_weight=doc_weight,
                    doc_source="lists")
    retriever = Retriever(store, demo_services.retriever.embedder, **settings)
    before = Retriever(FullRows(store), demo_services.retriever.embedder, **settings)
    compared = 0
    for case in cases[::4]:
        p = case.get("principal") or {}
        level = AccessLevel[str(p.get("access_level", "public")).upper()]
        principal = Principal("u", str(p.get("tenant_id", "")), level)
        for k in (1, 10):
            got = retriever.search(case["question"], principal, k=k, mode=mode)
            _same(got, before.search(case["question"], principal, k=k, mode=mode))
            compared += bool(got)
    assert compared >= 20


@pytest.fixture(scope="module")
def tenant_tables(tmp_path_factory):
    """Tenants in tables of their own with an IVF-PQ index each, beside the common table."""
    store = LanceDBStore(tmp_path_factory.mktemp("cand"), dim=DIM, ann_min_rows=500, tenant_table_min_rows=900)
    chunks, vecs = chunks_and_vectors(3000)
    store.upsert(chunks, vecs)
    store.optimize()
    assert len(store.tables()) > 1 and store.has_ann_index
    return store, chunks, vecs


@pytest.mark.parametrize("level", [AccessLevel.PUBLIC, AccessLevel.RESTRICTED])
def test_candidates_read_in_full_equal_full_rows_in_every_table_layout(tenant_tables, level):
    store, _, vecs = tenant_tables
    flt = access_filter(Principal("u", "alder", level))
    for i in range(0, 3000, 301):
        full = store.dense_search(vecs[i], flt, 50)
        cands = store.dense_search(vecs[i], flt, 50, candidates=True)
        assert all(isinstance(h.chunk, CandidateChunk) and h.chunk.text == "" for h in cands)
        assert [(h.chunk.chunk_id, h.score) for h in cands] == [(h.chunk.chunk_id, h.score) for h in full]
        _same(store.hydrate(cands, flt), full)
        q = f"text {i}"
        _same(store.hydrate(store.text_search(q, flt, 50, candidates=True), flt), store.text_search(q, flt, 50))


def test_a_candidate_changed_before_it_is_read_is_read_again_under_the_filter(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM)
    chunks, vecs = chunks_and_vectors(300)
    store.upsert(chunks, vecs)
    store.optimize()
    flt = access_filter(Principal("u", "alder", AccessLevel.PARTNER))
    cands = store.dense_search(vecs[0], flt, 10, candidates=True)
    by_id = {c.chunk_id: c for c in chunks}
    raised, edited = (dataclasses.replace(by_id[h.chunk.chunk_id]) for h in cands[:2])
    raised.access_level = AccessLevel.RESTRICTED
    edited.text = "edited text"
    store.upsert([raised, edited], np.stack([vecs[chunks.index(by_id[c.chunk_id])] for c in (raised, edited)]))
    got = store.hydrate(cands, flt)
    ids = [h.chunk.chunk_id for h in got]
    assert raised.chunk_id not in ids  # now above the caller's level: left out, never returned
    assert got[0].chunk.chunk_id == edited.chunk_id and got[0].chunk.text == "edited text"
    assert ids == [h.chunk.chunk_id for h in cands if h.chunk.chunk_id != raised.chunk_id]
    assert all(flt.allows(h.chunk) for h in got)


def test_a_row_read_by_row_id_counts_only_if_the_filter_still_allows_it(tmp_path, monkeypatch):
    # The read by row id returns every row as if re-ingested at RESTRICTED since the search (row ids
    # are not stable across compaction): none may be taken from it; the rows are read again by id.
    store = LanceDBStore(tmp_path / "idx", dim=DIM)
    chunks, vecs = chunks_and_vectors(300)
    store.upsert(chunks, vecs)
    store.optimize()
    flt = access_filter(Principal("u", "alder", AccessLevel.PARTNER))
    cands = store.dense_search(vecs[3], flt, 10, candidates=True)
    rows_raised_on_take(monkeypatch, store._parts[None])
    got = store.hydrate(cands, flt)
    assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in cands]
    assert all(h.chunk.access_level <= AccessLevel.PARTNER for h in got)
    _same(got, store.dense_search(vecs[3], flt, 10))


def test_a_hit_gone_before_it_is_read_is_replaced_by_the_next_candidate(tmp_path, embedder):
    texts = [f"Priority {i} incidents receive a first response within {10 * i} minutes." for i in range(1, 7)]
    chunks = [dataclasses.replace(chunks_and_vectors(1)[0][0], chunk_id=f"c{i}", doc_id=f"d{i}", tenant_id="alder",
                                  access_level=AccessLevel.INTERNAL, text=t, index_text=t)
              for i, t in enumerate(texts)]

    class RaisedBetweenTheReads(LanceDBStore):
        """Raises the first hit's document above the caller's level right before the hits are read."""

        seen: list = []

        def hydrate(self, hits, flt):
            if not self.seen:
                first = next(c for c in chunks if c.chunk_id == hits[0].chunk.chunk_id)
                self.upsert([dataclasses.replace(first, access_level=AccessLevel.RESTRICTED)],
                            embedder.encode([first.text]))
            self.seen.append([h.chunk.chunk_id for h in hits])
            return super().hydrate(hits, flt)

    store = RaisedBetweenTheReads(tmp_path / "idx", dim=embedder.dim)
    store.upsert(chunks, embedder.encode(texts))
    got = Retriever(store, embedder).search("first response for priority incidents",
                                            Principal("u", "alder", AccessLevel.INTERNAL), k=3)
    first, *_ = store.seen[0]
    assert len(got) == 3 and first not in [h.chunk.chunk_id for h in got]
    assert [h.chunk.chunk_id for h in got] == store.seen[0][1:] + store.seen[1]
    assert all(h.chunk.access_level <= AccessLevel.INTERNAL and h.chunk.text for h in got)
