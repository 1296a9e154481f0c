"""Unit scoring counts each question word by how distinctive it is in the asker's own index: the
sentence holding the rare word the question turns on beats one holding only the words every
document shares. Real store, real model, real answerer; the texts are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import Answerer, coverage
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

# Every supply agreement of this library speaks of parties, notice and the agreement.
SHARED_WORDS = ("Each party shall give the other party written notice under this agreement. The party receiving "
                "a notice under this agreement confirms it in writing. Prices under this agreement are fixed yearly.")
SECTION = "Delivery Terms"
ASK = "Is written notice required before a party may transfer this agreement to a successor?"
# The answer holds the rare words ("transfer", "successor"); the distractor repeats the shared ones.
ANSWER = "No transfer to a successor is valid unless the buyer approves it beforehand."
DISTRACTOR = "Each party shall confirm in writing any notice it receives from the other party under this agreement."


def contract(cid: str, text: str, doc: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="contract",
                 title="Supply Agreement", version="1", position=0, text=text, index_text=text,
                 section_path=["Supply Agreement", SECTION])


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("distinct") / "index")
    chunks = [contract(f"o{i}", SHARED_WORDS, f"other-{i}.txt") for i in range(6)]
    chunks.append(contract("t", f"{DISTRACTOR}\n\n{ANSWER}", "target.txt"))
    store.upsert(chunks, np.asarray(embedder.encode([c.text for c in chunks])))
    return Answerer(Retriever(store, embedder), embedder, Settings(answer_min_confidence=-1.0), scoper=None)


def test_weighted_coverage_counts_rare_words_more():
    q = content_terms(ASK)
    weight = {"parti": 0.5, "notic": 0.5, "agreement": 0.5, "written": 0.5, "requir": 1.0, "transfer": 3.0,
              "successor": 3.0}
    plain = (coverage(q, set(), content_terms(ANSWER), set()), coverage(q, set(), content_terms(DISTRACTOR), set()))
    weighted = (coverage(q, set(), content_terms(ANSWER), set(), weight),
                coverage(q, set(), content_terms(DISTRACTOR), set(), weight))
    assert plain[0] < plain[1]
    assert weighted[0] > weighted[1]


def test_the_unit_with_the_distinctive_word_scores_best(answerer):
    hits = answerer.retrieve(ASK, P, ["target.txt"])
    cands, scores, _ = answerer.score_units(ASK, P, hits)
    ranked = [cands[int(i)][0].text for i in np.argsort(-scores)]
    assert ranked[0] == ANSWER
    ans = answerer.answer(ASK, P, ResponseRedactor(P, load_policy(None), None), doc_ids=["target.txt"])
    assert not ans.refused and ANSWER in ans.answer
