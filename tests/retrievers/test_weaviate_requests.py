"""Request construction of the Weaviate store, NOT live verification.

No Weaviate server can run here, so these tests drive ``WeaviateStore`` against
``RecordingClient``, a stand-in for ``weaviate.WeaviateClient`` that only records
the calls it receives and returns canned objects. They check what the store
asks for (tenant names, filters, hybrid parameters, batch handling and write
order) and how it treats what comes back. Whether Weaviate executes those
requests as intended is checked by ``tests/contract`` against a live server
(``WEAVIATE_URL``).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from weaviate.collections.classes.filters import _FilterAnd, _FilterValue

from retrievers.access import AccessLevel, AccessViolation
from retrievers.stores.weaviate import (
    RETURN_PROPERTIES,
    SEARCH_PROPERTIES,
    VECTOR_NAME,
    WINDOW_PROPERTY,
    WeaviateBatchError,
    WeaviateConfig,
    WeaviateStore,
    chunk_properties,
    config_from_settings,
    object_uuid,
    weaviate_tenant_name,
)
from tests.contract.store_contract import DIM, chunk, flt, unit

# --- the recording stand-in ---------------------------------------------------------


class _Handle:
    def __init__(self, client: RecordingClient, tenant: str):
        self._c, self._t = client, tenant
        self.query = SimpleNamespace(**{m: self._rec(m) for m in ("near_vector", "bm25", "hybrid", "fetch_objects")})
        self.data = SimpleNamespace(**{m: self._rec(m) for m in ("insert_many", "delete_many", "update")})
        self.iterator = self._rec("iterator")

    def _rec(self, method: str):
        def call(*args: Any, **kwargs: Any) -> Any:
            if args:  # insert_many(objects) is positional in the client API
                kwargs = {"args": args, **kwargs}
            self._c.calls.append((self._t, method, kwargs))
            reply = self._c.replies.get((self._t, method))
            if callable(reply):
                return reply(kwargs)
            if method == "iterator":
                return list(reply or [])
            if method == "insert_many":
                return reply or SimpleNamespace(errors={})
            if method == "delete_many":
                return reply or SimpleNamespace(failed=0, successful=len(getattr(kwargs["where"], "value", None) or []))
            return SimpleNamespace(objects=list(reply or []))

        return call


class RecordingClient:
    """Records requests; ``replies[(tenant, method)]`` holds canned answers (list, object or callable)."""

    def __init__(self, tenants: set[str] | None = None, exists: bool = False):
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.replies: dict[tuple[str, str], Any] = {}
        self.tenant_names = set(tenants or ())
        self.created: dict[str, Any] = {}
        self._exists = exists
        self.added_properties: list[Any] = []
        coll = SimpleNamespace(
            with_tenant=lambda name: _Handle(self, name),
            tenants=SimpleNamespace(get=self._get_tenants, create=self._create_tenants),
            config=SimpleNamespace(get=self._get_config, add_property=self.added_properties.append),
        )
        self.collections = SimpleNamespace(
            exists=lambda name: self._exists,
            create=self._create,
            get=lambda name: coll,
        )

    def _create(self, name: str, **kwargs: Any) -> None:
        self.created = {"name": name, **kwargs}
        self._exists = True

    def _get_config(self) -> Any:
        # A collection made elsewhere (``exists``) has the schema from before window vectors.
        props = self.created.get("properties") or [SimpleNamespace(name=n) for n in RETURN_PROPERTIES]
        return SimpleNamespace(properties=[*props, *self.added_properties])

    def _get_tenants(self) -> dict[str, Any]:
        return {n: SimpleNamespace(name=n) for n in self.tenant_names}

    def _create_tenants(self, tenants: list[Any]) -> None:
        self.calls.append(("", "tenants.create", {"names": [t.name for t in tenants]}))
        self.tenant_names |= {t.name for t in tenants}

    def of(self, method: str) -> list[tuple[str, dict[str, Any]]]:
        return [(t, kw) for t, m, kw in self.calls if m == method]


def obj(c, distance: float = 0.0, score: float = 0.0, vector=None) -> SimpleNamespace:
    return SimpleNamespace(
        uuid=object_uuid(c.chunk_id),
        properties=chunk_properties(c),
        metadata=SimpleNamespace(distance=distance, score=score),
        vector={VECTOR_NAME: list(vector if vector is not None else unit(0))},
    )


def flat(f: Any) -> list[tuple[str, str, Any]]:
    """A filter tree as sorted (target, operator, value) leaves under one AND."""
    assert isinstance(f, _FilterAnd), f
    out = []
    for leaf in f.filters:
        if isinstance(leaf, _FilterAnd):
            out.extend(flat(leaf))
        else:
            assert isinstance(leaf, _FilterValue)
            out.append((str(leaf.target), leaf.operator.value, leaf.value))
    return sorted(out, key=repr)


def rule(tenant: str, level: int, now: int, doc_ids=None) -> list[tuple[str, str, Any]]:
    leaves = [
        ("tenant_id", "Equal", tenant),
        ("access_rank", "LessThanEqual", level),
        ("approved", "Equal", True),
        ("superseded", "Equal", False),
        ("valid_from", "LessThanEqual", now),
        ("valid_until", "GreaterThan", now),
    ]
    if doc_ids is not None:
        leaves.append(("doc_id", "ContainsAny", list(doc_ids)))
    return sorted(leaves, key=repr)


def make(tenants=("acme", "shared"), **config: Any) -> tuple[WeaviateStore, RecordingClient]:
    client = RecordingClient(set(tenants))
    return WeaviateStore(client, WeaviateConfig(**config)), client


# --- tenant names ----------------------------------------------------------------------


def test_valid_tenant_ids_are_used_unchanged():
    for t in ("shared", "acme", "Acme_Partner-01", "x" * 64):
        assert weaviate_tenant_name(t) == t


def test_other_tenant_ids_map_deterministically_to_valid_distinct_names():
    ids = ["acme.corp", "acme_corp", "acme corp", "acme/corp", "a--b", "ÄCME GmbH", "x" * 65, "x" * 200, "😀"]
    names = [weaviate_tenant_name(t) for t in ids]
    assert len(set(names)) == len(ids)
    for t, n in zip(ids, names, strict=True):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", n), n
        assert weaviate_tenant_name(t) == n
    assert names[1] == "acme_corp"  # valid already
    assert names[0].startswith("acme_corp--") and names[0] != names[1]
    with pytest.raises(ValueError):
        weaviate_tenant_name("")


# --- collection schema -------------------------------------------------------------------


def test_collection_is_multi_tenant_without_vectorizer_and_indexes_only_redacted_text():
    client = RecordingClient()
    WeaviateStore(client, WeaviateConfig(collection="Chunks", replication_factor=3))
    created = client.created
    assert created["name"] == "Chunks"
    mt = created["multi_tenancy_config"]
    assert (mt.enabled, mt.autoTenantCreation, mt.autoTenantActivation) == (True, False, True)
    vc = created["vector_config"]
    assert vc.name == VECTOR_NAME and vc.vectorizer.vectorizer.value == "none"
    assert created["replication_config"].factor == 3
    props = {p.name: p for p in created["properties"]}
    assert props["text"].indexSearchable is False and props["text"].indexFilterable is False
    assert props["index_text"].indexSearchable is not False
    assert props["pii_spans"].indexSearchable is False
    for name in ("tenant_id", "doc_id", "access_rank", "approved", "superseded", "valid_from", "valid_until"):
        assert props[name].indexFilterable is not False, name
    assert set(SEARCH_PROPERTIES) <= set(props)


def test_existing_collection_is_not_recreated():
    client = RecordingClient(exists=True)
    WeaviateStore(client)
    assert client.created == {}


# --- queries -------------------------------------------------------------------------------


def test_dense_search_queries_each_visible_tenant_with_the_full_rule():
    store, client = make()
    f = flt("acme", AccessLevel.INTERNAL)
    store.dense_search(unit(0), f, 7)
    calls = client.of("near_vector")
    assert [t for t, _ in calls] == ["acme", "shared"]
    for tenant, kw in calls:
        assert flat(kw["filters"]) == rule(tenant, int(AccessLevel.INTERNAL), f.now)
        assert kw["limit"] == 7 and kw["target_vector"] == VECTOR_NAME
        assert kw["near_vector"] == pytest.approx(list(unit(0)))
        assert kw["return_metadata"].distance is True


def test_doc_ids_are_added_to_the_filter_and_empty_scope_queries_nothing():
    store, client = make()
    f = flt("acme", doc_ids=["b.md", "a.md"])
    store.text_search("tax", f, 3)
    for tenant, kw in client.of("bm25"):
        assert flat(kw["filters"]) == rule(tenant, int(AccessLevel.PARTNER), f.now, ["a.md", "b.md"])
        assert kw["query_properties"] == SEARCH_PROPERTIES
    client.calls.clear()
    assert store.text_search("tax", flt("acme", doc_ids=[]), 3) == []
    assert store.dense_search(unit(0), flt("acme", doc_ids=[]), 3) == []
    assert client.calls == []


def test_tenants_missing_in_weaviate_are_not_queried():
    store, client = make(tenants={"shared"})
    store.dense_search(unit(0), flt("acme"), 5)
    assert [t for t, _ in client.of("near_vector")] == ["shared"]
    store2, client2 = make(tenants=set())
    assert store2.dense_search(unit(0), flt("acme"), 5) == []
    assert client2.of("near_vector") == []


def test_per_tenant_results_are_merged_by_score_and_cut_to_k():
    store, client = make()
    a0, a1, s0 = chunk("a.md", 0), chunk("a.md", 1), chunk("g.md", tenant="shared")
    client.replies[("acme", "near_vector")] = [obj(a0, distance=0.1), obj(a1, distance=0.5)]
    client.replies[("shared", "near_vector")] = [obj(s0, distance=0.2)]
    hits = store.dense_search(unit(0), flt("acme"), 2)
    assert [h.chunk.chunk_id for h in hits] == [a0.chunk_id, s0.chunk_id]
    assert [round(h.score, 6) for h in hits] == [0.9, 0.8]
    assert hits[0].chunk == a0  # properties round-trip into the same Chunk


@pytest.mark.parametrize(
    "bad",
    [
        chunk("x.md", tenant="globex"),
        chunk("x.md", level=AccessLevel.RESTRICTED),
        chunk("x.md", approved=False),
        chunk("x.md", superseded=True),
    ],
)
def test_a_forbidden_object_from_the_server_is_refused(bad):
    store, client = make()
    client.replies[("acme", "bm25")] = [obj(chunk("ok.md"), score=2.0), obj(bad, score=1.0)]
    with pytest.raises(AccessViolation):
        store.text_search("anything", flt("acme"), 5)


def test_hybrid_request_parameters():
    store, client = make(alpha=0.3)
    f = flt("acme")
    store.hybrid_search("renewal notice", unit(1), f, 4)
    store.hybrid_search("renewal notice", unit(1), f, 4, alpha=0.9)
    calls = client.of("hybrid")
    assert len(calls) == 4
    for i, (tenant, kw) in enumerate(calls):
        assert kw["alpha"] == (0.3 if i < 2 else 0.9)
        assert kw["query"] == "renewal notice" and kw["vector"] == pytest.approx(list(unit(1)))
        assert kw["query_properties"] == SEARCH_PROPERTIES and kw["target_vector"] == VECTOR_NAME
        assert kw["fusion_type"].name == "RELATIVE_SCORE" and kw["limit"] == 4
        assert flat(kw["filters"]) == rule(tenant, int(AccessLevel.PARTNER), f.now)
    with pytest.raises(ValueError):
        store.hybrid_search("x", unit(0), f, 4, alpha=1.5)


def test_blank_text_query_sends_nothing():
    store, client = make()
    assert store.text_search("   ", flt("acme"), 5) == []
    assert client.calls == []


# --- writes ---------------------------------------------------------------------------------


def test_upsert_creates_the_tenant_explicitly_and_sends_chunk_ids_as_uuids():
    store, client = make(tenants=set())
    cs = [chunk("a.md", i) for i in range(2)] + [chunk("g.md", tenant="acme.corp")]
    assert store.upsert(cs, np.stack([unit(i) for i in range(3)])) == 3
    dotted = weaviate_tenant_name("acme.corp")
    assert sorted(n for _, kw in client.of("tenants.create") for n in kw["names"]) == sorted(["acme", dotted])
    batches = {t: kw["args"][0] for t, kw in client.of("insert_many")}
    assert set(batches) == {"acme", dotted}
    sent = batches["acme"]
    assert [o.uuid for o in sent] == [c.chunk_id for c in cs[:2]]
    assert sent[1].vector == {VECTOR_NAME: pytest.approx(list(unit(1)))}
    assert sent[0].properties["access_rank"] == int(AccessLevel.PARTNER)
    assert batches[dotted][0].properties["tenant_id"] == "acme.corp"
    # Known tenants are not created again.
    client.calls.clear()
    store.upsert(cs[:1], np.stack([unit(0)]))
    assert client.of("tenants.create") == []


def test_batch_errors_name_every_failed_chunk():
    store, client = make(batch_size=2)
    cs = [chunk("a.md", i) for i in range(5)]
    client.replies[("acme", "insert_many")] = lambda kw: SimpleNamespace(
        errors={1: SimpleNamespace(message="vector length")} if len(kw["args"][0]) > 1 else {}
    )
    with pytest.raises(WeaviateBatchError) as err:
        store.upsert(cs, np.stack([unit(0)] * 5))
    # three requests of <= 2 objects; index 1 failed in each of them
    assert len(client.of("insert_many")) == 3
    assert err.value.failures == [(cs[1].chunk_id, "vector length"), (cs[3].chunk_id, "vector length")]
    assert err.value.written == 3
    assert cs[1].chunk_id in str(err.value)


def test_upsert_rejects_mismatched_vectors():
    store, _ = make()
    with pytest.raises(ValueError):
        store.upsert([chunk("a.md")], np.zeros((2, DIM), dtype=np.float32))


def test_replace_document_writes_new_chunks_before_deleting_stale_ones():
    store, client = make()
    old = [chunk("a.md", i) for i in range(3)]
    new = [chunk("a.md", 0, text="edited"), chunk("a.md", 5)]
    client.replies[("acme", "fetch_objects")] = [obj(c) for c in old]
    store.replace_document("acme", "a.md", new, np.stack([unit(0), unit(1)]))
    order = [m for _, m, _ in client.calls if m in ("insert_many", "delete_many")]
    assert order == ["insert_many", "delete_many"]
    [(_, kw)] = client.of("delete_many")
    assert sorted(kw["where"].value) == sorted([old[1].chunk_id, old[2].chunk_id])
    [(_, fetch)] = client.of("fetch_objects")
    assert flat(fetch["filters"]) == sorted([("doc_id", "Equal", "a.md"), ("tenant_id", "Equal", "acme")], key=repr)


def test_replace_document_failure_restores_the_old_version():
    store, client = make()
    old = [chunk("a.md", i, text=f"old {i}") for i in range(2)]
    new = [chunk("a.md", 0, text="new 0"), chunk("a.md", 7, text="new 7")]
    client.replies[("acme", "fetch_objects")] = [obj(c, vector=unit(3)) for c in old]
    replies = iter([SimpleNamespace(errors={1: SimpleNamespace(message="disk full")}), SimpleNamespace(errors={})])
    client.replies[("acme", "insert_many")] = lambda kw: next(replies)
    with pytest.raises(WeaviateBatchError, match="previous version was restored"):
        store.replace_document("acme", "a.md", new, np.stack([unit(0), unit(1)]))
    inserts = client.of("insert_many")
    assert len(inserts) == 2
    # The rollback removes ids only the new version had, then re-writes the overwritten old object.
    [(_, delete)] = client.of("delete_many")
    assert delete["where"].value == [new[1].chunk_id]
    restored = inserts[1][1]["args"][0]
    assert [(o.uuid, o.properties["text"]) for o in restored] == [(old[0].chunk_id, "old 0")]
    assert restored[0].vector == {VECTOR_NAME: pytest.approx(list(unit(3)))}
    # The old chunk that was not overwritten was never deleted.
    assert old[1].chunk_id not in delete["where"].value


def test_replace_document_validates_ownership_before_any_request():
    store, client = make()
    with pytest.raises(ValueError):
        store.replace_document("acme", "a.md", [chunk("b.md")], np.stack([unit(0)]))
    assert client.calls == []


def test_delete_and_supersede_scope_to_one_document_in_one_tenant():
    store, client = make()
    store.delete_document("acme", "a.md")
    [(tenant, kw)] = client.of("delete_many")
    assert tenant == "acme"
    assert flat(kw["where"]) == sorted([("doc_id", "Equal", "a.md"), ("tenant_id", "Equal", "acme")], key=repr)
    client.replies[("acme", "fetch_objects")] = [obj(chunk("a.md", i)) for i in range(2)]
    store.set_superseded("acme", "a.md", True)
    updates = client.of("update")
    assert [kw["properties"] for _, kw in updates] == [{"superseded": True}] * 2
    client.calls.clear()
    assert store.delete_document("globex", "a.md") == 0  # unknown tenant: no request at all
    assert client.of("delete_many") == []


def test_document_hashes_flags_documents_with_mixed_versions():
    store, client = make(tenants={"acme"})
    mixed = [chunk("a.md", 0, doc_hash="h1"), chunk("a.md", 1, doc_hash="h2"), chunk("b.md", doc_hash="hb")]
    client.replies[("acme", "iterator")] = [obj(c) for c in mixed]
    assert store.document_hashes() == {("acme", "a.md"): "", ("acme", "b.md"): "hb"}


def test_iter_all_batches_per_tenant_with_vectors():
    store, client = make(tenants={"acme", "shared"})
    client.replies[("acme", "iterator")] = [obj(chunk("a.md", i), vector=unit(i)) for i in range(3)]
    client.replies[("shared", "iterator")] = [obj(chunk("s.md", tenant="shared"), vector=unit(5))]
    batches = list(store.iter_all(batch_size=2))
    assert [len(b) for b, _ in batches] == [2, 1, 1]
    assert all(kw["include_vector"] is True for _, kw in client.of("iterator"))
    np.testing.assert_array_equal(batches[2][1], np.stack([unit(5)]))


def test_iter_windows_reads_the_stored_windows_or_the_vector():
    store, client = make(tenants={"acme"})
    windows = np.stack([unit(1), unit(2)])
    long_ = obj(chunk("a.md", 0), vector=unit(3))
    long_.properties[WINDOW_PROPERTY] = windows.reshape(-1).tolist()
    client.replies[("acme", "iterator")] = [long_, obj(chunk("a.md", 1), vector=unit(4))]
    [(batch, wins)] = list(store.iter_windows(batch_size=5))
    assert [c.position for c in batch] == [0, 1]
    np.testing.assert_array_equal(wins[0], windows)
    np.testing.assert_array_equal(wins[1], unit(4)[None, :])
    kw = client.of("iterator")[0][1]
    assert kw["include_vector"] is True and WINDOW_PROPERTY in kw["return_properties"]


def test_config_from_url_and_settings(monkeypatch):
    cfg = WeaviateConfig.from_url("https://vec.example.com", grpc_port=443, api_key="k")
    assert (cfg.host, cfg.http_port, cfg.secure, cfg.grpc_port, cfg.api_key) == (
        "vec.example.com",
        443,
        True,
        443,
        "k",
    )
    assert WeaviateConfig.from_url("http://weaviate:8080").http_port == 8080
    with pytest.raises(ValueError):
        WeaviateConfig.from_url("weaviate:8080")
    from copilot.core.settings import Settings

    monkeypatch.setenv("COPILOT_STORE", "weaviate")
    monkeypatch.setenv("COPILOT_WEAVIATE_HOST", "weaviate")
    monkeypatch.setenv("COPILOT_WEAVIATE_GRPC_PORT", "50052")
    monkeypatch.setenv("COPILOT_WEAVIATE_ALPHA", "0.25")
    s = Settings()
    assert s.store == "weaviate"
    cfg = config_from_settings(s)
    assert (cfg.host, cfg.grpc_port, cfg.alpha, cfg.collection) == ("weaviate", 50052, 0.25, "PartnerChunk")


def test_empty_writes_send_no_objects():
    store, client = make()
    assert store.upsert([], np.zeros((0, DIM), dtype=np.float32)) == 0
    assert client.of("insert_many") == []
    client.replies[("acme", "fetch_objects")] = [obj(chunk("a.md", i)) for i in range(2)]
    store.replace_document("acme", "a.md", [], np.zeros((0, DIM), dtype=np.float32))
    assert client.of("insert_many") == []
    [(_, kw)] = client.of("delete_many")
    assert sorted(kw["where"].value) == sorted(chunk("a.md", i).chunk_id for i in range(2))


def test_tenant_list_is_cached_for_searches_but_not_for_writes():
    store, client = make(tenants={"shared"})
    listed = []
    real = client._get_tenants
    client._get_tenants = lambda: listed.append(1) or real()  # count tenant-list requests
    store._collection.tenants.get = client._get_tenants
    for _ in range(3):  # "acme" has no tenant yet: searches do not re-list every time
        store.dense_search(unit(0), flt("acme"), 5)
    assert len(listed) == 1
    listed.clear()
    store.delete_document("acme", "a.md")
    store.delete_document("acme", "a.md")
    assert len(listed) == 2


# --- window vectors ----------------------------------------------------------------------
def test_a_collection_without_the_window_property_gets_it_once():
    client = RecordingClient({"acme"}, exists=True)
    WeaviateStore(client, WeaviateConfig())
    assert [p.name for p in client.added_properties] == [WINDOW_PROPERTY]
    WeaviateStore(client, WeaviateConfig())
    assert len(client.added_properties) == 1
    fresh = RecordingClient({"acme"})
    WeaviateStore(fresh, WeaviateConfig())
    assert WINDOW_PROPERTY in [p.name for p in fresh.created["properties"]] and fresh.added_properties == []


def test_windows_are_stored_and_dense_hits_are_rescored_by_the_best_window():
    store, client = make()
    long_, short = chunk("a.md", 0), chunk("b.md", 0)
    windows = np.stack([unit(0), unit(1), unit(2), unit(3)])
    store.upsert([long_, short], [windows, unit(4)])
    sent = {o.uuid: o for _, kw in client.of("insert_many") for o in kw["args"][0]}
    assert sent[long_.chunk_id].properties[WINDOW_PROPERTY] == pytest.approx(windows.reshape(-1).tolist())
    assert WINDOW_PROPERTY not in sent[short.chunk_id].properties  # one window: the vector itself
    mean = windows.mean(axis=0) / np.linalg.norm(windows.mean(axis=0))
    assert sent[long_.chunk_id].vector == {VECTOR_NAME: pytest.approx(mean.tolist())}
    # The server ranks by the pooled vector: the one-window chunk (.71) ahead of the long one's mean (.5).
    ranked_short = obj(short, distance=1 - np.sqrt(0.5))
    ranked_long = obj(long_, distance=0.5)
    ranked_long.properties[WINDOW_PROPERTY] = sent[long_.chunk_id].properties[WINDOW_PROPERTY]
    client.replies[("acme", "near_vector")] = [ranked_short, ranked_long]
    hits = store.dense_search(unit(0), flt(), 2)
    assert [h.chunk.chunk_id for h in hits] == [long_.chunk_id, short.chunk_id]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5) and hits[0].ranks["dense"] == 1
    assert WINDOW_PROPERTY in client.of("near_vector")[0][1]["return_properties"]
