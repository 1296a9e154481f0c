"""The in-process mirror of small LanceDB tables (``_Mirror``): its dense results equal LanceDB's
flat query (same ids in the same order, same scores), its access mask equals the SQL filter (NULLs
included), it never returns another tenant's, a hidden or a deleted row, and it sees a write, this
process's or another's, exactly when a LanceDB query does."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from retrievers.access import MAX_TS, MIN_TS, AccessLevel, Principal, access_filter, to_ts
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore, _rows, _schema, filter_sql

DIM = 16
TENANTS = ("alder", "birch", "cedar", "shared")
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _chunk(i: int, rng: random.Random) -> Chunk:
    tenant = TENANTS[i % 4]
    doc = f"d/{tenant}/{i // 6}.md"
    # Some rows hidden by approval, supersession or validity, as ingested documents can be.
    valid_from, valid_until = MIN_TS, MAX_TS
    if i % 11 == 0:
        valid_from = to_ts(NOW + timedelta(days=rng.choice([-30, 30])), MIN_TS)
    if i % 13 == 0:
        valid_until = to_ts(NOW + timedelta(days=rng.choice([-10, 10])), MAX_TS)
    return Chunk(chunk_id=chunk_uuid(tenant, doc, "1", i % 6), doc_id=doc, tenant_id=tenant,
                 access_level=AccessLevel(rng.randrange(4)), doc_type="guide", title=f"T{i // 6}", version="1",
                 position=i % 6, text=f"text {i}", index_text=f"text {i}", section_path=[], char_start=0,
                 char_end=6, approved=i % 17 != 0, superseded=i % 19 == 0, valid_from=valid_from,
                 valid_until=valid_until)


def _data(n: int, seed: int = 5) -> tuple[list[Chunk], list[np.ndarray]]:
    """Chunks of 1-4 windows around a few topics; every seventh chunk repeats an earlier chunk's
    windows exactly (ties, in the same tenant and across tenants)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    topics = nrng.standard_normal((6, DIM)).astype(np.float32)
    chunks: list[Chunk] = []
    windows: list[np.ndarray] = []
    for i in range(n):
        chunks.append(_chunk(i, rng))
        if i >= 7 and i % 7 == 0:
            windows.append(windows[rng.randrange(i)].copy())
            continue
        w = topics[nrng.integers(6)] + nrng.standard_normal((int(nrng.integers(1, 5)), DIM)).astype(np.float32)
        windows.append(w.astype(np.float32))
    return chunks, windows


def _filters(rng: random.Random, chunks: list[Chunk], count: int) -> list:
    out = []
    for _ in range(count):
        tenant = rng.choice([*TENANTS, "nobody"])
        acting = frozenset(rng.sample(TENANTS, rng.randint(0, 2))) if rng.random() < 0.3 else frozenset()
        p = Principal("u", tenant, AccessLevel(rng.randrange(4)), acting_for=acting)
        now = NOW + timedelta(days=rng.choice([0, 0, 0, -20, 20, 400]))
        docs = None
        if rng.random() < 0.25:
            docs = rng.sample(sorted({c.doc_id for c in chunks}), rng.randint(0, 12))
        out.append(access_filter(p, now, docs))
    return out


def _same_ranking(got: list, want: list) -> None:
    """Same scores rank by rank; same ids rank by rank, except that rows of one score (exact ties)
    may come in any order among themselves: those are compared as sets."""
    assert len(got) == len(want)
    np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-5)
    i = 0
    while i < len(want):
        j = i + 1
        while j < len(want) and abs(want[j].score - want[i].score) <= 1e-6:
            j += 1
        ids_got = {h.chunk.chunk_id for h in got[i:j]}
        ids_want = {h.chunk.chunk_id for h in want[i:j]}
        if j < len(want):  # a run of ties cut by k may hold any of the tied rows
            assert ids_got == ids_want, (i, j)
        i = j


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    path = tmp_path_factory.mktemp("mirror")
    chunks, windows = _data(700)
    mirrored = LanceDBStore(path, dim=DIM, mirror_background=False)
    mirrored.upsert(chunks, windows)
    mirrored.optimize()
    # LanceDB's flat query over the same folder: the reference.
    flat = LanceDBStore(path, dim=DIM, mirror_max_rows=0)
    flat.exact_search = True
    return mirrored, flat, chunks


def test_mirror_results_equal_lancedb_flat_query_over_random_filters(stores):
    mirrored, flat, chunks = stores
    rng = random.Random(3)
    qrng = np.random.default_rng(3)
    before = mirrored.mirror_queries
    checked = nonempty = 0
    for f in _filters(rng, chunks, 60):
        q = qrng.standard_normal(DIM).astype(np.float32)
        for k in (5, 50):
            for candidates in (True, False):
                got = mirrored.dense_search(q, f, k, candidates=candidates)
                want = flat.dense_search(q, f, k, candidates=candidates)
                _same_ranking(got, want)
                assert all(f.allows(h.chunk) for h in got)
                if not candidates and [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in want]:
                    assert [h.chunk for h in got] == [h.chunk for h in want]  # rows read in full alike
                elif candidates:
                    full = mirrored.hydrate(got, f)
                    assert [h.chunk for h in full] == [h.chunk for h in flat.hydrate(got, f)]
                checked += 1
                nonempty += bool(want)
    assert mirrored.mirror_queries > before  # the mirror answered (the test compares two paths)
    assert mirrored.mirror_reads > 0 and flat.mirror_queries == flat.mirror_reads == 0
    assert nonempty > checked // 2


def test_exact_ties_rank_as_lancedb_ranks_them(stores):
    mirrored, flat, chunks = stores
    # A query at a window repeated by several chunks: their scores tie exactly.
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    _, windows = _data(700)
    for i in (14, 21, 28, 35):
        got = mirrored.dense_search(windows[i][0], f, 20, candidates=True)
        want = flat.dense_search(windows[i][0], f, 20, candidates=True)
        _same_ranking(got, want)
        assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in want]


def _put_raw(table, rows: list[dict]) -> None:
    table.add(pa.Table.from_pylist(rows, schema=_schema(DIM)))


def test_mask_equals_the_sql_filter_including_null_columns(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM, mirror_background=False)
    chunks, windows = _data(120, seed=9)
    rows = _rows(chunks, windows)
    # NULLs in the nullable access columns: SQL rejects such a row whatever the other columns say.
    for i, col in enumerate(("approved", "superseded", "valid_from", "valid_until")):
        for r in rows[i * 5 : i * 5 + 3]:
            r[col] = None
    _put_raw(store.tables()[None], rows)
    part = store._parts[None]
    mirror = part.fresh_mirror(store.mirror_max_rows, DIM, False)
    assert mirror is not None and mirror.rows == 120
    rng = random.Random(1)
    for f in _filters(rng, chunks, 80):
        for tenant in (None, *f.tenants):
            sql = {r["chunk_id"] for r in part.table.search().where(filter_sql(f, tenant)).select(["chunk_id"])
                   .limit(None).to_arrow().to_pylist()}
            masked = {mirror.chunk_id[i] for i in np.flatnonzero(mirror.mask(f, tenant))}
            assert masked == sql


def test_another_tenants_identical_vector_is_never_returned(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM)
    rng = random.Random(2)
    v = np.random.default_rng(2).standard_normal(DIM).astype(np.float32)
    far = -v
    mine = _chunk(0, rng)  # alder's
    mine = Chunk(**{**mine.__dict__, "access_level": AccessLevel.PUBLIC, "approved": True, "superseded": False,
                    "valid_from": MIN_TS, "valid_until": MAX_TS})
    theirs = Chunk(**{**mine.__dict__, "tenant_id": "birch", "doc_id": "d/birch/x.md",
                      "chunk_id": chunk_uuid("birch", "d/birch/x.md", "1", 0)})
    store.upsert([mine, theirs], [far[None, :], v[None, :]])  # birch's row is the exact match
    alder = access_filter(Principal("u", "alder", AccessLevel.RESTRICTED), NOW)
    hits = store.dense_search(v, alder, 10)
    assert [h.chunk.chunk_id for h in hits] == [mine.chunk_id]
    assert store.mirror_queries > 0
    # Negative guard: a caller acting for birch does get birch's row, first.
    both = access_filter(Principal("u", "alder", AccessLevel.RESTRICTED, acting_for=frozenset({"birch"})), NOW)
    assert [h.chunk.chunk_id for h in store.dense_search(v, both, 10)] == [theirs.chunk_id, mine.chunk_id]


def _wait_for_mirror(store: LanceDBStore) -> None:
    """Until every table's mirror holds its current version (the reload runs in a thread)."""
    deadline = time.monotonic() + 30
    for part in store._all_parts():
        while time.monotonic() < deadline:
            part._mirror_next = 0.0
            if part.fresh_mirror(store.mirror_max_rows, store.dim, True) is not None:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("mirror not reloaded")


def test_a_write_is_seen_by_the_next_query_and_a_deleted_or_hidden_row_never_returned(tmp_path):
    store = LanceDBStore(tmp_path / "idx", dim=DIM)  # default: reload in the background
    chunks, windows = _data(200, seed=4)
    store.upsert(chunks, windows)
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    q = np.random.default_rng(8).standard_normal(DIM).astype(np.float32)
    store.dense_search(q, f, 10)
    assert store.mirror_queries == 1
    new = Chunk(**{**chunks[1].__dict__, "chunk_id": chunk_uuid("birch", "d/birch/new.md", "1", 0),
                   "doc_id": "d/birch/new.md", "access_level": AccessLevel.PUBLIC, "approved": True,
                   "superseded": False, "valid_from": MIN_TS, "valid_until": MAX_TS})
    store.upsert([new], [q[None, :]])
    for reloaded in (False, True):
        if reloaded:
            _wait_for_mirror(store)
            before = store.mirror_queries
        assert store.dense_search(q, f, 10)[0].chunk.chunk_id == new.chunk_id
        if reloaded:
            assert store.mirror_queries == before + 1
    store.set_superseded("birch", new.doc_id, True)
    for reloaded in (False, True):
        if reloaded:
            _wait_for_mirror(store)
        assert new.chunk_id not in {h.chunk.chunk_id for h in store.dense_search(q, f, 50)}
    store.set_superseded("birch", new.doc_id, False)
    store.delete_document("birch", new.doc_id)
    for reloaded in (False, True):
        if reloaded:
            _wait_for_mirror(store)
        got = store.dense_search(q, f, 50, candidates=True)
        assert new.chunk_id not in {h.chunk.chunk_id for h in got} and len(got) == 50


@pytest.mark.parametrize("consistency", [0, None])
def test_another_process_write_is_seen_within_the_same_bound_as_lancedb(tmp_path, consistency):
    chunks, windows = _data(60, seed=6)
    writer = LanceDBStore(tmp_path, dim=DIM)
    writer.upsert(chunks, windows)
    # A second connection to the same folder is what another worker process holds.
    reader = LanceDBStore(tmp_path, dim=DIM, read_consistency_s=consistency, mirror_background=False)
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    q = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    top = reader.dense_search(q, f, 5)[0].chunk
    assert reader.mirror_queries == 1
    writer.delete_document(top.tenant_id, top.doc_id)
    got = {h.chunk.doc_id for h in reader.dense_search(q, f, 5)}
    assert reader.mirror_queries == 2
    if consistency == 0:
        assert top.doc_id not in got  # seen at once, as a LanceDB query sees it
    else:
        assert top.doc_id in got  # no bound: the version it opened, as a LanceDB query keeps it


def test_a_table_above_the_size_goes_to_lancedb(tmp_path):
    chunks, windows = _data(100, seed=7)
    small = LanceDBStore(tmp_path / "a", dim=DIM, mirror_max_rows=99)
    small.upsert(chunks, windows)
    f = access_filter(Principal("v", "shared", AccessLevel.RESTRICTED, acting_for=frozenset(TENANTS)), NOW)
    q = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    hits = small.dense_search(q, f, 10)
    assert small.mirror_queries == 0 and len(hits) == 10
    assert small._parts[None].mirror is None  # nothing held in memory


def test_warm_loads_every_small_table_before_the_first_search(tmp_path):
    chunks, windows = _data(120, seed=6)
    LanceDBStore(tmp_path / "idx", dim=DIM).upsert(chunks, windows)
    store = LanceDBStore(tmp_path / "idx", dim=DIM)  # a fresh process's view: nothing loaded
    assert all(p.current_mirror() is None for p in store._all_parts())
    assert store.warm() == len(store._all_parts())
    assert all(p.current_mirror() is not None for p in store._all_parts())
    f = access_filter(Principal("v", "alder", AccessLevel.RESTRICTED), NOW)
    store.dense_search(np.ones(DIM, dtype=np.float32), f, 5)
    assert store.mirror_queries == 1  # answered from the copy warm() loaded
    off = LanceDBStore(tmp_path / "idx", dim=DIM, mirror_max_rows=0)
    assert off.warm() == 0 and all(p.current_mirror() is None for p in off._all_parts())
