"""Document mentions become a scope only over titles the principal may see."""

from __future__ import annotations

import numpy as np

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


def _brute_force_mentioned(dm, query):
    """The title-by-title rule the indexed lookup must reproduce (reference for the test below)."""
    from retrievers.query import _PLACEHOLDER, _STOP, _tokens

    qtoks = [t for t, _, _ in _tokens(_PLACEHOLDER.sub(" ", query))]

    def contains(hay, needle):
        return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))

    found = []
    for (doc_id, title, _c, _w), (_, ttoks, itoks) in zip(dm._titles, dm._phrases, strict=True):
        for phrase, min_len in ((ttoks, 3), (itoks, 2)):
            if len(phrase) >= min_len and not set(phrase) <= (dm._generic | _STOP) and contains(qtoks, phrase):
                found.append((doc_id, title, 1.0))
                break
    if not found:
        for doc_id, title, content, _ in dm._titles:
            distinctive = content - dm._generic
            hit = distinctive & set(qtoks)
            if len(distinctive) < dm.min_words or len(hit) < dm.min_words:
                continue
            cov = sum(dm._idf[w] for w in hit) / sum(dm._idf[w] for w in distinctive)
            if cov >= dm.min_coverage:
                found.append((doc_id, title, cov))
        if found:
            best = max(c for _, _, c in found)
            found = [f for f in found if f[2] >= best - 1e-9]
    if not found:
        return []
    words = {d: c - dm._generic for d, _, c, _ in dm._titles}
    if any(words[d] != words[found[0][0]] for d, _, _ in found[1:]):
        return []
    return sorted(found, key=lambda f: f[0])


def test_indexed_title_lookup_matches_the_title_by_title_rule():
    import random

    from retrievers.query import DocumentMentions

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(60)] + ["agreement", "between", "the", "and", "guide", "inc"]
    titles = []
    for i in range(400):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 6))]
        titles.append((f"docs/{rng.choice(vocab)}-{rng.choice(vocab)}-{i % 150}.md", " ".join(words).title()))
    dm = DocumentMentions(titles)
    checked = named = 0
    for _ in range(600):
        if rng.random() < 0.5:  # a question quoting (part of) a title or an id
            doc_id, title = rng.choice(titles)
            src = title.split() if rng.random() < 0.7 else doc_id.rsplit("/", 1)[-1][:-3].split("-")
            lo = rng.randint(0, len(src) - 1)
            words = ["what", "does", *src[lo : lo + rng.randint(1, 5)], "say", "about", rng.choice(vocab)]
        else:
            words = [rng.choice(vocab) for _ in range(rng.randint(2, 8))]
        q = " ".join(words)
        expected = _brute_force_mentioned(dm, q)
        assert dm.mentioned(q) == expected, q
        checked += 1
        named += bool(expected)
    assert checked == 600 and 30 < named < 570  # both outcomes were exercised


class CountingStore:
    """The real store, counting the table scans the scoper makes."""

    def __init__(self, inner):
        self.inner, self.listings = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    @property
    def data_version(self):
        return self.inner.data_version

    def list_documents(self, flt=None):
        self.listings += 1
        return self.inner.list_documents(flt)


def test_expired_title_lists_are_kept_without_a_rescan_while_the_data_version_is_unchanged(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    _doc(store, embedder, "alder", "a.txt", "Cutover Checklist", "Freeze master data.")
    counting = CountingStore(store)
    scoper = MentionScoper(counting, ttl=0)
    p = Principal("u", "alder", AccessLevel.PARTNER)
    q = "What does the Hypercare Exit Report say?"
    assert scoper.plan(q, p).doc_ids is None
    assert scoper.plan(q, p).doc_ids is None
    assert counting.listings == 1  # nothing was written: no second scan
    _doc(store, embedder, "alder", "b.txt", "Hypercare Exit Report", "Exit criteria met.")
    assert scoper.plan(q, p).doc_ids == ["b.txt"]  # a write changes the version: listed again
    assert counting.listings == 2


def test_chunks_stream_without_vectors_and_the_data_version_moves_with_writes(tmp_path, embedder):
    from retrievers.stores.base import data_version, iter_chunks

    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    v0 = data_version(store)
    _doc(store, embedder, "alder", "a.txt", "Cutover Checklist", "Freeze master data.")
    _doc(store, embedder, "birch", "b.txt", "Exit Report", "Exit criteria met.")
    v1 = data_version(store)
    assert v0 is not None and v1 is not None and v1 > v0
    batches = list(iter_chunks(store, batch_size=1))
    assert [len(b) for b in batches] == [1, 1]
    assert {c.doc_id for b in batches for c in b} == {"a.txt", "b.txt"}
    with_vectors = list(store.iter_all(batch_size=1))
    assert [c.chunk_id for b, _ in with_vectors for c in b] == [c.chunk_id for b in batches for c in b]
    assert all(v.shape == (1, embedder.dim) for _, v in with_vectors)
    assert np.allclose(with_vectors[0][1][0], embedder.encode(["Freeze master data."])[0], atol=1e-6) or \
        np.allclose(with_vectors[0][1][0], embedder.encode(["Exit criteria met."])[0], atol=1e-6)
    store.delete_document("birch", "b.txt")
    assert data_version(store) > v1
