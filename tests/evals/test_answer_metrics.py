"""Answer metrics and the document split behave as their definitions say."""

from evals.answer_metrics import cites_gold, contains_short, refusal_accuracy, token_f1, token_precision_recall
from evals.metrics import Item, Span
from evals.splits import half_of, split_by_doc


def test_token_f1_ignores_case_punctuation_and_articles() -> None:
    assert token_f1("The State of Nevada.", "state of nevada") == 1.0
    assert token_f1("Delaware", "Nevada") == 0.0
    assert 0.0 < token_f1("laws of the State of Nevada apply", "Nevada") < 1.0


def test_precision_and_recall_say_which_side_f1_loses_on() -> None:
    # Too long: every reference token is found, half the answer's tokens are extra.
    assert token_precision_recall("State of Nevada law applies here", "state of nevada") == (0.5, 1.0)
    # Too short: all answer tokens are right, a third of the reference is found.
    assert token_precision_recall("Nevada", "state of nevada") == (1.0, 1 / 3)
    assert token_precision_recall("", "") == (1.0, 1.0)
    assert token_f1("Nevada", "state of nevada") == 0.5


def test_citation_markers_are_not_answer_text() -> None:
    answer = "Use the Zephyr runbook [1]. It takes two hours [2]."
    assert token_f1(answer, "use zephyr runbook it takes two hours") == 1.0
    assert contains_short("Refunds within 30 [2] days", "30 days")
    # Only bracketed numbers are markers: other bracketed text stays answer text.
    assert token_f1("Set [debug] mode", "set mode") < 1.0


def test_contains_short_needs_a_contiguous_token_match() -> None:
    assert contains_short("governed by the laws of New York.", "New York")
    assert not contains_short("York is new", "New York")
    assert not contains_short("anything", "")


def test_cites_gold_needs_overlap_in_the_same_document() -> None:
    gold = [Span("a", 100, 200)]
    assert cites_gold([Item("a", 150, 400)], gold)
    assert not cites_gold([Item("b", 150, 400)], gold)
    assert not cites_gold([Item("a", 200, 300)], gold)  # half-open: touching is not overlapping


def test_refusal_accuracy_counts_each_side() -> None:
    out = refusal_accuracy([True, False, True, False], [False, False, True, True])
    assert out == {"refused_unanswerable": 0.5, "answered_answerable": 0.5}


def test_split_is_stable_and_roughly_even() -> None:
    ids = [f"doc-{i}" for i in range(2000)]
    halves = split_by_doc(ids, lambda d: d)
    assert abs(len(halves["dev"]) - 1000) < 100
    assert all(half_of(d) == "dev" for d in halves["dev"])
    assert half_of("doc-1") == half_of("doc-1")


def test_answer_half_gaps_name_every_figure_that_differs_too_much():
    from evals.answer_eval import answer_half_gaps

    halves = {"dev": {"answered_answerable": 0.95, "cites_gold": 0.70, "token_f1": 0.43, "refused_unanswerable": None},
              "test": {"answered_answerable": 0.90, "cites_gold": 0.72, "token_f1": 0.43, "refused_unanswerable": 0.5}}
    gaps = answer_half_gaps(halves, 0.03)
    assert len(gaps) == 1 and gaps[0].startswith("answered_answerable: dev 0.950 vs test 0.900")
    assert answer_half_gaps(halves, 0.06) == []
