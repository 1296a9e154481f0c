"""Units of lower-ranked passages lose a little per rank step (``PASSAGE_RANK_PENALTY``): a
sentence of another document that merely reads like the question no longer outscores the best
passage's answer by a hair, while a lower passage that clearly answers still wins, and the refusal
rule still reads the scores without the penalty. Real parser,
store, model and answerer; the texts are written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.answering.answerer import PASSAGE_RANK_PENALTY, Answerer, passage_rank_share
from copilot.core.redact import ResponseRedactor, load_policy
from copilot.core.settings import Settings
from retrievers.access import AccessLevel, Principal
from retrievers.retriever import Retriever
from retrievers.schema import Chunk, ScoredChunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)
QUESTION = "How long are invoice records retained?"
ANSWER = "Retention\n\nInvoice records are retained for seven years after the fiscal year closes."
FILLER = "Payments\n\nPayments are matched to open items every night by the bank import job."
# Reads like the question (its words, its "how long") without saying how long.
LOOKALIKE = "Local rules\n\nHow long invoice records are retained depends on the policy of each country."


def chunk(cid: str, text: str, title: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=f"{cid}.md", tenant_id="acme", access_level=AccessLevel.PARTNER,
                 doc_type="guide", title=title, version="1", position=0, text=text, index_text=text,
                 section_path=[title])


CHUNKS = [chunk("finance", ANSWER, "Finance Guide"), chunk("pay", FILLER, "Payments Guide"),
          chunk("local", LOOKALIKE, "Country Guide")]


@pytest.fixture(scope="module")
def answerer(embedder, tmp_path_factory):
    store = LanceDBStore(tmp_path_factory.mktemp("passage-rank") / "index")
    store.upsert(CHUNKS, np.asarray(embedder.encode([c.text for c in CHUNKS])))
    return Answerer(Retriever(store, embedder), embedder, Settings(), scoper=None)


def ask(answerer: Answerer, order: list[Chunk]):
    hits = [ScoredChunk(c, 1.0 - i * 0.1) for i, c in enumerate(order)]
    return answerer.extractive(QUESTION, P, hits, ResponseRedactor(P, load_policy(None), None), False)


def test_the_best_passage_answers_before_a_lower_lookalike(answerer):
    ans = ask(answerer, CHUNKS)
    assert not ans.refused
    assert ans.citations[0].doc_id == "finance.md"
    assert ans.answer.startswith("Invoice records are retained for seven years")


def test_a_lower_passage_that_answers_still_wins(answerer):
    # The rank penalty tips near ties only: passages ranked above the answer that do not answer lose.
    ans = ask(answerer, [CHUNKS[1], CHUNKS[0]])
    assert not ans.refused
    assert ans.citations[0].doc_id == "finance.md"


def test_refusal_reads_scores_without_the_rank_penalty(answerer):
    # The answer sits in the second passage: its penalised score picks units, while the refusal
    # signals keep the score the rule was calibrated on.
    order = [CHUNKS[1], CHUNKS[0]]
    ans = ask(answerer, order)
    hits = [ScoredChunk(c, 1.0 - i * 0.1) for i, c in enumerate(order)]
    cands, scores, _ = answerer.score_units(QUESTION, P, hits)
    unpenalised = scores + PASSAGE_RANK_PENALTY * passage_rank_share(cands, hits)
    assert ans.details["signals"]["score"] == round(float(unpenalised.max()), 4)
    assert ans.details["signals"]["score"] > round(float(scores.max()), 4)
