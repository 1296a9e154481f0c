"""Structure-aware chunking sized for the embedding model's window.

Chunks are contiguous spans of the parsed document text (so character offsets and
PII spans map exactly), never cross a section boundary, start at their section
heading when they can, and carry a small sentence overlap inside long sections.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingestion.parsing import ParsedDocument

# Sentence ends: . ! ? followed by space + capital/digit/quote, or a blank line.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n{2,}|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


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
    """Chunk spans for one parsed document."""
    count = count_tokens or (lambda t: int(len(t.split()) * 1.35) + 2)
    text = doc.text
    # Group blocks into sections: a heading and the body blocks after it.
    sections: list[tuple[list[str], list]] = []
    for b in doc.blocks:
        if b.is_title or not sections or sections[-1][0] != b.section_path:
            sections.append((b.section_path, [b]))
        else:
            sections[-1][1].append(b)

    spans: list[ChunkSpan] = []
    pending_start: int | None = None  # a heading with no body joins the next chunk
    for path, blocks in sections:
        if all(b.is_title for b in blocks) and len(text[blocks[0].start : blocks[-1].end].split()) <= 20:
            if pending_start is None:
                pending_start = blocks[0].start
            continue
        units: list[tuple[int, int, int | None]] = []  # sentence start, end, page
        for b in blocks:
            for s, e in _sentences(text, b.start, b.end):
                if count(text[s:e]) > max_tokens:
                    units.extend((ps, pe, b.page) for ps, pe in _split_long(text, s, e, max_tokens, count))
                else:
                    units.append((s, e, b.page))
        if not units:
            continue
        # count() includes the two special tokens per call; a chunk pays them once.
        sizes = [max(1, count(text[s:e]) - 2) for s, e, _ in units]
        i = 0
        while i < len(units):
            j, tokens = i, 2
            if pending_start is not None and i == 0:
                tokens += max(0, count(text[pending_start : units[0][0]]) - 2)
            while j < len(units) and (j == i or tokens + sizes[j] <= max_tokens):
                tokens += sizes[j]
                j += 1
            start = units[i][0]
            if pending_start is not None:
                start, pending_start = pending_start, None
            spans.append(ChunkSpan(start, units[j - 1][1], list(path), units[i][2]))
            if j >= len(units):
                break
            # Overlap: restart a few sentences back, but always make progress.
            back, k = 0, j
            while k - 1 > i + 1 and back + sizes[k - 1] <= overlap_tokens:
                k -= 1
                back += sizes[k]
            i = k
    if pending_start is not None:  # the document ends in headings only
        last = doc.blocks[-1]
        spans.append(ChunkSpan(pending_start, last.end, list(last.section_path), last.page))
    return spans
