"""The behaviour every ``Store`` backend must have, written once.

Subclasses provide a ``store`` fixture (an empty store for vectors of ``DIM``
dimensions). Chunks are small and synthetic, vectors hand-made unit vectors, so
no embedding model is needed and the suite runs in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from retrievers.access import MAX_TS, MIN_TS, AccessLevel, Principal, access_filter, now_ts
from retrievers.schema import Chunk, PiiSpan, chunk_uuid

DIM = 8
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NOW_TS = now_ts(NOW)


def unit(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def mix(*pairs: tuple[int, float]) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    for i, w in pairs:
        v[i] = w
    return (v / np.linalg.norm(v)).astype(np.float32)


def chunk(
    doc_id: str,
    position: int = 0,
    *,
    tenant: str = "acme",
    level: AccessLevel = AccessLevel.PARTNER,
    text: str | None = None,
    version: str = "1",
    **fields: object,
) -> Chunk:
    body = text if text is not None else f"{doc_id} part {position}"
    values: dict[str, object] = {
        "chunk_id": chunk_uuid(tenant, doc_id, version, position),
        "doc_id": doc_id,
        "tenant_id": tenant,
        "access_level": level,
        "doc_type": "playbook",
        "title": f"Title of {doc_id}",
        "version": version,
        "position": position,
        "text": body,
        "index_text": body,
        "section_path": ["Guide", f"Section {position}"],
        "page": position + 1,
        "char_start": position * 100,
        "char_end": position * 100 + len(body),
        "content_hash": f"c-{doc_id}-{version}-{position}",
        "doc_hash": f"d-{doc_id}-{version}",
    }
    values.update(fields)
    return Chunk(**values)  # type: ignore[arg-type]


def who(tenant: str = "acme", level: AccessLevel = AccessLevel.PARTNER, **kw: object) -> Principal:
    return Principal(subject=f"user@{tenant}", tenant_id=tenant, access_level=level, **kw)  # type: ignore[arg-type]


def flt(tenant: str = "acme", level: AccessLevel = AccessLevel.PARTNER, doc_ids=None, now=NOW):
    return access_filter(who(tenant, level), now=now, doc_ids=doc_ids)


def put(store, chunks: list[Chunk], vectors: list[np.ndarray] | None = None) -> None:
    if vectors is None:
        vectors = [unit(i % DIM) for i in range(len(chunks))]
    store.upsert(chunks, np.stack(vectors).astype(np.float32))


def ids(hits) -> list[str]:
    return [h.chunk.chunk_id if hasattr(h, "chunk") else h.chunk_id for h in hits]


class StoreContract:
    """Inherit and provide a ``store`` fixture yielding an empty store."""

    # --- basics ---------------------------------------------------------------
    def test_empty_store_returns_nothing(self, store):
        assert store.count() == 0
        assert store.dense_search(unit(0), flt(), 5) == []
        assert store.text_search("invoice", flt(), 5) == []
        assert store.list_documents() == []
        assert store.list_documents(flt()) == []
        assert store.document_hashes() == {}
        assert store.get_chunks([chunk("x").chunk_id], flt()) == []
        assert list(store.iter_all()) == []

    def test_upsert_is_idempotent_by_chunk_id(self, store):
        c = chunk("a.md", text="first text")
        put(store, [c])
        put(store, [chunk("a.md", text="second text")])
        assert store.count() == 1
        [got] = store.get_chunks([c.chunk_id], flt())
        assert got.text == "second text"

    def test_k_zero_and_no_match(self, store):
        put(store, [chunk("a.md", text="invoice matching rules")])
        assert store.dense_search(unit(0), flt(), 0) == []
        assert store.text_search("invoice", flt(), 0) == []
        assert store.text_search("zzzunmatchedtermqq", flt(), 5) == []

    # --- replace / delete -------------------------------------------------------
    def test_replace_document_swaps_chunks_and_leaves_other_documents(self, store):
        old = [chunk("a.md", i) for i in range(3)]
        other = [chunk("b.md", i) for i in range(2)]
        put(store, old + other)
        new = [chunk("a.md", i, version="2", text=f"new body {i}") for i in range(2)]
        written = store.replace_document("acme", "a.md", new, np.stack([unit(0), unit(1)]))
        assert written == 2
        assert store.count() == 4
        a_ids = {c.chunk_id for c in store.get_chunks([c.chunk_id for c in old + new], flt())}
        assert a_ids == {c.chunk_id for c in new}
        assert {c.chunk_id for c in store.get_chunks([c.chunk_id for c in other], flt())} == {c.chunk_id for c in other}
        assert store.document_hashes("acme")[("acme", "a.md")] == "d-a.md-2"

    def test_replace_document_in_place_same_ids(self, store):
        put(store, [chunk("a.md", i) for i in range(2)])
        new = [chunk("a.md", i, text=f"edited {i}", doc_hash="d-edited") for i in range(2)]
        store.replace_document("acme", "a.md", new, np.stack([unit(2), unit(3)]))
        assert store.count() == 2
        got = store.get_chunks([c.chunk_id for c in new], flt())
        assert sorted(c.text for c in got) == ["edited 0", "edited 1"]
        assert ids(store.dense_search(unit(2), flt(), 1)) == [new[0].chunk_id]

    def test_replace_document_with_no_chunks_removes_the_document(self, store):
        put(store, [chunk("a.md", i) for i in range(2)] + [chunk("b.md")])
        assert store.upsert([], np.zeros((0, DIM), dtype=np.float32)) == 0
        assert store.replace_document("acme", "a.md", [], np.zeros((0, DIM), dtype=np.float32)) == 0
        assert set(store.document_hashes()) == {("acme", "b.md")}
        assert store.count() == 1

    def test_replace_document_rejects_foreign_chunks_and_changes_nothing(self, store):
        put(store, [chunk("a.md")])
        with pytest.raises(ValueError):
            store.replace_document("acme", "a.md", [chunk("b.md")], np.stack([unit(0)]))
        with pytest.raises(ValueError):
            store.replace_document("acme", "a.md", [chunk("a.md", tenant="globex")], np.stack([unit(0)]))
        assert store.count() == 1
        assert ids(store.get_chunks([chunk("a.md").chunk_id], flt())) == [chunk("a.md").chunk_id]

    def test_delete_document(self, store):
        put(store, [chunk("a.md", i) for i in range(3)] + [chunk("b.md")] + [chunk("a.md", tenant="globex")])
        assert store.delete_document("acme", "a.md") == 3
        assert store.count() == 2
        assert store.delete_document("acme", "a.md") == 0
        assert store.delete_document("nobody", "a.md") == 0
        assert set(store.document_hashes()) == {("acme", "b.md"), ("globex", "a.md")}

    # --- the access rule inside the query ---------------------------------------
    def test_tenant_isolation(self, store):
        acme = chunk("plan.md", tenant="acme", text="cutover plan for the ledger")
        globex = chunk("plan.md", tenant="globex", text="cutover plan for the ledger")
        shared = chunk("guide.md", tenant="shared", text="cutover guide for the ledger")
        put(store, [acme, globex, shared], [unit(0), unit(0), mix((0, 1.0), (1, 0.2))])
        for hits in (
            store.dense_search(unit(0), flt("acme"), 10),
            store.text_search("cutover ledger", flt("acme"), 10),
        ):
            assert set(ids(hits)) == {acme.chunk_id, shared.chunk_id}
        assert ids(store.get_chunks([globex.chunk_id], flt("acme"))) == []
        assert {(d.tenant_id, d.doc_id) for d in store.list_documents(flt("acme"))} == {
            ("acme", "plan.md"),
            ("shared", "guide.md"),
        }
        # A tenant with no data of its own still sees shared content, nothing else.
        assert ids(store.dense_search(unit(0), flt("initech"), 10)) == [shared.chunk_id]
        # Vendor staff acting for globex see exactly the tenants they were granted.
        vendor = access_filter(who("vendor", acting_for=frozenset({"globex"})), now=NOW)
        assert set(ids(store.dense_search(unit(0), vendor, 10))) == {globex.chunk_id, shared.chunk_id}

    def test_access_level_filter(self, store):
        levels = list(AccessLevel)
        cs = [chunk(f"{lv.label}.md", level=lv, text=f"escalation matrix {lv.label}") for lv in levels]
        put(store, cs, [unit(0)] * len(cs))
        for lv in levels:
            allowed = {c.chunk_id for c in cs if c.access_level <= lv}
            assert set(ids(store.dense_search(unit(0), flt(level=lv), 10))) == allowed
            assert set(ids(store.text_search("escalation matrix", flt(level=lv), 10))) == allowed
            assert {c.chunk_id for c in store.get_chunks([c.chunk_id for c in cs], flt(level=lv))} == allowed

    def test_approved_superseded_and_validity_window(self, store):
        day = 86_400
        cases = {
            "ok.md": {},
            "draft.md": {"approved": False},
            "old.md": {"superseded": True},
            "future.md": {"valid_from": NOW_TS + day},
            "expired.md": {"valid_until": NOW_TS - day},
            "starts-now.md": {"valid_from": NOW_TS},  # valid_from <= now: visible
            "ends-now.md": {"valid_until": NOW_TS},  # now < valid_until fails: hidden
            "open.md": {"valid_from": MIN_TS, "valid_until": MAX_TS},
        }
        cs = {d: chunk(d, text="warranty terms", **f) for d, f in cases.items()}
        put(store, list(cs.values()), [unit(0)] * len(cs))
        visible = {cs[d].chunk_id for d in ("ok.md", "starts-now.md", "open.md")}
        assert set(ids(store.dense_search(unit(0), flt(), 20))) == visible
        assert set(ids(store.text_search("warranty", flt(), 20))) == visible
        later = NOW + timedelta(days=2)
        assert cs["future.md"].chunk_id in ids(store.dense_search(unit(0), flt(now=later), 20))

        store.set_superseded("acme", "ok.md", True)
        assert cs["ok.md"].chunk_id not in ids(store.dense_search(unit(0), flt(), 20))
        store.set_superseded("acme", "old.md", False)
        assert cs["old.md"].chunk_id in ids(store.dense_search(unit(0), flt(), 20))

    def test_doc_ids_scope_only_narrows(self, store):
        a, b = chunk("a.md", text="tax codes"), chunk("b.md", text="tax codes")
        foreign = chunk("secret.md", tenant="globex", text="tax codes")
        put(store, [a, b, foreign], [unit(0)] * 3)
        assert ids(store.dense_search(unit(0), flt(doc_ids=["a.md"]), 10)) == [a.chunk_id]
        assert ids(store.text_search("tax", flt(doc_ids=["a.md"]), 10)) == [a.chunk_id]
        # Naming another tenant's document never widens the scope.
        assert store.dense_search(unit(0), flt(doc_ids=["secret.md"]), 10) == []
        assert store.text_search("tax", flt(doc_ids=["secret.md", "a.md"]), 10)[0].chunk.chunk_id == a.chunk_id
        assert store.dense_search(unit(0), flt(doc_ids=[]), 10) == []
        assert store.get_chunks([a.chunk_id, b.chunk_id], flt(doc_ids=["b.md"]))[0].chunk_id == b.chunk_id

    def test_search_results_always_match_the_rule(self, store):
        rng = np.random.default_rng(7)
        tenants = ["acme", "globex", "shared"]
        cs, vs = [], []
        for i in range(120):
            cs.append(
                chunk(
                    f"doc{i % 30}.md",
                    i,
                    tenant=tenants[i % 3],
                    level=AccessLevel(int(rng.integers(0, 4))),
                    approved=bool(rng.random() > 0.15),
                    superseded=bool(rng.random() < 0.15),
                    text=f"onboarding checklist item {i}",
                )
            )
            v = rng.normal(size=DIM).astype(np.float32)
            vs.append(v / np.linalg.norm(v))
        put(store, cs, vs)
        q = vs[0]
        for tenant in ("acme", "globex"):
            for lv in AccessLevel:
                f = flt(tenant, lv)
                allowed = [(c, v) for c, v in zip(cs, vs, strict=True) if f.allows(c)]
                hits = store.dense_search(q, f, 10)
                assert all(f.allows(h.chunk) for h in hits)
                # Exact top-k among the allowed chunks (brute force), best first.
                expect = sorted(allowed, key=lambda cv: -float(cv[1] @ q))[:10]
                assert ids(hits) == [c.chunk_id for c, _ in expect]
                texts = store.text_search("onboarding checklist", f, 10)
                assert all(f.allows(h.chunk) for h in texts)
                assert len(texts) == min(10, len(allowed))

    def test_candidates_read_in_full_equal_the_full_row_search(self, store):
        cs = [chunk(f"c{i % 4}.md", i, level=AccessLevel(i % 4), text=f"renewal notice term {i}") for i in range(16)]
        put(store, cs, [mix((i % DIM, 1.0), ((i + 1) % DIM, 0.3 * (i % 3))) for i in range(16)])
        for f in (flt(level=AccessLevel.PARTNER), flt(level=AccessLevel.RESTRICTED)):
            for full, cands in (
                (store.dense_search(unit(0), f, 8), store.dense_search(unit(0), f, 8, candidates=True)),
                (store.text_search("renewal notice", f, 8), store.text_search("renewal notice", f, 8, candidates=True)),
            ):
                assert full and ids(cands) == ids(full)
                got = store.hydrate(cands, f)
                assert [(h.chunk, h.score) for h in got] == [(h.chunk, h.score) for h in full]
                assert store.hydrate(full, f) == full  # full rows pass through

    def test_a_candidate_gone_before_it_is_read_in_full_is_left_out(self, store):
        cs = [chunk("keep.md", 0, text="escalation ladder step"), chunk("gone.md", 0, text="escalation ladder step")]
        put(store, cs)
        f = flt()
        cands = store.text_search("escalation ladder", f, 5, candidates=True)
        assert sorted(h.chunk.doc_id for h in cands) == ["gone.md", "keep.md"]
        store.delete_document("acme", "gone.md")
        got = store.hydrate(cands, f)
        if all(h.chunk.text for h in cands):
            assert got == cands  # the store answered with full rows: nothing is read again
        else:
            assert [h.chunk.doc_id for h in got] == ["keep.md"] and got[0].chunk.text == "escalation ladder step"

    # --- ranking sanity ----------------------------------------------------------
    def test_dense_ranking_nearest_first(self, store):
        near, mid, far = chunk("a.md", 0), chunk("a.md", 1), chunk("a.md", 2)
        put(store, [far, near, mid], [unit(1), unit(0), mix((0, 1.0), (1, 1.0))])
        hits = store.dense_search(unit(0), flt(), 3)
        assert ids(hits) == [near.chunk_id, mid.chunk_id, far.chunk_id]
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert hits[1].score == pytest.approx(float(np.sqrt(0.5)), abs=1e-4)
        assert hits[0].score > hits[1].score > hits[2].score

    def test_dense_scores_a_chunk_by_its_best_window(self, store):
        # A long chunk: four windows on different topics, one of them exactly the query's. Its mean
        # is only .5 from the query, below a one-window chunk at ~.71: the pooled vector would rank
        # it second, its best window ranks it first.
        long_, short = chunk("a.md", 0), chunk("b.md", 0)
        windows = np.stack([unit(0), unit(1), unit(2), unit(3)])
        store.replace_document("acme", "a.md", [long_], [windows])
        store.upsert([short], [mix((0, 1.0), (4, 1.0))])
        hits = store.dense_search(unit(0), flt(), 2)
        assert ids(hits) == [long_.chunk_id, short.chunk_id]
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert hits[1].score == pytest.approx(float(np.sqrt(0.5)), abs=1e-4)
        # The access rule still applies inside the query.
        assert store.dense_search(unit(0), flt(doc_ids=["b.md"]), 2)[0].chunk.chunk_id == short.chunk_id
        # Tools that want one vector per chunk get the normalised mean of the windows.
        pooled = {c.chunk_id: v for batch, vs in store.iter_all() for c, v in zip(batch, vs, strict=True)}
        np.testing.assert_allclose(pooled[long_.chunk_id], windows.mean(axis=0) / np.linalg.norm(windows.mean(axis=0)),
                                   atol=1e-5)

    def test_iter_windows_returns_each_chunks_windows(self, store):
        # A copy (reindex) writes what iter_windows gives: the windows must survive, so the copy
        # still ranks the long chunk first by its best window.
        long_, short = chunk("a.md", 0), chunk("b.md", 0, tenant="shared")
        windows = np.stack([unit(0), unit(1), unit(2)])
        store.replace_document("acme", "a.md", [long_], [windows])
        store.upsert([short], [unit(4)])
        seen = {c.chunk_id: w for batch, ws in store.iter_windows(batch_size=1) for c, w in zip(batch, ws, strict=True)}
        assert set(seen) == {long_.chunk_id, short.chunk_id}
        np.testing.assert_allclose(seen[long_.chunk_id], windows, atol=1e-6)
        np.testing.assert_allclose(seen[short.chunk_id], unit(4)[None, :], atol=1e-6)
        assert all(w.dtype == np.float32 for w in seen.values())

    def test_fulltext_ranking_matching_terms_first(self, store):
        both = chunk("a.md", 0, text="Escheatment rules for unclaimed vendor payments")
        one = chunk("a.md", 1, text="Vendor payments are released on the payment run")
        none = chunk("a.md", 2, text="Warehouse slotting and bin replenishment")
        put(store, [none, one, both])
        hits = store.text_search("escheatment vendor", flt(), 10)
        assert ids(hits)[:2] == [both.chunk_id, one.chunk_id]
        assert none.chunk_id not in ids(hits)
        assert hits[0].score > hits[1].score
        assert ids(store.text_search("escheatment", flt(), 10)) == [both.chunk_id]

    def test_top_k_is_full_under_restrictive_filters(self, store):
        # 150 forbidden near neighbours (other tenant, too-high level, unapproved), 6 allowed far ones.
        forbidden = (
            [chunk(f"g{i}.md", tenant="globex", text="renewal clause renewal") for i in range(50)]
            + [chunk(f"r{i}.md", level=AccessLevel.RESTRICTED, text="renewal clause renewal") for i in range(50)]
            + [chunk(f"d{i}.md", approved=False, text="renewal clause renewal") for i in range(50)]
        )
        allowed = [chunk(f"ok{i}.md", text=f"renewal notice {i}") for i in range(6)]
        near = [mix((0, 1.0), (1, 0.01 * (i % 7))) for i in range(len(forbidden))]
        far = [mix((0, 0.2), (2 + i % 5, 1.0)) for i in range(len(allowed))]
        put(store, forbidden + allowed, near + far)
        dense = store.dense_search(unit(0), flt(), 5)
        assert len(dense) == 5 and set(ids(dense)) <= {c.chunk_id for c in allowed}
        text = store.text_search("renewal", flt(), 5)
        assert len(text) == 5 and set(ids(text)) <= {c.chunk_id for c in allowed}

    # --- data fidelity -------------------------------------------------------------
    def test_unicode_round_trip_and_search(self, store):
        body = "Zahlungsbedingungen für Lieferanten — délai de paiement ✓ 請求書の締め日 🚀"
        c = chunk(
            "handbücher/Prüfung 2025.md",
            text=body,
            title="Prüfung – 請求書",
            section_path=["Kapitel 1", "Übersicht ✓"],
            pii_spans=[PiiSpan("PERSON", 0, 5, 0.85)],
        )
        put(store, [c])
        [got] = store.get_chunks([c.chunk_id], flt())
        assert got == c
        assert ids(store.text_search("Zahlungsbedingungen", flt(), 5)) == [c.chunk_id]
        assert ("acme", "handbücher/Prüfung 2025.md") in store.document_hashes()

    def test_list_documents_and_document_hashes(self, store):
        put(
            store,
            [chunk("a.md", i) for i in range(3)]
            + [chunk("b.md", level=AccessLevel.INTERNAL)]
            + [chunk("c.md", tenant="globex")],
        )
        docs = {(d.tenant_id, d.doc_id): d for d in store.list_documents()}
        assert set(docs) == {("acme", "a.md"), ("acme", "b.md"), ("globex", "c.md")}
        a = docs[("acme", "a.md")]
        assert (a.chunks, a.title, a.doc_type, a.version, a.doc_hash) == (
            3,
            "Title of a.md",
            "playbook",
            "1",
            "d-a.md-1",
        )
        assert [d.doc_id for d in store.list_documents(flt())] == ["a.md"]
        assert {d.doc_id for d in store.list_documents(flt(level=AccessLevel.INTERNAL))} == {"a.md", "b.md"}
        assert store.document_hashes() == {
            ("acme", "a.md"): "d-a.md-1",
            ("acme", "b.md"): "d-b.md-1",
            ("globex", "c.md"): "d-c.md-1",
        }
        assert set(store.document_hashes("globex")) == {("globex", "c.md")}

    def test_iter_all_round_trips_chunks_and_vectors(self, store):
        rng = np.random.default_rng(3)
        cs = [chunk(f"d{i % 4}.md", i, tenant=("acme", "shared")[i % 2], page=None if i % 3 else i) for i in range(25)]
        vs = [v / np.linalg.norm(v) for v in rng.normal(size=(25, DIM)).astype(np.float32)]
        put(store, cs, vs)
        seen: dict[str, tuple[Chunk, np.ndarray]] = {}
        for batch, vecs in store.iter_all(batch_size=10):
            assert 0 < len(batch) <= 10 and vecs.shape == (len(batch), DIM)
            assert vecs.dtype == np.float32
            seen.update({c.chunk_id: (c, v) for c, v in zip(batch, vecs, strict=True)})
        assert len(seen) == 25 == store.count()
        for c, v in zip(cs, vs, strict=True):
            got, gv = seen[c.chunk_id]
            assert got == c
            np.testing.assert_allclose(gv, v, atol=1e-6)
