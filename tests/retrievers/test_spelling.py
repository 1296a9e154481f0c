"""Misspelt question words are corrected against the words of the documents the asker can see."""

from __future__ import annotations

from retrievers.access import AccessLevel, Principal
from retrievers.query import MentionScoper, Speller
from retrievers.schema import Chunk, chunk_uuid
from retrievers.stores.lancedb import LanceDBStore


def test_misspelt_words_take_the_closest_known_word():
    sp = Speller({"installation": 4, "plugins": 3, "plugin": 9, "registry": 2, "the": 50, "of": 40})
    text, fixed = sp.correct("Instalation of the plugn from the regstry?")
    assert text == "Installation of the plugin from the registry?"
    assert fixed == {"Instalation": "Installation", "plugn": "plugin", "regstry": "registry"}


def test_known_short_and_identifier_words_are_left_alone():
    sp = Speller({"install": 3, "config": 2, "plugin": 2})
    # known word, word too short to judge, and parts of a file name, path and hyphenated term
    for q in ["install it", "instal it", "edit app-confg.yaml", "see /confg/plugn", "plugn-ins"]:
        text, fixed = sp.correct(q)
        if q == "instal it":
            assert text == "install it"
        else:
            assert (text, fixed) == (q, {}), q
    # no word within one edit: kept as typed
    assert sp.correct("kubernetes")[0] == "kubernetes"


def _doc(store, embedder, tenant, doc, title, text, level=AccessLevel.PARTNER):
    c = Chunk(chunk_id=chunk_uuid(tenant, doc, "1", 0), doc_id=doc, tenant_id=tenant, access_level=level,
              doc_type="playbook", title=title, version="1", position=0, text=text, index_text=text)
    store.replace_document(tenant, doc, [c], embedder.encode([text]))


def test_corrections_come_only_from_visible_documents(tmp_path, embedder):
    store = LanceDBStore(tmp_path / "idx", dim=embedder.dim)
    _doc(store, embedder, "alder", "a.md", "Cutover Checklist", "Freeze master data before the migration.")
    _doc(store, embedder, "birch", "b.md", "Hypercare", "Escalation goes to the hypercare desk.")
    _doc(store, embedder, "alder", "s.md", "Pricing", "Discounts need the controller's approval.",
         level=AccessLevel.RESTRICTED)
    scoper = MentionScoper(store)
    alder = Principal("u", "alder", AccessLevel.PARTNER)
    plan = scoper.plan("When do we freze master data before the migraton?", alder)
    assert plan.text == "When do we freeze master data before the migration?"
    assert plan.query == "When do we freze master data before the migraton?"
    assert plan.corrections == {"freze": "freeze", "migraton": "migration"}
    assert plan.evidence_text == plan.text  # what an answer must address: the question as meant
    # Words of another tenant's document and of a document above the asker's level are unknown.
    unknown = scoper.plan("Who handles escalaton?", alder)
    assert unknown.text == "Who handles escalaton?" and unknown.evidence_text is None
    assert scoper.plan("Who gives aproval?", alder).text == "Who gives aproval?"
    birch = Principal("u", "birch", AccessLevel.PARTNER)
    assert scoper.plan("Who handles escalaton?", birch).text == "Who handles escalation?"


def test_words_of_the_language_and_first_letter_changes_are_not_corrections():
    # A small corpus lacks many ordinary words: "qualify" is not a misspelt "quality", and a name
    # ("Alder") is not a misspelt "older".
    sp = Speller({"quality": 3, "older": 2, "registry": 2}, lexicon=frozenset({"qualify", "registry"}))
    assert sp.correct("Does Alder qualify for the regstry?") == ("Does Alder qualify for the registry?",
                                                                {"regstry": "registry"})
    assert Speller({"quality": 3}).correct("qualify")[0] == "quality"  # without the lexicon it would


def test_the_lexicon_holds_whole_words_of_the_model(embedder):
    from retrievers.embeddings import model_lexicon

    words = model_lexicon(embedder)
    assert {"still", "qualify", "there"} <= words
    assert not {"instalation", "plugn"} & words
