"""Training pairs for tenant adaptation come from the documents' own headings and paragraphs."""

from __future__ import annotations

import random

import pytest

from evals.adapt import AdaptConfig, Pair, batches, document_pairs, heading_query
from retrievers.schema import AccessLevel, Chunk

BODY_A = " ".join(f"alpha{i}" for i in range(30))
BODY_B = " ".join(f"beta{i}" for i in range(30))
BODY_C = " ".join(f"gamma{i}" for i in range(30))


def _chunk(pos: int, path: list[str], text: str, doc: str = "guide.md", title: str = "Guide") -> Chunk:
    return Chunk(chunk_id=f"{doc}-{pos}", doc_id=doc, tenant_id="t", access_level=AccessLevel.PARTNER,
                 doc_type="other", title=title, version="1", position=pos, text=text, index_text=text,
                 section_path=path)


def _corpus() -> list[Chunk]:
    # Chunk 0 starts under "Install" and runs into "Configure" (a heading named by chunk 1's path);
    # chunk 1 overlaps chunk 0 (repeats BODY_B) and goes on to "Configure > Ports".
    return [
        _chunk(0, ["Install"], f"Install\n\n{BODY_A}\n\nConfigure\n\n{BODY_B}"),
        _chunk(1, ["Install", "Configure"], f"Configure\n\n{BODY_B}\n\nPorts\n\n{BODY_C}"),
        _chunk(2, ["Install", "Configure", "Ports"], f"Ports\n\n{BODY_C}"),
    ]


def test_heading_pairs_follow_sections_inside_chunks() -> None:
    pairs = document_pairs(_corpus(), AdaptConfig(kinds=("heading",)))
    by_query = {p.query: p.passage for p in pairs}
    assert by_query == {
        "Guide > Install": BODY_A,
        "Guide > Install > Configure": BODY_B,  # once, although two chunks hold it
        "Guide > Install > Configure > Ports": BODY_C,
    }
    # The heading itself is never part of its passage (the pair would be a string match).
    assert all(p.query.rsplit(" > ", 1)[-1] not in p.passage for p in pairs)


def test_long_sections_are_windowed_and_capped() -> None:
    long_body = " ".join(f"w{i}" for i in range(1000))
    pairs = document_pairs([_chunk(0, ["Long"], f"Long\n\n{long_body}")],
                           AdaptConfig(kinds=("heading",), window_words=100, max_windows=3))
    assert [len(p.passage.split()) for p in pairs] == [100, 100, 100]
    assert len({p.group for p in pairs}) == 1


def test_lead_pairs_split_first_sentence_and_skip_short_paragraphs() -> None:
    para = "The gateway forwards every request to the cluster. " + BODY_A + "."
    short = "Too short to pair. Really."
    pairs = document_pairs([_chunk(0, ["S"], f"S\n\n{para}\n\n{short}")], AdaptConfig(kinds=("lead",)))
    assert [(p.query, p.kind) for p in pairs] == [("The gateway forwards every request to the cluster.", "lead")]
    assert pairs[0].passage.startswith("alpha0")


def test_unknown_pair_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pair kinds"):
        document_pairs(_corpus(), AdaptConfig(kinds=("questions",)))


def test_batches_never_hold_two_pairs_of_one_group() -> None:
    pairs = [Pair(f"q{i}", f"p{i}", "heading", f"g{i % 3}") for i in range(30)]
    out = batches(pairs, 8, random.Random(0))
    assert sum(len(b) for b in out) == 30
    for b in out:
        assert len({p.group for p in b}) == len(b) <= 3


def test_heading_query_does_not_repeat_the_title() -> None:
    assert heading_query("Guide", ["Guide", "Install"]) == "Guide > Install"
