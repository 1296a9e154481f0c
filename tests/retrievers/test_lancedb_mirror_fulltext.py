"""Full-text candidates whose columns come from the in-process copy of the table: the same hits as
LanceDB reading those columns itself (ids, order, scores, row ids, access columns), and LanceDB
reads them whenever the copy may not be the version the query ran at."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from retrievers.access import AccessLevel, Principal, access_filter
from retrievers.stores.lancedb import LanceDBStore, _Part
from tests.retrievers.test_lancedb_mirror import DIM, NOW, TENANTS, _data, _filters

WORDS = [f"w{i}" for i in range(40)]


def _worded(seed: int, n: int) -> tuple[list, list]:
    """The mirror tests' chunks (tenants, levels, hidden rows, repeated windows) with texts of a
    small vocabulary, so that queries match many rows and scores tie."""
    chunks, windows = _data(n, seed=seed)
    rng = random.Random(seed)
    out = []
    for c in chunks:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        out.append(replace(c, text=text, index_text=text))
    return out, windows


def _queries(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 4))) for _ in range(count)]


def _hits(hits: list) -> list:
    return [(h.chunk, h.score, h.source) for h in hits]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    path = tmp_path_factory.mktemp("mirror-fts")
    chunks, windows = _worded(3, 600)
    mirrored = LanceDBStore(path, dim=DIM, mirror_background=False)
    mirrored.upsert(chunks, windows)
    mirrored.optimize()
    mirrored.ensure_indexes()
    # LanceDB reading every column itself, over the same folder: the reference.
    reference = LanceDBStore(path, dim=DIM, mirror_max_rows=0)
    q = np.ones(DIM, dtype=np.float32)
    mirrored.dense_search(q, access_filter(Principal("v", "alder", AccessLevel.PUBLIC), NOW), 1)  # loads the copy
    return mirrored, reference, chunks


@pytest.mark.parametrize("k", [5, 50])
def test_candidates_from_the_copy_equal_lancedbs_over_random_filters(stores, k):
    mirrored, reference, chunks = stores
    rng = random.Random(k)
    before = mirrored.mirror_text_queries
    filters = _filters(rng, chunks, 60)
    for f, q in zip(filters, _queries(rng, len(filters)), strict=True):
        got = mirrored.text_search(q, f, k, candidates=True)
        want = reference.text_search(q, f, k, candidates=True)
        assert _hits(got) == _hits(want)
        # The kept candidates read in full are the same rows too.
        assert _hits(mirrored.hydrate(got, f)) == _hits(reference.hydrate(want, f))
    assert mirrored.mirror_text_queries - before == sum(1 for f in filters if not f.empty)


def test_full_rows_are_still_read_by_lancedb(stores):
    """Only the candidate query takes columns from the copy; a full-row search reads LanceDB."""
    mirrored, reference, _ = stores
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    before = mirrored.mirror_text_queries
    assert _hits(mirrored.text_search("w1 w2", f, 20)) == _hits(reference.text_search("w1 w2", f, 20))
    assert mirrored.mirror_text_queries == before


def test_a_write_while_the_query_runs_sends_it_to_lancedb(tmp_path, monkeypatch):
    """Another process's write lands between the copy's version check and the query: the query then
    ran at a newer version than the copy, so the columns must come from LanceDB."""
    chunks, windows = _worded(5, 200)
    writer = LanceDBStore(tmp_path, dim=DIM)
    writer.upsert(chunks, windows)
    writer.ensure_indexes()
    reader = LanceDBStore(tmp_path, dim=DIM, read_consistency_s=0, mirror_background=False)
    reference = LanceDBStore(tmp_path, dim=DIM, read_consistency_s=0, mirror_max_rows=0)
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    reader.dense_search(np.ones(DIM, dtype=np.float32), f, 1)  # loads the copy
    query = "w3 w7"
    assert reader.text_search(query, f, 50, candidates=True)
    assert reader.mirror_text_queries == 1
    victim = reader.text_search(query, f, 50, candidates=True)[0].chunk
    assert reader.mirror_text_queries == 2

    real = _Part.access_stats  # called after the copy's version check, before the query runs

    def write_then_plan(part, version=None):
        writer.delete_document(victim.tenant_id, victim.doc_id)
        monkeypatch.setattr(_Part, "access_stats", real)
        return real(part, version)

    monkeypatch.setattr(_Part, "access_stats", write_then_plan)
    got = reader.text_search(query, f, 50, candidates=True)
    assert reader.mirror_text_queries == 2  # the version moved: LanceDB read the columns
    assert victim.doc_id not in {h.chunk.doc_id for h in got}
    assert _hits(got) == _hits(reference.text_search(query, f, 50, candidates=True))


def test_rows_the_copy_does_not_hold_as_lancedb_has_them_are_refused(stores):
    mirrored, _, _ = stores
    mirror = mirrored._parts[None].current_mirror()
    assert mirror is not None
    held = mirror.row_id[:5]
    pos = mirror.positions(held)
    assert pos is not None and [mirror.candidate(int(i))["_rowid"] for i in pos] == held.tolist()
    assert mirror.positions(np.concatenate([held, [held.max() + 10_000]])) is None
    first = int(pos[0])
    mirror.known[first] = False  # as a row with a NULL access column
    try:
        assert mirror.positions(held) is None
    finally:
        mirror.known[first] = True

