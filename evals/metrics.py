"""Retrieval metrics with the definitions of the shared baselines (shared/BASELINES.md).

A retrieved item is ``(doc_id, start, end)``: a chunk's document and its character range
in the document text. A case's gold is its reference documents plus, when known, gold
spans ``(doc_id, start, end)`` in the same coordinates.

- ``hit@k`` (doc@k): some top-k item comes from a reference document.
- ``recall@k`` by reference doc: fraction of reference documents with a top-k item.
- ``recall@k`` by passage (R@k): fraction of gold spans overlapped by at least one top-k item.
- relevance (for MRR and nDCG): an item is relevant when it overlaps a gold span; a case with
  no spans falls back to document relevance (the item comes from a reference document).
  A set may ask for a stricter overlap (``Gold.min_share``, e.g. docs_qa_dev's rule: the overlap
  covers at least half of the shorter of item and span, counted in normalised tokens).
- ``MRR@10``: 1 / rank of the first relevant item in the top 10 (0 when none).
- ``nDCG@10``: binary gains, log2 discount; the ideal ranking places all relevant chunks of
  the index first (``n_relevant`` = how many chunks of the index are relevant, capped at k).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KS: tuple[int, ...] = (1, 3, 5, 10)
_ALNUM = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Item:
    """One retrieved chunk located in its document."""

    doc_id: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int
    end: int


@dataclass
class Gold:
    doc_ids: frozenset[str]
    spans: tuple[Span, ...] = ()
    forbidden_doc_ids: frozenset[str] = field(default_factory=frozenset)
    # 0: any shared character counts. Otherwise the shared normalised tokens must be at least
    # this share of the shorter of item and span; ``token_starts`` holds, per document, the
    # sorted character offsets where its normalised tokens start.
    min_share: float = 0.0
    token_starts: dict[str, list[int]] = field(default_factory=dict)

    @property
    def passage_level(self) -> bool:
        return bool(self.spans)

    def covers(self, item: Item, span: Span) -> bool:
        """``item`` counts for ``span`` under this set's relevance rule."""
        if not overlaps(item, span):
            return False
        starts = self.token_starts.get(span.doc_id)
        if not self.min_share or starts is None:
            return True

        def n(a: int, b: int) -> int:
            return bisect.bisect_left(starts, b) - bisect.bisect_left(starts, a) if b > a else 0

        shared = n(max(item.start, span.start), min(item.end, span.end))
        shorter = min(n(item.start, item.end), n(span.start, span.end))
        return shorter > 0 and shared >= self.min_share * shorter


def overlaps(item: Item, span: Span) -> bool:
    """Half-open ranges [start, end) of the same document share at least one character."""
    return item.doc_id == span.doc_id and item.start < span.end and span.start < item.end


def token_starts(text: str) -> list[int]:
    """Offsets where normalised tokens start (lowercased, non-alphanumerics as spaces)."""
    return [m.start() for m in _ALNUM.finditer(text)]


def relevant(item: Item, gold: Gold) -> bool:
    if gold.spans:
        return any(gold.covers(item, s) for s in gold.spans)
    return item.doc_id in gold.doc_ids


def relevance(items: Sequence[Item], gold: Gold) -> list[int]:
    return [1 if relevant(it, gold) else 0 for it in items]


def hit_at_k(items: Sequence[Item], gold: Gold, k: int) -> float:
    return 1.0 if any(it.doc_id in gold.doc_ids for it in items[:k]) else 0.0


def doc_recall_at_k(items: Sequence[Item], gold: Gold, k: int) -> float:
    if not gold.doc_ids:
        return 0.0
    found = {it.doc_id for it in items[:k]} & gold.doc_ids
    return len(found) / len(gold.doc_ids)


def passage_recall_at_k(items: Sequence[Item], gold: Gold, k: int) -> float:
    """Fraction of gold spans overlapped by at least one of the top-k items."""
    if not gold.spans:
        return doc_recall_at_k(items, gold, k)
    top = items[:k]
    covered = sum(1 for s in gold.spans if any(gold.covers(it, s) for it in top))
    return covered / len(gold.spans)


def mrr_at_k(rels: Sequence[int], k: int = 10) -> float:
    for i, r in enumerate(rels[:k], start=1):
        if r:
            return 1.0 / i
    return 0.0


def dcg(rels: Iterable[int]) -> float:
    return sum(r / math.log2(i + 1) for i, r in enumerate(rels, start=1))


def ndcg_at_k(rels: Sequence[int], n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k; ``n_relevant`` is the number of relevant chunks in the whole index
    (at least the number found in ``rels``, so the score never exceeds 1)."""
    n_ideal = min(k, max(n_relevant, sum(rels[:k])))
    if n_ideal == 0:
        return 0.0
    return dcg(rels[:k]) / dcg([1] * n_ideal)


def count_relevant(doc_ranges: dict[str, list[tuple[int, int]]], gold: Gold) -> int:
    """How many chunks of the index are relevant to ``gold`` (the ideal ranking's length)."""
    n = 0
    for doc in gold.doc_ids | {s.doc_id for s in gold.spans}:
        for start, end in doc_ranges.get(doc, []):
            if relevant(Item(doc, start, end), gold):
                n += 1
    return n


def leaks(items: Sequence[Item], gold: Gold) -> list[str]:
    """Forbidden documents that were returned (must always be empty)."""
    return sorted({it.doc_id for it in items if it.doc_id in gold.forbidden_doc_ids})


def case_metrics(items: Sequence[Item], gold: Gold, n_relevant: int, ks: Sequence[int] = KS) -> dict[str, float]:
    """All ranking metrics of one answerable case."""
    rels = relevance(items, gold)
    out: dict[str, float] = {}
    for k in ks:
        out[f"hit@{k}"] = hit_at_k(items, gold, k)
        out[f"recall@{k}"] = passage_recall_at_k(items, gold, k)
        out[f"doc_recall@{k}"] = doc_recall_at_k(items, gold, k)
    out["mrr@10"] = mrr_at_k(rels, 10)
    out["ndcg@10"] = ndcg_at_k(rels, n_relevant, 10)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float:
    xs = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(xs) / len(xs) if xs else float("nan")


@dataclass
class RefusalCounts:
    """Refusal behaviour over answerable and unanswerable cases."""

    unanswerable: int = 0
    refused_unanswerable: int = 0
    answerable: int = 0
    answered_answerable: int = 0

    def add(self, answerable: bool, refused: bool) -> None:
        if answerable:
            self.answerable += 1
            self.answered_answerable += int(not refused)
        else:
            self.unanswerable += 1
            self.refused_unanswerable += int(refused)

    @property
    def refusal_rate(self) -> float:
        """Share of unanswerable cases that were refused."""
        return self.refused_unanswerable / self.unanswerable if self.unanswerable else float("nan")

    @property
    def answer_rate(self) -> float:
        """Share of answerable cases that were answered (not refused)."""
        return self.answered_answerable / self.answerable if self.answerable else float("nan")

    @property
    def accuracy(self) -> float:
        n = self.unanswerable + self.answerable
        return (self.refused_unanswerable + self.answered_answerable) / n if n else float("nan")
