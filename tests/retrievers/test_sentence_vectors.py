"""The sentence and question vector cache: a question asked again is not encoded again, and its
vector equals a fresh encoding. Real model."""

from __future__ import annotations

import numpy as np

from retrievers.embeddings import SentenceVectors


class CountingEmbedder:
    """The real embedder, with the texts of each encode call recorded."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def encode(self, texts, batch_size=None):
        self.calls.append(list(texts))
        return self.real.encode(texts)


def test_a_repeated_question_is_encoded_once(embedder):
    spy = CountingEmbedder(embedder)
    sv = SentenceVectors(spy)
    sents = ["Invoices are sent on the first working day.", "Credit notes need a manager's approval."]
    q = "When are invoices sent?"
    v1, q1 = sv.get(sents, extra=[q])
    v2, q2 = sv.get(sents, extra=[q])
    assert spy.calls == [[q, *sents]]  # the second call encodes nothing
    assert np.allclose(q1, q2) and np.allclose(v1, v2)
    fresh = embedder.encode([q])
    assert np.allclose(q2[0], fresh[0], atol=1e-5)
    # A new question is encoded, alone (the sentences are cached).
    _, q3 = sv.get(sents, extra=["Who approves credit notes?"])
    assert spy.calls[-1] == ["Who approves credit notes?"] and q3.shape == q1.shape


def test_questions_never_evict_sentences(embedder):
    sv = SentenceVectors(CountingEmbedder(embedder), max_items=10, max_extra=2)
    sv.get(["One sentence to keep."])
    for i in range(5):
        sv.get(["One sentence to keep."], extra=[f"question number {i}?"])
    assert len(sv) == 1 and len(sv._extra) == 2
