"""Structure-aware chunking sized for the embedding model's window.

Chunks are contiguous spans of the parsed document text (so character offsets and
PII spans map exactly), hold whole sentences, start at a section heading when they
can (short sections share a chunk), and carry a small sentence overlap only where a
long section is cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingestion.parsing import ParsedDocument

# Sentence ends: . ! ? followed by space + capital/digit/quote, or a blank line.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n{2,}|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of an over-long one) with its section and size in model tokens."""

    start: int
    end: int
    page: int | None
    section: int
    is_title: bool
    tokens: int


@dataclass
class ChunkSpan:
    start: int
    end: int
    section_path: list[str]
    page: int | None


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (absolute offsets, whitespace trimmed)."""
    out = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _split_long(text: str, s: int, e: int, max_tokens: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Split one over-long sentence at word boundaries so each piece fits."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[s:e])]
    pieces: list[tuple[int, int]] = []
    i = 0
    step = max(8, int(max_tokens * 0.6))  # words per piece; ~1.3 tokens per word
    while i < len(words):
        j = min(len(words), i + step)
        while j > i + 1 and count(text[s + words[i][0] : s + words[j - 1][1]]) > max_tokens:
            j = i + max(1, (j - i) * 3 // 4)
        pieces.append((s + words[i][0], s + words[j - 1][1]))
        i = j
    return pieces


def chunk_document(
    doc: ParsedDocument,
    *,
    max_tokens: int = 200,
    overlap_tokens: int = 40,
    count_tokens: Callable[[str], int] | None = None,
) -> list[ChunkSpan]:
    """Chunk spans for one parsed document.

    Sentences are packed in document order up to ``max_tokens``. Short sections share a chunk
    (a page of many small sections would otherwise become many tiny chunks, each too small
    to carry the context of an answer); a chunk that would end inside a section ends at that
    section's heading instead when it is at least half full, so sections start chunks where
    they can. Only a cut inside a section repeats its last sentences (the overlap).
    """
    count = count_tokens or (lambda t: int(len(t.split()) * 1.35) + 2)
    text = doc.text
    # Group blocks into sections: a heading and the body blocks after it.
    sections: list[tuple[list[str], list]] = []
    for b in doc.blocks:
        if b.is_title or not sections or sections[-1][0] != b.section_path:
            sections.append((b.section_path, [b]))
        else:
            sections[-1][1].append(b)

    units: list[_Unit] = []
    for sec, (_, blocks) in enumerate(sections):
        for b in blocks:
            for s, e in _sentences(text, b.start, b.end):
                pieces = _split_long(text, s, e, max_tokens, count) if count(text[s:e]) > max_tokens else [(s, e)]
                # count() includes the two special tokens per call; a chunk pays them once.
                units.extend(_Unit(ps, pe, b.page, sec, b.is_title, max(1, count(text[ps:pe]) - 2))
                             for ps, pe in pieces)
    spans: list[ChunkSpan] = []
    budget = max_tokens - 2
    i, n = 0, len(units)
    while i < n:
        j, tokens = i + 1, units[i].tokens
        while j < n and tokens + units[j].tokens <= budget:
            tokens += units[j].tokens
            j += 1
        if j < n and units[j].section == units[j - 1].section:
            # The chunk would end inside a section: end it where that section begins instead,
            # when what comes before is at least half a chunk.
            head = next((m for m in range(j - 1, i, -1) if units[m].section != units[m - 1].section), None)
            if head is not None and sum(u.tokens for u in units[i:head]) * 2 >= budget:
                j = head
        while j - 1 > i and j < n and units[j - 1].is_title:
            j -= 1  # a heading belongs with the text after it
        first = next((u for u in units[i:j] if not u.is_title), units[i])
        spans.append(ChunkSpan(units[i].start, units[j - 1].end, list(sections[first.section][0]), units[i].page))
        if j >= n:
            break
        if units[j].section != units[j - 1].section:
            i = j  # a clean cut at a section start needs no overlap
            continue
        # Overlap inside the section: restart a few sentences back, but always make progress.
        back, k, sec = 0, j, units[j].section
        while k - 1 > i + 1 and units[k - 1].section == sec and back + units[k - 1].tokens <= overlap_tokens:
            k -= 1
            back += units[k].tokens
        i = k
    return spans
