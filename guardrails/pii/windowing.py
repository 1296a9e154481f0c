"""Long texts are cut into overlapping windows for spaCy and the spans are mapped back.

spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters) and its memory grows with text
length; windows keep both bounded. Windows end at whitespace so no token is cut, and overlap by
``overlap`` characters so an entity on a boundary is whole in at least one window.
"""

from __future__ import annotations

from collections.abc import Sequence

from guardrails.spans import PiiSpan

WINDOW_CHARS = 100_000
OVERLAP_CHARS = 1_000


def windows(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) pairs covering ``text``; a text within ``size`` is one window."""
    if size <= overlap:
        raise ValueError("window size must exceed the overlap")
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = text.rfind(" ", start + size - overlap, end)
            cut = max(cut, text.rfind("\n", start + size - overlap, end))
            if cut > start:
                end = cut
        out.append((start, text[start:end]))
        if end >= n:
            break
        nxt = end - overlap
        ws = text.find(" ", nxt, end)
        start = ws + 1 if ws != -1 else nxt
    return out


def shift(spans: Sequence[PiiSpan], offset: int) -> list[PiiSpan]:
    """Spans of a window moved to the offsets of the whole text."""
    return [PiiSpan(s.entity_type, s.start + offset, s.end + offset, s.score) for s in spans]
