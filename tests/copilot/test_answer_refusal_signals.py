"""Question words weighted by how distinctive they are in the asker's own index (a refusal
signal). Real store; the texts are written for these tests."""

from __future__ import annotations

import numpy as np

from copilot.answering.answerer import Boilerplate, weighted_coverage
from copilot.core.settings import Settings
from guardrails.citations import content_terms
from retrievers.access import AccessLevel, Principal
from retrievers.schema import Chunk
from retrievers.stores.lancedb import LanceDBStore

P = Principal("u", "acme", AccessLevel.PARTNER)

def contract_chunk(cid: str, text: str, doc: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, tenant_id="acme", access_level=AccessLevel.PARTNER, doc_type="contract",
                 title="Supply Agreement", version="1", position=0, text=text, index_text=text,
                 section_path=["Supply Agreement"])


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


def test_an_index_without_counted_words_weighs_every_word_alike(tmp_path):
    # Nothing to count (an empty view, or a store that cannot list its documents): coverage must
    # fall back to the plain share of question words, never to 0, which would refuse everything.
    weights, unseen = Boilerplate(LanceDBStore(tmp_path / "index")).term_weights(("acme",), int(AccessLevel.PARTNER))
    q = content_terms("Is arbitration in the agreement?")
    assert weights == {}
    assert weighted_coverage(q, content_terms("Claims go to arbitration."), set(), weights, unseen) == 0.5
