"""Document mentions become a scope only over titles the principal may see."""

from __future__ import annotations

from retrievers.access import AccessLevel, Principal
from retrievers.query import MentionScoper
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore


def _doc(store, embedder, tenant, doc, title, text, level=AccessLevel.PARTNER):
    c = Chunk(chunk_id=chunk_uuid(tenant, doc, "1", 0), doc_id=doc, tenant_id=tenant, access_level=level,
              doc_type="contract", title=title, version="1", position=0, text=text, index_text=text)
    store.replace_document(tenant, doc, [c], embedder.encode([text]))


def test_mentions_scope_only_to_visible_titles(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    _doc(store, embedder, "alder", "c/acme.txt", "Reseller Agreement between Acme Ltd and Globex Inc",
         "Either party may terminate with 90 days notice.")
    _doc(store, embedder, "birch", "c/initech.txt", "Reseller Agreement between Initech and Hooli",
         "Either party may terminate with 30 days notice.")
    _doc(store, embedder, "alder", "c/secret.txt", "Supply Agreement between Acme Ltd and Umbrella Corp",
         "Restricted pricing.", level=AccessLevel.RESTRICTED)
    scoper = MentionScoper(store)
    alder = Principal("u", "alder", AccessLevel.PARTNER)
    plan = scoper.plan("What notice does the Reseller Agreement between Acme and Globex require?", alder)
    assert plan.doc_ids == ["c/acme.txt"]
    assert "Globex" not in plan.text and "notice" in plan.text
    # Another tenant's title and a title above the asker's level are never matched.
    assert scoper.plan("What notice does the Reseller Agreement between Initech and Hooli require?",
                       alder).doc_ids is None
    assert scoper.plan("Pricing in the Supply Agreement between Acme and Umbrella?", alder).doc_ids is None
    assert scoper.plan("What notice period applies to termination?", alder).doc_ids is None


def test_new_documents_become_mentionable_after_the_ttl(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    _doc(store, embedder, "alder", "a.txt", "Cutover Checklist", "Freeze master data.")
    cached = MentionScoper(store, ttl=3600)
    fresh = MentionScoper(store, ttl=0)
    p = Principal("u", "alder", AccessLevel.PARTNER)
    assert cached.plan("x", p).doc_ids is None and fresh.plan("x", p).doc_ids is None
    _doc(store, embedder, "alder", "b.txt", "Hypercare Exit Report", "Exit criteria met.")
    q = "What does the Hypercare Exit Report say?"
    assert cached.plan(q, p).doc_ids is None  # still the cached title list
    assert fresh.plan(q, p).doc_ids == ["b.txt"]
