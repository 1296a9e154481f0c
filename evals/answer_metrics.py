"""Answer-level metrics: is the answer right, does it cite the gold evidence, does it refuse well.

Retrieval metrics say whether the evidence was found; these say whether the answer a user reads
is the reference answer. Definitions (used by every set and mode):

- ``token_f1``: SQuAD-style token F1 between answer text and reference answer, after
  lowercasing, removing punctuation and articles (``token_precision_recall``: its two sides).
  The answer's citation markers (``[1]``) are not answer text and are removed first.
- ``contains_short``: the normalised short answer (e.g. CUAD ``short_answer`` "Nevada")
  appears as a token sequence inside the normalised answer.
- ``cites_gold``: some citation's character range overlaps a gold span of the same document.
- refusal accuracy: over unanswerable cases the share refused; over answerable the share answered.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from evals.metrics import Item, Span, overlaps

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation})


# The answerer's citation markers: " [n]" after each quoted unit.
_CITATION_MARKER = re.compile(r"\s*\[\d+\]")


def answer_text(prediction: str) -> str:
    """The answer as a reader scores it: without its citation markers."""
    return _CITATION_MARKER.sub("", prediction)


def normalize_tokens(text: str) -> list[str]:
    """Lowercase, drop punctuation and English articles, split on whitespace."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split()


def token_precision_recall(prediction: str, reference: str) -> tuple[float, float]:
    """Share of answer tokens found in the reference (precision) and of reference tokens found in
    the answer (recall): which side of token F1 an answer loses on (too long or too short)."""
    pred, ref = normalize_tokens(answer_text(prediction)), normalize_tokens(reference)
    if not pred or not ref:
        same = float(pred == ref)
        return same, same
    common = sum((Counter(pred) & Counter(ref)).values())
    return common / len(pred), common / len(ref)


def token_f1(prediction: str, reference: str) -> float:
    precision, recall = token_precision_recall(prediction, reference)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def contains_short(prediction: str, short_answer: str) -> bool:
    """The short answer's normalised tokens occur contiguously in the prediction."""
    needle, hay = normalize_tokens(short_answer), normalize_tokens(answer_text(prediction))
    if not needle:
        return False
    n = len(needle)
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def cites_gold(citations: Iterable[Item], spans: Sequence[Span]) -> bool:
    """At least one cited character range overlaps a gold span of its document."""
    return any(overlaps(c, s) for c in citations for s in spans)


def refusal_accuracy(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Share of unanswerable cases refused and of answerable cases answered."""
    unans = [r for r, a in zip(refused, answerable, strict=True) if not a]
    ans = [r for r, a in zip(refused, answerable, strict=True) if a]
    return {
        "refused_unanswerable": sum(unans) / len(unans) if unans else float("nan"),
        "answered_answerable": (len(ans) - sum(ans)) / len(ans) if ans else float("nan"),
    }
