"""The refusal calibration: the vectorised search applies the same rule as the per-row one, and
it uses the distinctive-word coverage when that is what separates the dev half."""

from __future__ import annotations

import itertools
import random

from evals.calibrate_refusal import GRID, _arrays, _refused, calibrate, refuse


def row(answerable: bool, half: str = "dev", **sig: float) -> dict:
    base = {"score": 0.6, "coverage": 0.5, "margin": 0.05, "peak": 0.2, "idf_coverage": 0.5}
    return {"answerable": answerable, "half": half, "refused": False, "signals": {**base, **sig},
            "cites_gold": answerable, "token_f1": 0.0}


def test_vectorised_rule_matches_the_row_rule():
    rng = random.Random(7)
    rows = [row(rng.random() < 0.5, score=rng.uniform(0.2, 0.8), coverage=rng.uniform(0, 1),
                margin=rng.uniform(0, 0.2), peak=rng.uniform(0, 0.3), idf_coverage=rng.uniform(0, 1))
            for _ in range(200)]
    rows.append({"answerable": False, "half": "dev", "refused": True, "signals": None})  # refused before scoring
    arrays = _arrays(rows)
    combos = list(itertools.product(*GRID.values()))
    for values in rng.sample(combos, 300):
        p = dict(zip(GRID, values, strict=True))
        assert list(_refused(arrays, p)) == [refuse(r, p) for r in rows]


def test_distinctive_word_coverage_is_chosen_when_it_separates_the_dev_half():
    # Same unit scores and plain coverage on both sides; only the answerable questions' units hold
    # their distinctive words. Test-half rows are present and must not matter.
    dev = [row(True, idf_coverage=0.6 + 0.01 * i) for i in range(20)]
    dev += [row(False, idf_coverage=0.05 + 0.01 * i) for i in range(20)]
    test = [row(False, half="test", idf_coverage=0.9) for _ in range(20)]
    p, obj = calibrate({"contracts": dev + test}, min_answered=0.9)
    assert 0.25 <= p["min_idf_coverage"] <= 0.6
    assert obj == 1.0


def test_a_set_can_keep_a_higher_answered_floor():
    # The contracts prefer a rule that refuses on low distinctive-word coverage; the guides (no
    # unanswerable questions) lose answers under it. Their own floor rules it out.
    contracts = [row(True, idf_coverage=0.6) for _ in range(20)] + [row(False, idf_coverage=0.1) for _ in range(20)]
    guides = [row(True, idf_coverage=0.6) for _ in range(18)] + [row(True, idf_coverage=0.15) for _ in range(2)]
    sets = {"contracts": contracts, "guides": guides}
    loose, _ = calibrate(sets, min_answered=0.88)
    assert loose["min_idf_coverage"] >= 0.2
    kept, _ = calibrate(sets, min_answered=0.88, min_answered_set={"guides": 0.97})
    assert kept["min_idf_coverage"] <= 0.1


def test_the_product_refuses_by_the_committed_calibrated_rule():
    # The defaults must be the rule `python -m evals.calibrate_refusal --run` chose and wrote to the
    # report; a re-calibration that changes one without the other fails here.
    import json
    from pathlib import Path

    from evals.calibrate_refusal import current_rule

    path = Path(__file__).resolve().parents[2] / "reports" / "answers" / "refusal-calibration.json"
    chosen = json.loads(path.read_text())["rule"]
    assert set(chosen) == set(GRID)
    assert current_rule() == chosen



def test_the_logistic_combiner_weighs_the_signal_that_separates_the_dev_half():
    # The best unit's lead over the field separates the dev half, its score only a little; the
    # test half says the opposite and must not matter.
    from evals.calibrate_refusal import fit_logistic

    rng = random.Random(3)
    dev = [row(True, peak=rng.uniform(0.2, 0.4), score=rng.uniform(0.45, 0.8)) for _ in range(60)]
    dev += [row(False, peak=rng.uniform(0.0, 0.15), score=rng.uniform(0.4, 0.75)) for _ in range(60)]
    test = [row(False, half="test", peak=0.5, score=0.9) for _ in range(60)]
    w = fit_logistic({"contracts": dev + test})
    assert w["peak_weight"] > 1.0
    assert all(abs(v) < 0.5 for k, v in w.items() if k != "peak_weight")  # the others carry nothing
    # With the fitted weights, the floor the grid then finds separates the dev half.
    grid = {**{k: [0.0] for k in GRID}, **{k: [v] for k, v in w.items()},
            "min_confidence": [0.0], "margin_floor": [round(-1.0 + 0.02 * i, 2) for i in range(151)]}
    _, obj = calibrate({"contracts": dev + test}, min_answered=0.9, grid=grid)
    assert obj >= 0.95
