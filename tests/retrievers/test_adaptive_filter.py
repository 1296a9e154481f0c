"""Adaptive filtering in LanceDBStore: a table the caller mostly sees is post-filtered (the access
``where`` still inside the query), and the results are exactly the pre-filtered query's, top-k full,
never a row the caller may not see; a post-filter that comes back short falls back to the pre-filter."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest

from retrievers.access import AccessLevel, to_ts
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore
from tests.contract.store_contract import NOW, chunk, flt

DIM = 16
WORDS = ["cutover", "ledger", "invoice", "renewal", "notice", "hypercare", "warranty", "payroll", "audit",
         "licence", "milestone", "escalation", "approval", "migration", "tenant", "release"]


def _unit_rows(rng: np.random.Generator, n: int, centre: np.ndarray | None = None) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    if centre is not None:
        v = centre + 0.2 * v
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _mixed_chunks(n: int, seed: int = 3) -> list[Chunk]:
    """Three tenants, four levels, and some rows the rule rejects for approval, supersession or validity."""
    rng = np.random.default_rng(seed)
    expired = to_ts(NOW - timedelta(days=1), 0)
    out = []
    for i in range(n):
        tenant = ("acme", "globex", "shared")[i % 3]
        extra: dict[str, object] = {}
        if i % 17 == 0:
            extra["approved"] = False
        if i % 19 == 0:
            extra["superseded"] = True
        if i % 23 == 0:
            extra["valid_until"] = expired
        # Texts of varying length and term counts, so BM25 scores rarely tie.
        text = " ".join(rng.choice(WORDS, size=4 + i % 13))
        out.append(chunk(f"{tenant}-{i // 4}.md", i % 4, tenant=tenant, level=AccessLevel(i % 4), text=text, **extra))
    return out


def _ranking(hits: list) -> list[tuple[str, float]]:
    return [(h.chunk.chunk_id, round(h.score, 5)) for h in hits]


def assert_same_ranking(got: list, want: list) -> None:
    """Same scores in the same order, and the same chunks wherever the score is tied with no other
    (in the list, or just past its end: a tie with the last score may fall either way)."""
    g, w = _ranking(got), _ranking(want)
    assert [s for _, s in g] == [s for _, s in w]
    scores = [s for _, s in w]
    untied = [i for i, s in enumerate(scores) if scores.count(s) == 1 and s != scores[-1]]
    assert [g[i][0] for i in untied] == [w[i][0] for i in untied]


def both(store: LanceDBStore, search, *args):
    """The same search with adaptive filtering on and with every query pre-filtered."""
    store.adaptive_filter = True
    adaptive = search(*args)
    store.adaptive_filter = False
    try:
        return adaptive, search(*args)
    finally:
        store.adaptive_filter = True


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    # Small tables pre-filter unless every row is visible (postfilter_min_rows): lowered here so
    # that a 600-row table takes the over-fetch path.
    # LanceDB's own queries: the in-process mirror (mirror_max_rows) would answer the dense ones.
    store = LanceDBStore(tmp_path_factory.mktemp("adaptive"), dim=DIM, ann_min_rows=10_000, postfilter_min_rows=0,
                         mirror_max_rows=0)
    chunks = _mixed_chunks(600)
    store.upsert(chunks, _unit_rows(np.random.default_rng(4), len(chunks)))
    store.optimize()
    return store, {c.chunk_id: c for c in chunks}


@pytest.mark.parametrize("level, path", [(AccessLevel.RESTRICTED, "post"), (AccessLevel.PUBLIC, "pre")])
def test_adaptive_results_equal_the_prefiltered_ones(mixed, level, path):
    store, by_id = mixed
    f = flt("acme", level, now=NOW)
    rng = np.random.default_rng(7)
    before = dict(store.filter_counts)
    for q in _unit_rows(rng, 12):
        for k in (5, 50):
            got, want = both(store, store.dense_search, q, f, k)
            assert len(got) == k
            assert_same_ranking(got, want)
            assert all(f.allows(by_id[h.chunk.chunk_id]) for h in got)
    for text in ("cutover", "renewal notice", "audit licence milestone", "payroll"):
        got, want = both(store, store.text_search, text, f, 20)
        assert got and len(got) == len(want)
        assert_same_ranking(got, want)
        assert all(f.allows(by_id[h.chunk.chunk_id]) for h in got)
    # acme at RESTRICTED sees more than half the table (acme + shared, minus the rejected rows):
    # post-filtered; at PUBLIC about a sixth: pre-filtered as before.
    assert store.filter_counts[path] - before[path] >= 24 + 4


def test_a_short_post_filter_falls_back_and_keeps_top_k_full(tmp_path):
    """The caller sees 60 % of the table, but every row near the query (and every row that matches
    the text best) belongs to another tenant: the post-filtered query finds none of its rows."""
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=10_000, postfilter_min_rows=0, mirror_max_rows=0)
    rng = np.random.default_rng(5)
    near = np.zeros(DIM, dtype=np.float32)
    near[0] = 1.0
    mine = [chunk(f"mine-{i}.md", tenant="acme", text=f"cutover {' '.join(WORDS[1 + i % 9:10])} plan {i}")
            for i in range(120)]
    theirs = [chunk(f"theirs-{i}.md", tenant="globex", text="cutover cutover cutover") for i in range(80)]
    store.upsert(mine, _unit_rows(rng, 120, centre=-near))
    store.upsert(theirs, _unit_rows(rng, 80, centre=near))
    store.optimize()
    f = flt("acme", AccessLevel.PARTNER, now=NOW)
    before = store.filter_counts["fallback"]
    dense, dense_pre = both(store, store.dense_search, near, f, 10)
    text, text_pre = both(store, store.text_search, "cutover", f, 10)
    # Full-text falls back; dense search over-fetches its candidate pool (window_pool, here the
    # whole 200-row table), so its post-filter already holds the caller's rows.
    assert store.filter_counts["fallback"] - before == 1
    assert len(dense) == len(text) == 10
    assert {h.chunk.tenant_id for h in dense + text} == {"acme"}
    assert_same_ranking(dense, dense_pre)
    assert_same_ranking(text, text_pre)


def test_counts_follow_writes_and_a_row_made_invisible_never_returns(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=10_000, mirror_max_rows=0)
    rng = np.random.default_rng(6)
    chunks = [chunk(f"doc-{i // 5}.md", i % 5, tenant=("acme", "shared")[i % 2], level=AccessLevel.PUBLIC,
                    text=" ".join(rng.choice(WORDS, size=3 + i % 11))) for i in range(200)]
    vecs = _unit_rows(rng, 200)
    store.upsert(chunks, vecs)
    store.optimize()
    f = flt("acme", AccessLevel.PARTNER, now=NOW)
    part = store._parts[None]
    assert part.access_stats().visible_share(f) == 1.0  # every row visible: no over-fetch at all
    top = store.dense_search(vecs[0], f, 5)[0].chunk
    assert top.chunk_id == chunks[0].chunk_id
    store.set_superseded(top.tenant_id, top.doc_id, True)
    # The write changed the table's version: the next search recounts in the background.
    stale = part.access_stats()
    assert stale.visible_share(f) == 1.0
    deadline = time.monotonic() + 30
    while part.access_stats().version != part.table.version and time.monotonic() < deadline:
        time.sleep(0.05)
    share = part.access_stats().visible_share(f)
    hidden = sum(c.tenant_id == top.tenant_id and c.doc_id == top.doc_id for c in chunks)
    assert share == pytest.approx(1 - hidden / 200) and part.access_stats().version == part.table.version
    got, want = both(store, store.dense_search, vecs[0], f, 10)
    assert len(got) == 10 and top.doc_id not in {h.chunk.doc_id for h in got}
    assert_same_ranking(got, want)
    got, want = both(store, store.text_search, chunks[0].text, f, 10)
    assert top.doc_id not in {h.chunk.doc_id for h in got}
    assert_same_ranking(got, want)


def test_an_indexed_table_the_caller_wholly_sees_gives_the_prefiltered_ann_results(tmp_path):
    """IVF-PQ: with every row visible, the post-filtered query ranks the same candidates."""
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=1000, mirror_max_rows=0)
    rng = np.random.default_rng(8)
    centres = rng.standard_normal((12, DIM)).astype(np.float32)
    n = 1500
    vecs = centres[rng.integers(0, 12, n)] + 0.4 * rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    chunks = [chunk(f"doc-{i // 10}.md", i % 10, tenant=("acme", "shared")[i % 2], level=AccessLevel(i % 2),
                    text=f"ledger {i}") for i in range(n)]
    store.upsert(chunks, vecs)
    store.optimize()
    assert store.has_ann_index
    f = flt("acme", AccessLevel.PARTNER, now=NOW)
    before = store.filter_counts["post"]
    for i in range(0, n, 97):
        got, want = both(store, store.dense_search, vecs[i] + 0.01, f, 50)
        assert len(got) == 50
        assert _ranking(got) == _ranking(want)
    assert store.filter_counts["post"] - before == len(range(0, n, 97))


def test_a_small_table_is_post_filtered_only_when_the_caller_sees_all_of_it(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=10_000, mirror_max_rows=0)
    rng = np.random.default_rng(9)
    chunks = [chunk(f"doc-{i}.md", tenant=("acme", "globex")[i % 2], text=f"ledger {i}") for i in range(60)]
    store.upsert(chunks, _unit_rows(rng, 60))
    store.optimize()
    q = _unit_rows(rng, 1)[0]
    store.dense_search(q, flt("acme", AccessLevel.PARTNER, now=NOW), 5)  # half the table: pre-filtered
    assert store.filter_counts == {"pre": 1, "post": 0, "fallback": 0}
    store.set_superseded("globex", "doc-1.md", True)
    store.replace_documents([("globex", c.doc_id, [], np.zeros((0, DIM), np.float32)) for c in chunks[1::2]])
    part = store._parts[None]
    deadline = time.monotonic() + 30
    while part.access_stats().version != part.table.version and time.monotonic() < deadline:
        time.sleep(0.05)  # the recount after the writes
    got = store.dense_search(q, flt("acme", AccessLevel.PARTNER, now=NOW), 5)  # now all of it
    assert store.filter_counts == {"pre": 1, "post": 1, "fallback": 0}
    assert len(got) == 5 and {h.chunk.tenant_id for h in got} == {"acme"}


def test_a_rare_term_in_a_wholly_visible_table_needs_no_fallback(tmp_path):
    """Every row visible at the searched version: fewer than k rows means fewer matched, and the
    post-filtered result is the pre-filtered one without a second query."""
    store = LanceDBStore(tmp_path / "idx", dim=DIM, ann_min_rows=10_000, mirror_max_rows=0)
    rng = np.random.default_rng(10)
    chunks = [chunk(f"doc-{i}.md", tenant="acme", text=("hypercare " if i % 20 == 0 else "") + f"ledger {i}")
              for i in range(100)]
    store.upsert(chunks, _unit_rows(rng, 100))
    store.optimize()
    f = flt("acme", AccessLevel.PARTNER, now=NOW)
    got, want = both(store, store.text_search, "hypercare", f, 10)
    assert len(got) == 5
    assert_same_ranking(got, want)
    assert store.filter_counts == {"pre": 1, "post": 1, "fallback": 0}
