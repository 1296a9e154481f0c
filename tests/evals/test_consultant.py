"""The consultant-question scoring rule: full, partial and zero marks follow the required facts."""

from evals.consultant import load_questions, score_answer

Q = {"facts": [["10,000", "10000"], ["413"]], "expected_doc": "docs/a.md"}


def test_full_marks_need_every_fact_and_the_expected_document():
    assert score_answer(Q, "Up to 10,000 records; above it HTTP 413.", False, ["docs/a.md"])["points"] == 2
    assert score_answer(Q, "Up to 10,000 records; above it HTTP 413.", False, ["docs/b.md"])["points"] == 1


def test_partial_and_zero_marks():
    assert score_answer(Q, "Up to 10000 records.", False, ["docs/a.md"])["points"] == 1
    assert score_answer(Q, "Up to 5,000 records.", False, ["docs/a.md"])["points"] == 0
    assert score_answer(Q, "10,000 and 413", True, ["docs/a.md"])["points"] == 0


def test_question_file_is_well_formed():
    qs = load_questions()
    assert len(qs) == 10
    kinds = {q["kind"] for q in qs}
    assert {"list", "numeric", "yes_no"} <= kinds
    for q in qs:
        assert q["facts"] and all(isinstance(g, list) and g for g in q["facts"])
        assert q["principal"]["tenant_id"] and q["principal"]["access_level"]
