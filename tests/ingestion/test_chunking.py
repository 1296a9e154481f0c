"""Chunking packs short sections together, starts chunks at headings and overlaps only inside a section."""

from __future__ import annotations

from ingestion.chunking import chunk_document
from ingestion.parsing import parse_bytes


def words(t: str) -> int:
    """A plain word count as the token counter, so sizes in the tests are easy to read."""
    return len(t.split()) + 2


def sentence(topic: str, i: int) -> str:
    return f"The {topic} step {i} needs a signed record from the project lead."  # 12 words


def section(title: str, n: int) -> str:
    return f"## {title}\n\n" + " ".join(sentence(title.lower(), i) for i in range(n)) + "\n\n"


def test_short_sections_share_a_chunk_and_keep_the_first_sections_path():
    md = "# Guide\n\n" + "".join(section(f"Topic {k}", 1) for k in range(6))
    doc = parse_bytes(md.encode(), "guide.md")
    spans = chunk_document(doc, max_tokens=60, overlap_tokens=10, count_tokens=words)
    # Six sections of about 15 words each fit three to a chunk: fewer chunks than sections.
    assert 1 < len(spans) < 6
    for s in spans:
        piece = doc.text[s.start : s.end]
        assert piece == piece.strip() and words(piece) <= 60
        assert piece.startswith(("# Guide", "## Topic", "Guide", "Topic"))  # every chunk starts at a heading
        assert s.section_path[-1].startswith("Topic")
        assert s.section_path[-1] in piece.splitlines()[0] or "Guide" in piece.splitlines()[0]
    # Clean cuts between sections repeat nothing.
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start


def test_a_chunk_never_ends_with_a_heading_whose_text_follows():
    md = "# Guide\n\n" + section("Alpha", 3) + section("Beta", 3) + section("Gamma", 3)
    doc = parse_bytes(md.encode(), "guide.md")
    for max_tokens in (30, 45, 60, 80):
        spans = chunk_document(doc, max_tokens=max_tokens, overlap_tokens=8, count_tokens=words)
        for s in spans[:-1]:
            last_line = doc.text[s.start : s.end].splitlines()[-1]
            assert last_line not in {"Alpha", "Beta", "Gamma", "## Alpha", "## Beta", "## Gamma"}, max_tokens


def test_long_section_is_cut_with_overlap_and_every_sentence_is_covered():
    md = "# Guide\n\n" + section("Long", 20)
    doc = parse_bytes(md.encode(), "guide.md")
    spans = chunk_document(doc, max_tokens=60, overlap_tokens=14, count_tokens=words)
    assert len(spans) > 3
    overlapping = sum(1 for a, b in zip(spans, spans[1:], strict=False) if b.start < a.end)
    assert overlapping == len(spans) - 1  # cuts inside one section repeat its last sentence
    covered = set()
    for s in spans:
        covered |= set(range(s.start, s.end))
    for i in range(20):
        at = doc.text.index(sentence("long", i))
        assert at in covered


def test_chunk_ends_at_the_next_heading_when_at_least_half_full():
    # A 3-sentence section then a long one: the first chunk must not stop in the middle of the
    # second section when it could stop at its heading.
    md = "# Guide\n\n" + section("Intro", 3) + section("Details", 10)
    doc = parse_bytes(md.encode(), "guide.md")
    spans = chunk_document(doc, max_tokens=70, overlap_tokens=10, count_tokens=words)
    first = doc.text[spans[0].start : spans[0].end]
    assert "Intro" in first and "Details" not in first
    assert doc.text[spans[1].start : spans[1].end].lstrip("# ").startswith("Details")
