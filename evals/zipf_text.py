"""Synthetic text with the word statistics of natural language, for search benchmarks.

The first benchmark generator drew every word uniformly from ~60 domain words: each query term
then matched most chunks, so a BM25 query walked nearly every posting and could skip nothing.
Real text is not like that, and the properties used here are textbook ones, not fitted to any
data set of the project:

- **Zipf's law** (rank-frequency ``p(r) ~ 1 / r^s`` with ``s`` close to 1 for English): a few
  words are very common, most are rare. ``vocabulary`` = 50,000 types: tens of thousands of
  word types is what a corpus of millions of tokens holds (Heaps' law), and what an English
  desk dictionary's working vocabulary is.
- **Function words head the ranking**: the most frequent English words (the, of, and, ...)
  hold the top ranks; under ``s`` = 1 the 33 of them make ~36 % of tokens, as in English
  (the top few dozen words are about a third of running text). They are real English stop
  words, so the full-text index drops them as it does in real text.
- **Topics and burstiness**: a document keeps to a topic and repeats its own terms (Church &
  Gale; topic models). Each document has a topic (the same one its vectors are drawn around)
  whose own Zipf ranking over the content words is a topic-specific permutation: ``topic_share``
  of a document's tokens come from it, ``doc_share`` from a handful of the document's own rare
  terms (names, identifiers), the rest from the global ranking.
- **Queries are drawn the same way**: a few content words of one topic (mostly its own terms,
  some general ones), with the odd function word, as a person types them.

Content words are generated pseudo-words (consonant-vowel syllables, shorter for frequent
ranks: Zipf's law of abbreviation), so no text or term of any data set is in the benchmark.
"""

from __future__ import annotations

import math

import numpy as np

# The most frequent English words, in about their frequency order (all on the usual English
# stop-word lists, so a full-text index with stop-word removal drops them, as in real text).
FUNCTION_WORDS = (
    "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
    "not", "this", "are", "at", "or", "an", "but", "they", "their", "will", "there", "if", "no", "these",
    "then", "into", "such",
)
_ONSETS = ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "t", "v", "w", "z",
           "br", "cl", "dr", "gr", "pl", "st", "tr", "sk", "fl")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "x", "z", "nd", "rk", "lt", "mp")


def pseudo_words(n: int, seed: int) -> list[str]:
    """``n`` distinct pronounceable pseudo-words; word ``i`` is shorter the smaller ``i``."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    seen = set(FUNCTION_WORDS)
    while len(out) < n:
        rank = len(out)
        syllables = 1 + (rank >= 200) + (rank >= 3000) + int(rng.integers(0, 2))
        word = "".join(_ONSETS[int(rng.integers(len(_ONSETS)))] + _VOWELS[int(rng.integers(len(_VOWELS)))]
                       for _ in range(syllables)) + _CODAS[int(rng.integers(len(_CODAS)))]
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def zipf_cdf(n: int, s: float) -> np.ndarray:
    """Cumulative probabilities of ranks 1..n under Zipf's law with exponent ``s``."""
    p = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    c = np.cumsum(p)
    return c / c[-1]


class ZipfText:
    """Generator of chunk texts and queries (see the module docstring); deterministic per seed."""

    def __init__(self, topics: int, *, vocabulary: int = 50_000, s: float = 1.0, topic_share: float = 0.3,
                 doc_share: float = 0.05, doc_terms: int = 8, seed: int = 17):
        self.topics = topics
        self.topic_share = topic_share
        self.doc_share = doc_share
        self.doc_terms = doc_terms
        self.seed = seed
        self.function_count = len(FUNCTION_WORDS)
        content = vocabulary - self.function_count
        self.content = content
        self.words = np.array([*FUNCTION_WORDS, *pseudo_words(content, seed)])
        self.global_cdf = zipf_cdf(vocabulary, s)  # over every word, function words first
        self.content_cdf = zipf_cdf(content, s)  # a topic's own ranking of the content words
        rng = np.random.default_rng(seed + 1)
        # Topic t ranks content word (a_t * r + b_t) mod content at its rank r: a permutation per
        # topic (a_t coprime with the count), without holding topics x vocabulary in memory.
        a = rng.integers(1, content, topics)
        for i in range(topics):
            while math.gcd(int(a[i]), content) != 1:
                a[i] = (a[i] + 1) % content or 1
        self.topic_a = a.astype(np.int64)
        self.topic_b = rng.integers(0, content, topics).astype(np.int64)

    def topic_of_docs(self, docs: np.ndarray) -> np.ndarray:
        """Each document's topic (a hash of its number, so any slice of rows agrees)."""
        d = docs.astype(np.uint64)
        h = (d * np.uint64(0x9E3779B97F4A7C15) + np.uint64(self.seed)) >> np.uint64(17)
        return (h % np.uint64(self.topics)).astype(np.int64)

    def _topic_words(self, rng: np.random.Generator, topics: np.ndarray) -> np.ndarray:
        r = np.searchsorted(self.content_cdf, rng.random(topics.shape), side="right").astype(np.int64)
        return self.function_count + (self.topic_a[topics] * r + self.topic_b[topics]) % self.content

    def _doc_words(self, rng: np.random.Generator, docs: np.ndarray) -> np.ndarray:
        # A document's own terms: ``doc_terms`` words of the rarer half of the vocabulary, fixed
        # per document (derived from its number), one of them drawn per token.
        j = rng.integers(0, self.doc_terms, docs.shape).astype(np.uint64)
        h = (docs.astype(np.uint64) * np.uint64(0x2545F4914F6CDD1D) + j * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(self.seed)) >> np.uint64(11)
        half = self.content // 2
        return (self.function_count + half + (h % np.uint64(self.content - half))).astype(np.int64)

    def token_ids(self, rng: np.random.Generator, docs: np.ndarray, length: int) -> np.ndarray:
        """Word indexes of ``len(docs)`` chunks of ``length`` tokens (chunk i belongs to ``docs[i]``)."""
        shape = (len(docs), length)
        ids = np.searchsorted(self.global_cdf, rng.random(shape), side="right").astype(np.int64)
        topics = np.broadcast_to(self.topic_of_docs(docs)[:, None], shape)
        u = rng.random(shape)
        topical = u < self.topic_share
        ids[topical] = self._topic_words(rng, topics[topical])
        own = (u >= self.topic_share) & (u < self.topic_share + self.doc_share)
        ids[own] = self._doc_words(rng, np.broadcast_to(docs[:, None], shape)[own])
        return ids

    def texts(self, rng: np.random.Generator, docs: np.ndarray, length: int) -> list[str]:
        """Chunk texts: sentences of 8-20 tokens, capitalised, full stop at the end."""
        ids = self.token_ids(rng, docs, length)
        out = []
        for row in self.words[ids]:
            words = row.tolist()
            i, parts = 0, []
            while i < len(words):
                n = int(rng.integers(8, 21))
                parts.append(" ".join(words[i:i + n]).capitalize() + ".")
                i += n
            out.append(" ".join(parts))
        return out

    def queries(self, n: int, seed: int = 23) -> list[str]:
        """``n`` queries: 2-5 content words of one topic (70 % its own terms, else general content
        words), with a function word before the last one half of the time."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            topic = np.array([int(rng.integers(self.topics))])
            words: list[str] = []
            for _ in range(int(rng.integers(2, 6))):
                if rng.random() < 0.7:
                    w = int(self._topic_words(rng, topic)[0])
                else:
                    r = int(np.searchsorted(self.content_cdf, rng.random(), side="right"))
                    w = self.function_count + r
                words.append(str(self.words[w]))
            if rng.random() < 0.5:
                words.insert(len(words) - 1, FUNCTION_WORDS[int(rng.integers(0, 12))])
            out.append(" ".join(words))
        return out
