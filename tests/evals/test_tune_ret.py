"""The keep rule and the score fusion of the retrieval-method study (evals.tune_ret)."""

from types import SimpleNamespace

import pytest

from evals.tune_ret import _norm, verdict


def _m(r5: float, ndcg: float, n: int = 100) -> dict:
    return {"recall@5": r5, "ndcg@10": ndcg, "n": n}


def _sets(method_docs: dict, method_demo: dict) -> dict:
    bm = _m(0.5, 0.4)
    return {
        "docs": {"dev": {"rrf": _m(0.80, 0.60), "bm25-plain": bm, "x": method_docs}},
        "demo": {"dev": {"rrf": _m(0.90, 0.80), "bm25-plain": bm, "x": method_demo}},
    }


def test_a_method_is_kept_only_when_one_set_rises_by_more_than_a_question_and_none_falls():
    assert verdict(_sets(_m(0.82, 0.62), _m(0.90, 0.80)), "x") == (True, "rises: docs")
    # a rise under one question's share (1/100/2 of the objective) is no rise
    assert verdict(_sets(_m(0.804, 0.600), _m(0.90, 0.80)), "x")[0] is False
    # any dev metric falling on any set vetoes the method, however large the rise elsewhere
    kept, why = verdict(_sets(_m(0.95, 0.75), _m(0.90, 0.79)), "x")
    assert not kept and "demo ndcg@10" in why


def test_scores_are_normalised_per_list_before_fusion():
    scored = ((9.0, "a"), (5.0, "b"), (1.0, "c"))
    hits = [SimpleNamespace(score=s, chunk=SimpleNamespace(chunk_id=c)) for s, c in scored]
    assert _norm(hits, "minmax") == {"a": 1.0, "b": 0.5, "c": 0.0}
    z = _norm(hits, "z")
    assert z["c"] == 0.0 and z["a"] > z["b"] > 0.0  # the worst candidate is what an absent chunk scores
    assert z["a"] == pytest.approx(2 * z["b"])
