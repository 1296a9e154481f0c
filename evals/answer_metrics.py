"""Answer-level metrics: is the answer right, does it cite the gold evidence, does it refuse well.

Retrieval metrics say whether the evidence was found; these say whether the answer a user reads
is the reference answer. Definitions (used by every set and mode):

- ``token_f1``: SQuAD-style token F1 between answer text and reference answer, after
  lowercasing, removing punctuation and articles.
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


def normalize_tokens(text: str) -> list[str]:
    """Lowercase, drop punctuation and English articles, split on whitespace."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_tokens(prediction), normalize_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains_short(prediction: str, short_answer: str) -> bool:
    """The short answer's normalised tokens occur contiguously in the prediction."""
    needle, hay = normalize_tokens(short_answer), normalize_tokens(prediction)
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
