"""Refusal signals that tell "the document has a passage about this" from "it has only neighbouring
clauses": the question's rarest words in the best unit, how far the best unit stands out, and the
calibrated rule built on them. Real store, real model, real answerer; the texts are written for these
tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, rarest_covered, should_refuse
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

# Clauses every agreement of this library has (with its own figures, so none is template text):
# the words they use are common in the index.
COMMON = [
    "This agreement starts on the effective date and continues for {n} years unless terminated earlier.",
    "Either party may terminate this agreement on {n}0 days written notice to the other party.",
    "The supplier shall deliver the products to the buyer within {n}5 days of each purchase order.",
    "The buyer shall pay each invoice of the supplier within {n}2 days of receipt.",
    "Each party shall keep the other party's confidential information secret for {n} years after the term.",
]
ASK = "Is the supplier prohibited from competing with the buyer after this agreement ends?"
ANSWER = ("For two years after this agreement ends the supplier shall not compete with the buyer nor solicit "
          "the buyer's customers in the territory.")


def contract(cid: str, text: str, doc: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="contract",
                 title="Supply Agreement", version="1", position=0, text=text, index_text=text,
                 section_path=["Supply Agreement"])


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("stand-out") / "index")
    chunks = []
    for d in range(6):
        for i, text in enumerate(COMMON):
            chunks.append(contract(f"o{d}-{i}", text.format(n=d + 1), f"other-{d}.txt"))
    for i, text in enumerate(COMMON):
        chunks.append(contract(f"w{i}", text.format(n=7), "with.txt"))
        chunks.append(contract(f"n{i}", text.format(n=8), "without.txt"))
    chunks.append(contract("w-answer", ANSWER, "with.txt"))
    store.upsert(chunks, np.asarray(embedder.encode([c.text for c in chunks])))
    # The refusal off: the signals of every question are read as computed.
    return Answerer(Retriever(store, embedder), embedder, Settings(answer_min_confidence=-1.0,
                                                                   answer_min_idf_coverage=0.0), scoper=None)


def ask(answerer: Answerer, doc: str) -> dict:
    ans = answerer.answer(ASK, P, ResponseRedactor(P, load_policy(None), None), doc_ids=[doc])
    return ans.details["signals"]


def test_rarest_words_in_the_unit():
    weight = {"compet": 4.0, "supplier": 2.0, "prohibit": 0.8, "buyer": 0.8, "agreement": 0.2, "end": 0.5}
    q = content_terms(ASK)
    assert rarest_covered(q, content_terms(ANSWER), set(), weight) == 1.0
    assert rarest_covered(q, content_terms(COMMON[1].format(n=3)), set(), weight) == 0.0
    # Words the index never uses tell nothing: with none known, nothing counts against the unit.
    assert rarest_covered(q, set(), set(), {}) == 1.0


def test_a_document_with_only_neighbouring_clauses_lacks_the_rare_words(answerer):
    has, lacks = ask(answerer, "with.txt"), ask(answerer, "without.txt")
    assert has["rare"] > lacks["rare"]
    assert lacks["rare"] <= 0.5
    for sig in (has, lacks):
        assert {"z", "rare", "agree", "second"} <= set(sig)
        assert 0.0 <= sig["agree"] <= 1.0


def test_the_rule_weighs_the_new_signals():
    sig = {"score": 0.5, "coverage": 0.5, "margin": 0.0, "peak": 0.0, "idf_coverage": 0.5, "z": 1.0,
           "rare": 0.0, "agree": 0.0, "second": 0.0}
    base = {"answer_min_confidence": 0.45, "answer_min_idf_coverage": 0.0, "answer_margin_weight": 0.0,
            "answer_peak_weight": 0.0}
    assert not should_refuse(sig, Settings(**base, answer_margin_floor=0.0))
    # The question's rarest words missing from the best unit: refused once they carry weight.
    assert should_refuse(sig, Settings(**base, answer_margin_floor=0.1, answer_rare_weight=0.1))
    assert not should_refuse({**sig, "rare": 1.0}, Settings(**base, answer_margin_floor=0.1, answer_rare_weight=0.1))
