"""IR metrics on small hand-computed examples."""

import math

import pytest

from evals.align import OffsetMap
from evals.metrics import (
    Gold,
    Item,
    RefusalCounts,
    Span,
    case_metrics,
    count_relevant,
    hit_at_k,
    leaks,
    mrr_at_k,
    ndcg_at_k,
    passage_recall_at_k,
    percentile,
    relevance,
)

GOLD = Gold(doc_ids=frozenset({"a"}), spans=(Span("a", 100, 150), Span("a", 400, 420)))
# rank 1: other doc; rank 2: overlaps span 1 at its last char; rank 3: touches span 2 only at its end (no overlap);
# rank 4: overlaps span 2.
ITEMS = [Item("b", 100, 150), Item("a", 149, 300), Item("a", 420, 500), Item("a", 350, 401)]


def test_overlap_is_half_open():
    assert relevance(ITEMS, GOLD) == [0, 1, 0, 1]


def test_hit_and_passage_recall():
    assert hit_at_k(ITEMS, GOLD, 1) == 0.0
    assert hit_at_k(ITEMS, GOLD, 2) == 1.0
    assert passage_recall_at_k(ITEMS, GOLD, 1) == 0.0
    assert passage_recall_at_k(ITEMS, GOLD, 3) == 0.5
    assert passage_recall_at_k(ITEMS, GOLD, 4) == 1.0


def test_mrr_and_ndcg_hand_computed():
    rels = relevance(ITEMS, GOLD)
    assert mrr_at_k(rels, 10) == 0.5
    assert mrr_at_k(rels, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5); ideal with 3 relevant chunks in the index = 1 + 1/log2(3) + 1/2
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(rels, 3, 10) == pytest.approx(expected)
    # the ideal never assumes fewer relevant chunks than were retrieved
    assert ndcg_at_k([1, 1], 0, 10) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0], 0, 10) == 0.0


def test_count_relevant_uses_index_ranges():
    ranges = {"a": [(0, 120), (110, 200), (200, 399), (399, 430)], "b": [(0, 1000)]}
    assert count_relevant(ranges, GOLD) == 3


def test_doc_level_fallback_without_spans():
    gold = Gold(doc_ids=frozenset({"x", "y"}))
    items = [Item("z"), Item("y"), Item("x")]
    m = case_metrics(items, gold, n_relevant=5)
    assert m["hit@1"] == 0.0 and m["hit@3"] == 1.0
    assert m["recall@1"] == 0.0 and m["recall@3"] == 1.0
    assert m["doc_recall@10"] == 1.0
    assert m["mrr@10"] == 0.5


def test_leaks_and_refusal_counts():
    gold = Gold(doc_ids=frozenset({"a"}), forbidden_doc_ids=frozenset({"secret"}))
    assert leaks([Item("a"), Item("secret")], gold) == ["secret"]
    assert leaks([Item("a")], gold) == []
    rc = RefusalCounts()
    for answerable, refused in [(False, True), (False, False), (True, False), (True, False), (True, True)]:
        rc.add(answerable, refused)
    assert rc.refusal_rate == 0.5
    assert rc.answer_rate == pytest.approx(2 / 3)
    assert rc.accuracy == pytest.approx(3 / 5)


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert math.isnan(percentile([], 50))


def test_offset_map_exact_and_with_dropped_characters():
    raw = "Title\n\n   1.  Governing   law:\n - the laws of Nevada apply."
    parsed = "Title\n\n1. Governing law:\n\nthe laws of Nevada apply."
    m = OffsetMap(raw, parsed)
    s, e = raw.index("laws of Nevada"), raw.index("laws of Nevada") + len("laws of Nevada")
    ps, pe = m.span(s, e)
    assert parsed[ps:pe] == "laws of Nevada"
    same = OffsetMap(parsed, parsed)
    assert same.exact and same.span(3, 9) == (3, 9)
