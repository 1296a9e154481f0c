"""Contract answers: the citation names the clause that holds the quoted sentence, and question
words are weighted by how distinctive they are in the asker's own index.
Real store, real model, real answerer; the contract text is written for these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import (
    MAX_CLAUSE_CHARS,
    Answerer,
    Boilerplate,
    clause_span,
    weighted_coverage,
)
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

SUPPLY = (
    "7. Delivery\n\n"
    "The Supplier ships every order within ten business days. Each shipment carries a packing list per pallet.\n\n"
    "8. Governing Law\n\n"
    "This agreement is made in Lisbon and signed in two copies. It is governed by the laws of Portugal, "
    "without regard to its conflict of laws rules. Disputes go to the courts of Lisbon.\n\n"
    "9. Notices\n\n"
    "Notices are given in writing to the addresses on the first page."
)


def contract_chunk(cid: str, text: str, doc: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="contract",
                 title="Supply Agreement", version="1", position=0, text=text, index_text=text,
                 section_path=["Supply Agreement"])


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("clauses") / "index")
    chunks = [contract_chunk("sup", SUPPLY, "supply.txt"),
              contract_chunk("oth", "The Distributor resells the goods in its territory. The agreement renews "
                                    "every year. The agreement ends on notice.", "other.txt")]
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def test_citation_names_the_whole_clause(answerer):
    ans = answerer.answer("Which country's laws govern this agreement?", P,
                          ResponseRedactor(P, load_policy(None), None), doc_ids=["supply.txt"])
    assert not ans.refused and "laws of Portugal" in ans.answer
    cit = ans.citations[0]
    clause = SUPPLY[SUPPLY.index("This agreement is made in Lisbon"):SUPPLY.index("\n\n9. Notices")]
    # The citation covers the paragraph of the quoted sentence, not only that sentence ...
    assert cit.snippet == clause
    assert (cit.char_start, cit.char_end) == (SUPPLY.index(clause), SUPPLY.index(clause) + len(clause))
    # ... and nothing of the neighbouring clauses.
    assert "Notices are given" not in cit.snippet and "packing list" not in cit.snippet


def test_clause_span_keeps_units_that_cross_paragraphs_or_a_long_paragraph():
    s, e = SUPPLY.index("Each shipment"), SUPPLY.index("It is governed") + 10
    assert clause_span(SUPPLY, s, e) == (s, e)  # two paragraphs: cited as quoted
    long = "1. Fees\n\n" + "The fee is due every month and is paid by wire transfer. " * 40
    s = long.index("The fee", 20)
    assert len(long) - 9 > MAX_CLAUSE_CHARS
    assert clause_span(long, s, s + 40) == (s, s + 40)
    short = "1. Fees\n\nThe fee is due monthly. Late fees accrue at two percent.\n\n2. Term\n\nOne year."
    s = short.index("Late")
    assert clause_span(short, s, s + 10) == (short.index("The fee"), short.index("\n\n2. Term"))


def test_distinctive_question_words_weigh_more(embedder, tmp_path):
    # "agreement" is in every document of this index, "arbitration" in one: a unit covering only
    # "arbitration" covers more of what the question asks than one covering only "agreement".
    store = LanceDBStore(tmp_path / "index")
    texts = [f"The agreement {i} sets out the prices and the agreement term of the deliveries." for i in range(5)]
    texts.append("Disputes under the agreement go to arbitration in Vienna.")
    chunks = [contract_chunk(f"c{i}", t, f"d{i}.txt") for i, t in enumerate(texts)]
    store.upsert(chunks, np.asarray(embedder.encode(texts)))
    weights, unseen = Boilerplate(store).term_weights(("acme",), int(AccessLevel.PARTNER))
    q = content_terms("Is arbitration in the agreement?")
    assert weights["agreement"] < weights["arbitr"] < unseen
    rare = weighted_coverage(q, content_terms("Claims go to arbitration."), set(), weights, unseen)
    common = weighted_coverage(q, content_terms("This agreement is signed."), set(), weights, unseen)
    assert rare > 0.5 > common
    # Unweighted, both cover one of the two question words.
    assert weighted_coverage(q, content_terms("Claims go to arbitration."), set(), {}, 1.0) == 0.5


def test_refusal_on_too_little_of_the_distinctive_words():
    from copilot.answering.answerer import should_refuse

    sig = {"score": 0.7, "coverage": 0.6, "margin": 0.1, "peak": 0.3, "idf_coverage": 0.1}
    assert not should_refuse(sig, Settings(answer_min_idf_coverage=0.0))
    assert should_refuse(sig, Settings(answer_min_idf_coverage=0.3))
    assert not should_refuse({**sig, "idf_coverage": 0.5}, Settings(answer_min_idf_coverage=0.3))
