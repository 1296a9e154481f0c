"""Which sentences spaCy's entity model reads: those that could hold a name.

The entity model is two thirds of detection's cost, and it finds people, places and firms only
in capitalised words. A sentence whose only capitalised word opens it and is a common English
word ("Click the button.", "The job runs nightly.") gives it nothing to find; neither do words
of the document's own title and headings (the product it documents), acronyms, or identifiers
in camel case ("ConfigMap"). Those sentences are blanked (same length, so offsets hold) in the
copy the model reads; the words next to a kept sentence stay, because the model reads a few
tokens either side of each word.
Every other step (tokens, lemmas, the recognizers) still reads the whole text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from guardrails.pii.given_names import (
    common_given_name,
    given_name_class,
    is_english_word,
    is_inflected_english,
    stop_words,
)
from guardrails.pii.names import WORD_RE, inner_capital

# Words kept on either side of a read sentence: more than the model's window of context
# (spaCy's small English model sees four tokens each way).
MARGIN_WORDS = 6

_BOUNDARY = re.compile(r"[.!?]+(?=\s)|\n")
# An initial or a short capitalised abbreviation before a full stop ("J.", "Mr.", "Prof.").
_ABBREVIATION = re.compile(r"(?<![\w.])(?:[^\W\d_]|[A-Z][a-z]{1,3})$")
_SPACE_RUN = re.compile(r"\S+")
_BLANK = re.compile(r"[^\n]")
# After these a word is capitalised as the opening of a field, list item or bracket.
_OPENERS = frozenset(":;([{\"“‘'*•>|#-–—=")


def term_words(terms: Iterable[str]) -> frozenset[str]:
    """Lower-case words of the document's own titles and headings (and configured allow-terms)."""
    return frozenset(w.lower() for t in terms for w in WORD_RE.findall(t))


def may_hold_a_name(sentence: str, terms: frozenset[str] = frozenset()) -> bool:
    """``sentence`` has a capitalised word the model could read as a name, a place or a firm."""
    for m in WORD_RE.finditer(sentence):
        word = m.group()
        if not word[0].isupper():
            continue
        named = given_name_class(word) > 0
        if len(word) > 1 and word.isupper() and not named:
            continue  # an acronym ("API", "RBAC"); a name in capitals is a given name ("JOHN")
        if not named and inner_capital(word):
            continue  # an identifier ("ConfigMap"); a name's prefix keeps "McDonald", a given name "JoAnn"
        if word.lower() in terms and not common_given_name(word):
            continue  # the document's own subject ("Red Hat" in its guide)
        # A word opening the sentence, a field or a bracket is capitalised anyway: a name only if
        # no common word ("Enter", "Returns", "The").
        # (the character before it, past any spaces, read in place rather than by copying the
        # sentence up to every such word)
        k = m.start() - 1
        while k >= 0 and sentence[k].isspace():
            k -= 1
        if k < 0 or sentence[k] in _OPENERS:
            if word.lower() in stop_words():
                continue
            if common_given_name(word) or not (is_english_word(word) or is_inflected_english(word)):
                return True
            continue
        return True
    return False


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group() == "." and _ABBREVIATION.search(text, max(0, m.start() - 6), m.start()):
            continue  # "J. Smith", "Dr. Okafor": the name goes on
        if m.end() > start:
            yield start, m.end()
            start = m.end()
    if start < len(text):
        yield start, len(text)


def focus_text(text: str, terms: frozenset[str] = frozenset()) -> str:
    """``text`` with every sentence that cannot hold a name blanked (newlines kept, same length),
    but for the :data:`MARGIN_WORDS` words either side of a kept one (across blank lines too)."""
    spans = list(_sentences(text))
    keep = [(a, b) for a, b in spans if may_hold_a_name(text[a:b], terms)]
    if len(keep) == len(spans):
        return text
    words = [(m.start(), m.end()) for m in _SPACE_RUN.finditer(text)]
    starts = [a for a, _ in words]
    pieces: list[tuple[int, int]] = []
    for a, b in keep:
        i = bisect_left(starts, a)
        j = bisect_left(starts, b)
        lo = starts[max(0, i - MARGIN_WORDS)] if i else a
        hi = words[min(len(words), j + MARGIN_WORDS) - 1][1] if j < len(words) else b
        pieces.append((min(lo, a), max(hi, b)))
    blanked = _BLANK.sub(" ", text)
    parts, pos = [], 0
    for lo, hi in pieces:  # in text order; overlapping margins merge
        lo = max(lo, pos)
        if hi <= lo:
            continue
        parts.append(blanked[pos:lo])
        parts.append(text[lo:hi])
        pos = hi
    parts.append(blanked[pos:])
    return "".join(parts)


def focused_docs(nlp: Any, texts: Sequence[str], terms: Sequence[frozenset[str]], batch_size: int,
                 ner: str = "ner") -> Iterator[Any]:  # fmt: skip
    """spaCy docs of ``texts`` (every component but the entity model) with the entities the model
    finds in :func:`focus_text` of each; an entity reaching into a blanked stretch is dropped."""
    focus = [focus_text(t, w) for t, w in zip(texts, terms, strict=True)]
    docs = nlp.pipe(texts, batch_size=batch_size, disable=[ner])
    read = nlp.pipe(focus, batch_size=batch_size, disable=[n for n in nlp.pipe_names if n != ner])
    for text, seen, doc, model in zip(texts, focus, docs, read, strict=True):
        ents: list[Any] = []
        for e in model.ents:
            if seen[e.start_char : e.end_char] != text[e.start_char : e.end_char]:
                continue
            span = doc.char_span(e.start_char, e.end_char, label=e.label_, alignment_mode="expand")
            if span is not None and (not ents or span.start >= ents[-1].end):
                ents.append(span)
        doc.ents = ents
        yield doc
