"""A question that names its document is judged as a question about "this agreement".

The mention chose the scope; left in the question, its words (the parties' names) match
passages all over the agreement and make an unrelated passage look like an answer.
Real store, real model, real answerer.
"""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, evidence_question
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from retrievers.access import AccessLevel, Principal
from retrievers.query import DocumentMentions, MentionScoper, QueryPlan
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

AGENCY = "Agency Agreement between Mutual Harbor Insurance Company and Stratton Cheeseman Agency"
SUPPLY = "Supply Agreement between Ormond Castings and Kelvin Foundry"
TEXTS = {
    AGENCY: [
        "Mutual Harbor Insurance Company appoints Stratton Cheeseman Agency as its agent for the sale of "
        "professional liability policies. Stratton Cheeseman Agency shall solicit applications on behalf of "
        "Mutual Harbor Insurance Company.",
        "Mutual Harbor Insurance Company pays Stratton Cheeseman Agency a commission of ten percent of the "
        "premiums collected. Commissions are paid monthly by Mutual Harbor Insurance Company.",
        "This Agreement shall be interpreted under the laws of the State of Nevada.",
    ],
    SUPPLY: [
        "Kelvin Foundry supplies heat-treated castings to Ormond Castings against monthly purchase orders.",
        "This Agreement is governed by the laws of the State of Ohio.",
    ],
}
ALDER = Principal("u", "alder", AccessLevel.PARTNER)


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("evq") / "index")
    chunks = []
    for d, (title, paras) in enumerate(TEXTS.items()):
        for i, text in enumerate(paras):
            chunks.append(Chunk(chunk_id=f"{d}-{i}", doc_id=f"contracts/{d}.txt", tenant_id="alder",
                                access_level=AccessLevel.PARTNER, doc_type="contract", title=title, version="1",
                                position=i, text=text, index_text=text, section_path=[title]))
    store.upsert(chunks, np.asarray(embedder.encode([f"{c.title}\n{c.text}" for c in chunks])))
    settings = Settings()
    return Answerer(Retriever(store, embedder), embedder, settings, scoper=MentionScoper(store))


def _answer(answerer, question):
    return answerer.answer(question, ALDER, ResponseRedactor(ALDER, load_policy(None), None))


def test_mention_is_dropped_only_when_it_chose_the_scope():
    mentions = DocumentMentions([("a", AGENCY), ("s", SUPPLY)])
    q = f"Which law governs the {AGENCY}?"
    plan = mentions.plan(q)
    assert plan.doc_ids == ["a"]
    assert evidence_question(q, plan) == "Which law governs this agreement?"
    # No document named, or a scope the caller gave: the question is judged as asked.
    plain = "Which law governs the agreement?"
    assert evidence_question(plain, mentions.plan(plain)) == plain
    assert evidence_question(q, QueryPlan(query=q, text=q, doc_ids=["a"])) == q


def test_party_names_do_not_inflate_the_evidence_score(answerer):
    q = f"Does the {AGENCY} restrict either party from competing in a territory?"
    ans = _answer(answerer, q)
    assert ans.details.get("scoped_to") == ["contracts/0.txt"]
    # The same passages judged against the question as asked score far higher: the parties'
    # names match every passage of the agreement. The service must not use that score.
    plan = answerer.plan(q, ALDER, None)
    hits = answerer.retrieve(plan.text, ALDER, plan.doc_ids)
    as_asked = answerer.extractive(q, ALDER, hits, ResponseRedactor(ALDER, load_policy(None), None), False)
    print(f"as asked {as_asked.confidence:.3f}, judged as '{evidence_question(q, plan)}' {ans.confidence:.3f}")
    assert ans.confidence < as_asked.confidence - 0.1


def test_named_document_still_answers_what_it_contains(answerer):
    ans = _answer(answerer, f"Which law governs the {AGENCY}?")
    assert not ans.refused
    assert "Nevada" in ans.answer and "Ohio" not in ans.answer
