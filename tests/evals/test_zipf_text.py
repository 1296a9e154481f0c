"""The benchmark text generator has the word statistics it claims (Zipf ranks, function words,
topical documents) and is deterministic."""

from __future__ import annotations

from collections import Counter

import numpy as np

from evals.bench_perf import store_name
from evals.zipf_text import FUNCTION_WORDS, ZipfText, pseudo_words


def _tokens(texts: list[str]) -> list[str]:
    return [w.strip(".").lower() for t in texts for w in t.split()]


def test_pseudo_words_are_distinct_and_never_function_words() -> None:
    words = pseudo_words(20_000, seed=3)
    assert len(set(words)) == 20_000
    assert not set(words) & set(FUNCTION_WORDS)
    # Frequent ranks get shorter words (Zipf's law of abbreviation).
    assert np.mean([len(w) for w in words[:200]]) < np.mean([len(w) for w in words[-2000:]])


def test_rank_frequency_follows_zipf_with_function_words_on_top() -> None:
    gen = ZipfText(50)
    counts = Counter(_tokens(gen.texts(np.random.default_rng(1), np.arange(4000) // 20, 80)))
    total = sum(counts.values())
    top = [w for w, _ in counts.most_common(len(FUNCTION_WORDS))]
    assert set(top[:10]) <= set(FUNCTION_WORDS)
    share = sum(counts[w] for w in FUNCTION_WORDS) / total
    assert 0.22 < share < 0.40  # about a third of running text, as in English
    freqs = np.array(sorted(counts.values(), reverse=True), dtype=float)
    ranks = np.arange(1, len(freqs) + 1)
    body = slice(10, 2000)  # the head and the sampled tail bend the line
    slope = np.polyfit(np.log(ranks[body]), np.log(freqs[body]), 1)[0]
    assert -1.3 < slope < -0.7
    assert len(counts) > 20_000  # tens of thousands of word types


def test_chunks_of_one_document_share_more_terms_than_chunks_of_different_topics() -> None:
    gen = ZipfText(500)
    rng = np.random.default_rng(2)
    docs = np.array([0] * 10 + [1] * 10)
    assert gen.topic_of_docs(np.array([0]))[0] != gen.topic_of_docs(np.array([1]))[0]
    texts = gen.texts(rng, docs, 80)
    content = [set(_tokens([t])) - set(FUNCTION_WORDS) for t in texts]

    def overlap(a: set[str], b: set[str]) -> float:
        return len(a & b) / len(a | b)

    same = np.mean([overlap(content[i], content[j]) for i in range(10) for j in range(10) if i != j])
    other = np.mean([overlap(content[i], content[10 + j]) for i in range(10) for j in range(10)])
    assert same > 2 * other


def test_generation_is_deterministic_and_queries_are_mostly_content_words() -> None:
    a, b = ZipfText(100), ZipfText(100)
    docs = np.arange(50) // 20
    assert a.texts(np.random.default_rng(5), docs, 30) == b.texts(np.random.default_rng(5), docs, 30)
    qs = a.queries(40)
    assert qs == b.queries(40) and len(set(qs)) == 40
    words = [w for q in qs for w in q.split()]
    assert sum(w not in FUNCTION_WORDS for w in words) / len(words) > 0.8
    assert all(2 <= len([w for w in q.split() if w not in FUNCTION_WORDS]) <= 5 for q in qs)


def test_the_former_generator_keeps_its_store_folder() -> None:
    assert store_name(1_000_000, "uniform") == "n1000000"
    assert store_name(1_000_000, "zipf") == "n1000000-zipf"
