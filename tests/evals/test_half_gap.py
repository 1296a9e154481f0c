"""The half-gap test resamples documents, not questions: a gap that one or two documents explain is
not called a shift, a gap every document shows is."""

from __future__ import annotations

from evals.half_gap import gap_test


def rows_of(half: str, doc: str, refused: int, of: int = 10) -> list[dict]:
    return [{"id": f"{doc}-{i}", "doc": doc, "half": half, "answerable": False, "refused": i < refused,
             "cites_gold": False, "token_f1": 0.0} for i in range(of)]


def test_a_gap_every_document_shows_is_a_shift():
    rows = [r for d in range(20) for r in rows_of("dev", f"d{d}", 9)]
    rows += [r for d in range(20) for r in rows_of("test", f"t{d}", 5)]
    res = gap_test(rows, "refused_unanswerable", n=500)
    assert res is not None
    assert res["gap"] == 0.4
    assert res["gap_ci95"][0] > 0.3
    assert res["permutation_p"] < 0.01
    assert res["dev_documents"] == 20 and res["dev_questions"] == {"answerable": 0, "unanswerable": 200}


def test_a_gap_from_which_documents_fell_in_each_half_is_not_a_shift():
    # Documents refuse all or nothing; the dev half drew four refusing ones of six, the test half two.
    # Question by question (60 a half) .667 against .333 looks decisive; by document it is chance.
    rows = [r for d in range(6) for r in rows_of("dev", f"d{d}", 10 if d < 4 else 0)]
    rows += [r for d in range(6) for r in rows_of("test", f"t{d}", 10 if d < 2 else 0)]
    res = gap_test(rows, "refused_unanswerable", n=1000)
    assert res is not None
    assert abs(res["gap"] - 1 / 3) < 1e-3
    assert res["gap_ci95"][0] < 0 < res["gap_ci95"][1]
    assert res["permutation_p"] > 0.3
    assert res["dev_document_sd"] > 0.4


def test_a_figure_one_half_lacks_is_not_tested():
    rows = rows_of("dev", "d0", 5) + [{**r, "answerable": True} for r in rows_of("test", "t0", 5)]
    assert gap_test(rows, "refused_unanswerable", n=10) is None
