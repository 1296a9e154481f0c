"""LanceDB's table-per-tenant layout: large tenants move to their own tables, only visible
tenants' tables are read, a row in the wrong table never reaches another tenant, a folder of
the former single-table layout is read as it is and migrated by optimize()."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from retrievers.access import AccessLevel, AccessViolation, Principal, access_filter
from retrievers.stores.base import StoreError, data_version
from retrievers.stores.lancedb import LanceDBStore, _rows, _schema, tenant_table_name
from tests.contract.store_contract import DIM, chunk, flt, ids, mix, unit


def three_tenants(store: LanceDBStore) -> dict[str, list]:
    out = {}
    for i, tenant in enumerate(("acme", "globex", "shared")):
        cs = [chunk(f"{tenant}-{d}.md", p, tenant=tenant, level=AccessLevel(p % 3), text=f"cutover ledger {tenant} {p}")
              for d in range(2) for p in range(3)]
        store.upsert(cs, np.stack([mix((i, 1.0), (3 + p % 5, 0.3)) for p in range(len(cs))]))
        out[tenant] = cs
    return out


def test_one_table_per_tenant_and_only_visible_tables_are_read(tmp_path):
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1)
    three_tenants(store)
    assert store.tables()[None].count_rows() == 18  # written to the common table first
    store.optimize()
    assert set(store.tables()) == {None, "acme", "globex", "shared"}
    assert store.tables()[None].count_rows() == 0
    assert store.count() == 18 == sum(t.count_rows() for t in store.tables().values())

    class Unreadable:
        def __getattr__(self, name):
            raise AssertionError(f"a forbidden tenant's table was read ({name})")

    store._parts["globex"].table = Unreadable()  # any read of globex's table fails the test
    store._parts[None].table = Unreadable()  # nor is the common table read: no visible tenant is left there
    f = flt("acme", AccessLevel.INTERNAL)
    assert {h.chunk.tenant_id for h in store.dense_search(unit(1), f, 20)} == {"acme", "shared"}
    assert {h.chunk.tenant_id for h in store.text_search("cutover ledger", f, 20)} == {"acme", "shared"}
    assert {d.tenant_id for d in store.list_documents(f)} == {"acme", "shared"}
    assert store.get_chunks([chunk("globex-0.md", tenant="globex").chunk_id], f) == []


def test_merged_top_k_equals_the_exact_top_k_over_visible_tenants(tmp_path):
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=20)
    rng = np.random.default_rng(5)
    cs, vs = [], []
    for i in range(90):
        tenant = ("acme", "acme", "globex", "shared", "shared", "shared")[i % 6]
        cs.append(chunk(f"d{i}.md", tenant=tenant, level=AccessLevel(i % 4), text=f"invoice approval {i}"))
        v = rng.normal(size=DIM).astype(np.float32)
        vs.append(v / np.linalg.norm(v))
    store.upsert(cs, np.stack(vs))
    store.optimize()
    assert set(store.tables()) == {None, "acme", "shared"}  # globex (15 chunks) stays in the common table
    for f in (flt("acme", AccessLevel.INTERNAL), flt("globex", AccessLevel.RESTRICTED)):
        for q in vs[:5]:
            allowed = sorted((cv for cv in zip(cs, vs, strict=True) if f.allows(cv[0])),
                             key=lambda cv: -float(cv[1] @ q))
            assert ids(store.dense_search(q, f, 7)) == [c.chunk_id for c, _ in allowed[:7]]
        assert len(store.text_search("invoice approval", f, 90)) == sum(f.allows(c) for c in cs)
        assert sum(d.chunks for d in store.list_documents(f)) == sum(f.allows(c) for c in cs)


def _put_raw(table, chunks) -> None:
    """Write rows straight into a LanceDB table, bypassing the store's routing (a mis-set table)."""
    table.add(pa.Table.from_pylist(_rows(chunks, np.stack([unit(0)] * len(chunks))), schema=_schema(DIM)))


def test_rows_in_the_wrong_tenant_table_never_reach_another_tenant(tmp_path):
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1)
    mine = chunk("mine.md", tenant="acme", text="renewal notice period")
    store.upsert([mine], np.stack([unit(1)]))
    store.upsert([chunk("theirs.md", tenant="globex", text="other")], np.stack([unit(2)]))
    store.optimize()
    # globex's rows land in acme's table (a routing bug, a hand-copied file, a restored backup)
    stray = [chunk(f"secret{i}.md", tenant="globex", level=AccessLevel.PUBLIC, text="renewal notice period secret")
             for i in range(5)]
    _put_raw(store.tables()["acme"], stray)
    store.optimize()
    stray_ids = {c.chunk_id for c in stray}
    for level in (AccessLevel.PARTNER, AccessLevel.INTERNAL, AccessLevel.RESTRICTED):
        f = flt("acme", level)
        dense = store.dense_search(unit(0), f, 10)
        text = store.text_search("renewal notice secret", f, 10)
        assert ids(dense) == ids(text) == [mine.chunk_id]  # top-k still filled with visible rows only
        assert store.get_chunks(sorted(stray_ids), f) == []
        assert {d.doc_id for d in store.list_documents(f)} == {"mine.md"}

    # Table files swapped: globex's folder now holds acme's rows and the reverse.
    store.close()
    root = tmp_path / "index"
    a, g = (root / f"{tenant_table_name(t)}.lance" for t in ("acme", "globex"))
    a.rename(root / "swap.lance")
    g.rename(a)
    (root / "swap.lance").rename(g)
    swapped = LanceDBStore(root, dim=DIM)
    f = flt("acme", AccessLevel.RESTRICTED)
    # acme's folder now holds only globex rows: the in-query tenant predicate rejects them all
    assert swapped.dense_search(unit(0), f, 10) == swapped.text_search("renewal notice other", f, 10) == []
    assert swapped.get_chunks([mine.chunk_id, *stray_ids], f) == []
    g = flt("globex", AccessLevel.RESTRICTED)
    got = swapped.dense_search(unit(1), g, 10) + swapped.text_search("renewal notice period", g, 10)
    assert got and {h.chunk.tenant_id for h in got} == {"globex"}  # its own rows, never acme's
    assert swapped.get_chunks([mine.chunk_id], g) == []


def test_the_recheck_catches_a_table_query_without_its_tenant_predicate(tmp_path, monkeypatch):
    # LanceDB's query (the in-process mirror off): its filter comes from filter_sql.
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1, mirror_max_rows=0)
    store.upsert([chunk("mine.md", tenant="acme")], np.stack([unit(1)]))
    store.optimize()
    _put_raw(store.tables()["acme"], [chunk("secret.md", tenant="globex")])
    import retrievers.stores.lancedb as mod

    # A broken filter compiler that drops the tenant predicate: the Python re-check must refuse.
    monkeypatch.setattr(mod, "filter_sql", lambda f, tenant=None: "approved = true")
    with pytest.raises(AccessViolation):
        store.dense_search(unit(0), flt("acme"), 10)


def test_the_recheck_catches_a_mirror_mask_without_its_tenant_rule(tmp_path, monkeypatch):
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1)
    store.upsert([chunk("mine.md", tenant="acme")], np.stack([unit(1)]))
    store.optimize()
    _put_raw(store.tables()["acme"], [chunk("secret.md", tenant="globex")])
    import retrievers.stores.lancedb as mod

    assert [h.chunk.doc_id for h in store.dense_search(unit(0), flt("acme"), 10)] == ["mine.md"]
    assert store.mirror_queries > 0  # the in-process mirror answered, and its mask kept globex out
    # A broken mask that keeps every row: the Python re-check must refuse.
    monkeypatch.setattr(mod._Mirror, "mask", lambda self, f, tenant: np.ones(self.rows, dtype=bool))
    with pytest.raises(AccessViolation):
        store.dense_search(unit(0), flt("acme"), 10, candidates=True)
    # Read in full, the row is re-checked as it is read and left out.
    assert [h.chunk.doc_id for h in store.dense_search(unit(0), flt("acme"), 10)] == ["mine.md"]


def _legacy_store(path, n_each: int = 400) -> tuple[LanceDBStore, list, np.ndarray]:
    """A data folder in the former layout: every tenant in one ``chunks`` table, FTS and ANN built."""
    old = LanceDBStore(path, dim=DIM, layout="single", ann_min_rows=600)
    rng = np.random.default_rng(2)
    cs = [chunk(f"{t}-{i // 10}.md", i % 10, tenant=t, level=AccessLevel(i % 4), text=f"hypercare window {t} {i}")
          for t in ("acme", "globex", "shared") for i in range(n_each)]
    vs = rng.normal(size=(len(cs), DIM)).astype(np.float32)
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    old.upsert(cs, vs)
    old.optimize()
    assert old.has_ann_index == (len(cs) >= 600) and set(old.tables()) == {None}
    return old, cs, vs


def test_a_single_table_folder_opens_as_it_is_and_optimize_migrates_it(tmp_path):
    old, cs, vs = _legacy_store(tmp_path / "index")
    f = flt("acme", AccessLevel.INTERNAL)
    before_dense = [ids(old.dense_search(q, f, 10, exact=True)) for q in vs[:5]]
    before_docs = old.list_documents()
    old.close()

    new = LanceDBStore(tmp_path / "index", ann_min_rows=300, tenant_table_min_rows=300)  # default layout
    assert new.dim == DIM and set(new.tables()) == {None} and new.has_ann_index  # the old indexes open
    assert [ids(new.dense_search(q, f, 10, exact=True)) for q in vs[:5]] == before_dense
    assert len(new.dense_search(vs[0], f, 10)) == 10
    new.optimize()  # every tenant holds 400 >= 300 chunks: each moves to its own table
    assert set(new.tables()) == {None, "acme", "globex", "shared"}
    assert new.tables()[None].count_rows() == 0
    assert new.count() == len(cs)
    assert new.list_documents() == before_docs
    assert [ids(new.dense_search(q, f, 10, exact=True)) for q in vs[:5]] == before_dense
    for tenant in ("acme", "globex", "shared"):  # each tenant table has its FTS and ANN index
        assert new._parts[tenant].has_fts and new._parts[tenant].has_ann
    assert len(new.text_search("hypercare window", f, 2000)) == sum(f.allows(c) for c in cs)
    seen = {c.chunk_id: v for batch, vecs in new.iter_all(100) for c, v in zip(batch, vecs, strict=True)}
    np.testing.assert_allclose(np.stack([seen[c.chunk_id] for c in cs]), vs, atol=1e-6)
    # and it is an ordinary store afterwards: writes go to the tenant's table
    v0 = data_version(new)
    assert new.delete_document("acme", "acme-0.md") == 10
    assert data_version(new) != v0 and new.count() == len(cs) - 10
    new.replace_document("acme", "acme-1.md", [chunk("acme-1.md", tenant="acme")], np.stack([unit(0)]))
    assert new.tables()[None].count_rows() == 0 and new.tables()["acme"].count_rows() == 400 - 19
    reopened = LanceDBStore(tmp_path / "index")
    assert reopened.count() == new.count() and set(reopened.tables()) == set(new.tables())
    with pytest.raises(StoreError):
        LanceDBStore(tmp_path / "index", layout="single")  # the single layout cannot read tenant tables


def _half_moved(path, cs) -> None:
    """A move of acme into its own table that stopped before acme's rows left the common table."""
    import lancedb

    table = lancedb.connect(str(path)).create_table(tenant_table_name("acme"), schema=_schema(DIM))
    acme = [c for c in cs if c.tenant_id == "acme"]
    table.add(pa.Table.from_pylist(_rows(acme[:30], np.stack([unit(0)] * 30)), schema=_schema(DIM)))


def test_a_reader_during_a_move_sees_each_chunk_once(tmp_path):
    store, cs, vs = _legacy_store(tmp_path / "index", n_each=50)
    store.close()
    live = LanceDBStore(tmp_path / "index", dim=DIM)
    _half_moved(tmp_path / "index", cs)  # the copy exists, the delete has not happened yet
    f = flt("acme", AccessLevel.RESTRICTED)
    hits = live.dense_search(unit(0), f, 150)
    assert len(ids(hits)) == len(set(ids(hits))) == 50 + 50  # acme + shared, none twice
    assert len(live.text_search("hypercare window", f, 200)) == 100
    assert sum(d.chunks for d in live.list_documents(f)) == 100
    assert len(live.get_chunks([c.chunk_id for c in cs], f)) == 100


def test_an_interrupted_move_is_undone_on_open(tmp_path):
    old, cs, _ = _legacy_store(tmp_path / "index", n_each=50)
    old.close()
    _half_moved(tmp_path / "index", cs)
    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=40)
    assert set(store.tables()) == {None} and store.count() == len(cs)  # the partial copy is gone
    store.optimize()
    assert set(store.tables()) == {None, "acme", "globex", "shared"} and store.count() == len(cs)
    assert len({c.chunk_id for batch in store.iter_chunks() for c in batch}) == len(cs)


def test_a_tenant_moves_to_its_own_table_at_the_threshold_and_is_indexed(tmp_path):
    store = LanceDBStore(tmp_path / "index", dim=DIM, ann_min_rows=300, tenant_table_min_rows=300)
    three_tenants(store)
    store.optimize()
    assert set(store.tables()) == {None}  # small tenants share the common table
    assert store._parts[None].has_fts and not store.has_ann_index  # small tables stay exact
    early = LanceDBStore(tmp_path / "index")  # opened before the new tenant's table exists
    rng = np.random.default_rng(1)
    big = [chunk(f"b{i // 10}.md", i % 10, tenant="initech", text=f"payroll run {i}") for i in range(320)]
    vs = rng.normal(size=(len(big), DIM)).astype(np.float32)
    store.upsert(big, vs / np.linalg.norm(vs, axis=1, keepdims=True))
    assert "initech" not in store.tables()
    store.optimize()
    assert store._parts["initech"].has_ann and store._parts["initech"].has_fts and store.has_ann_index
    assert set(store.tables()) == {None, "initech"} and store.tables()[None].count_rows() == 18
    f = access_filter(Principal("u", "initech", AccessLevel.PARTNER))
    assert len(store.dense_search(vs[0], f, 10)) == 10
    assert {h.chunk.tenant_id for h in store.text_search("payroll ledger", f, 400)} == {"initech", "shared"}
    # A store opened earlier on the same folder finds the table made since.
    assert len(early.dense_search(vs[0], f, 10)) == 10 and "initech" in early.tables()


def test_unknown_layout_is_refused(tmp_path):
    with pytest.raises(ValueError):
        LanceDBStore(tmp_path / "index", dim=DIM, layout="by-level")


def test_rows_of_several_tables_are_read_side_by_side_with_the_same_result(tmp_path):
    """hydrate() reads each visible table's kept candidates on the store's query threads at once;
    the chunks, their order and scores are those of reading the tables one after the other."""
    import threading

    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1, mirror_max_rows=0)
    three_tenants(store)
    store.optimize()
    f = flt("acme", AccessLevel.INTERNAL)
    hits = store.dense_search(unit(0), f, 12, candidates=True) + store.text_search("cutover ledger", f, 12,
                                                                                    candidates=True)
    assert {h.chunk.part for h in hits} == {"acme", "shared"}
    threads: list[str] = []
    read = store._read_rows

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return read(*args, **kwargs)

    store._read_rows = spy  # records where each table is read
    side_by_side = store.hydrate(hits, f)
    assert len(threads) == 2 and all(name.startswith("lancedb-query") for name in threads)
    store.concurrent_reads = False
    one_by_one = store.hydrate(hits, f)
    assert threads[2:] == [threading.current_thread().name] * 2
    assert [(h.chunk, h.score, h.source) for h in side_by_side] == [(h.chunk, h.score, h.source) for h in one_by_one]
    assert len(side_by_side) == len(hits) and all(h.chunk.text for h in side_by_side)


def test_tables_the_store_creates_are_written_in_its_file_format(tmp_path):
    """The common table and a tenant's own table (made when it moves) are Lance 2.1 files, whose
    rows read by id cost about half the CPU of LanceDB's default format."""
    from retrievers.stores.lancedb import FILE_FORMAT

    store = LanceDBStore(tmp_path / "index", dim=DIM, tenant_table_min_rows=1)
    three_tenants(store)
    store.optimize()
    major, minor = (int(x) for x in FILE_FORMAT.split("."))
    tables = sorted((tmp_path / "index").glob("*.lance"))
    assert len(tables) == 4  # the common table and three tenant tables
    for table in tables:
        files = list((table / "data").glob("*.lance"))
        assert files or table.name == "chunks.lance"  # the common table is empty after the moves
        for f in files:
            tail = f.read_bytes()[-8:]  # footer: major, minor (u16 little-endian), magic
            version = (int.from_bytes(tail[0:2], "little"), int.from_bytes(tail[2:4], "little"))
            assert tail[4:] == b"LANC" and version == (major, minor), f
