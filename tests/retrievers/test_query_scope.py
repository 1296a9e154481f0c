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


GUIDES = [
    ("docs/install-eks.md", "Installing <PERSON> Developer Hub on Amazon Elastic Kubernetes Service"),
    ("docs/install-aks.md", "Installing <PERSON> Developer Hub on Microsoft Azure Kubernetes Service"),
    ("docs/techdocs.md", "TechDocs for <PERSON> Developer Hub"),
    ("docs/authorization.md", "Authorization in <PERSON> Developer Hub"),
]


def test_placeholders_and_words_most_titles_share_never_scope():
    from retrievers.query import DocumentMentions

    dm = DocumentMentions(GUIDES)
    # "Person" (a masked product name) and "Developer Hub" are in every title: not a mention.
    assert dm.plan("How does a person configure the Developer Hub?").doc_ids is None
    assert dm.plan("What does <PERSON> Developer Hub log?").doc_ids is None
    # "Kubernetes Service" fits two guides: ambiguous, so nothing is narrowed.
    assert dm.plan("Which Kubernetes Service versions are supported for installing?").doc_ids is None
    # Distinctive words of one title, its exact title, or its file name narrow to it.
    assert dm.plan("How do I size nodes on Amazon Elastic Kubernetes Service?").doc_ids == ["docs/install-eks.md"]
    assert dm.plan("Where does TechDocs store the generated site?").doc_ids is None  # one word is not a phrase
    assert dm.plan("What does install-aks say about ingress?").doc_ids == ["docs/install-aks.md"]


def test_versions_of_one_document_stay_together_but_different_documents_are_ambiguous():
    from retrievers.query import DocumentMentions

    dm = DocumentMentions([("a-v1", "Cutover Checklist"), ("a-v2", "Cutover Checklist"),
                           ("b", "Hypercare Exit Report"), ("c", "Release Notes")])
    assert dm.plan("What does the Cutover Checklist require?").doc_ids == ["a-v1", "a-v2"]


def test_a_named_document_that_scores_weakly_falls_back_to_the_pool(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    _doc(store, embedder, "alder", "c/acme.txt", "Reseller Agreement between Acme Ltd and Globex Inc",
         "Either party may terminate with 90 days notice.")
    _doc(store, embedder, "alder", "p/escalation.md", "Escalation Ladder",
         "Severity one incidents page the duty manager within fifteen minutes.")
    p = Principal("u", "alder", AccessLevel.PARTNER)
    q = "Under the Reseller Agreement between Acme and Globex, who is paged for severity one incidents?"
    assert MentionScoper(store, min_scope_score=0.0).plan(q, p).doc_ids == ["c/acme.txt"]
    plan = MentionScoper(store, min_scope_score=0.5).plan(q, p)
    assert plan.doc_ids is None and plan.fallback
    # A question the named document does answer keeps its scope.
    q2 = "How many days notice does the Reseller Agreement between Acme and Globex require to terminate?"
    assert MentionScoper(store, min_scope_score=0.5).plan(q2, p).doc_ids == ["c/acme.txt"]


def test_words_most_documents_repeat_are_generic_even_when_redaction_left_them_in_one_title():
    from retrievers.query import DocumentMentions

    # Redaction masked the product name in every title but one ("<PERSON> <PERSON> in Acme Portal").
    titles = [("a", "<PERSON> <PERSON> in Acme Portal"), ("b", "Authorization in <PERSON> <PERSON>"),
              ("c", "Installing <PERSON> <PERSON> on Cloud"), ("d", "TechDocs for <PERSON> <PERSON>"),
              ("e", "Orchestrator in <PERSON> <PERSON>")]
    q = "How do I enable single sign-on for the Acme Portal?"
    # From the titles alone "Acme Portal" names one document...
    assert DocumentMentions(titles).plan(q).doc_ids == ["a"]
    # ...but every document's text says "Acme Portal": generic, never a mention.
    body = {"acme": 5, "portal": 5, "installing": 2, "cloud": 1, "authorization": 2}
    assert DocumentMentions(titles, body_df=body, n_bodies=5).plan(q).doc_ids is None
