"""Fusion weights are chosen on dev only, among weightings that keep every set at or above plain BM25."""

from evals.tune import choose


def figures(r5: float, ndcg: float) -> dict[str, float]:
    return {"recall@5": r5, "ndcg@10": ndcg}


def test_best_objective_below_the_floor_loses_to_one_above_it():
    per_set = {
        "a": {"dev": {"1:1": figures(0.90, 0.60), "1:3": figures(0.86, 0.75), "bm25-plain": figures(0.88, 0.55)},
              "test": {"1:1": figures(0.1, 0.1), "1:3": figures(1.0, 1.0), "bm25-plain": figures(0.5, 0.5)}},
        "b": {"dev": {"1:1": figures(0.95, 0.80), "1:3": figures(0.97, 0.85), "bm25-plain": figures(0.90, 0.70)},
              "test": {"1:1": figures(0.1, 0.1), "1:3": figures(1.0, 1.0), "bm25-plain": figures(0.5, 0.5)}},
    }
    best, eligible = choose(per_set, ["1:1", "1:3"])
    assert eligible == ["1:1"] and best == "1:1"  # 1:3 scores higher but falls below BM25's dev R@5 on "a"


def test_without_an_eligible_weighting_the_best_objective_wins():
    per_set = {"a": {"dev": {"1:1": figures(0.80, 0.50), "1:3": figures(0.82, 0.55), "bm25-plain": figures(0.9, 0.6)},
                     "test": {}}}
    assert choose(per_set, ["1:1", "1:3"]) == ("1:3", [])


def test_document_evidence_needs_a_real_gain_over_off():
    from evals.tune_docs import choose_setting

    def sets(small: tuple[float, float], large: tuple[float, float]) -> dict:
        return {"a": {"dev": {"off": figures(0.90, 0.60), "small": figures(*small), "large": figures(*large),
                              "bm25-plain": figures(0.88, 0.55)}, "test": {}}}

    # +.0004 objective is noise: off stays; +.01 wins
    assert choose_setting(sets((0.90, 0.6008), (0.89, 0.50)), ["off", "small", "large"], 0.001)[0] == "off"
    assert choose_setting(sets((0.90, 0.62), (0.89, 0.50)), ["off", "small", "large"], 0.001)[0] == "small"
    # a larger gain below plain BM25's dev R@5 never wins
    assert choose_setting(sets((0.90, 0.60), (0.87, 0.90)), ["off", "small", "large"], 0.001)[0] == "off"


def test_a_tuning_set_opens_its_index_texts_ranges_and_answerable_cases(demo_data_dir):
    import json

    from evals.tune import open_set
    from tests.conftest import DEMO_CORPUS

    ts = open_set(f"demo={DEMO_CORPUS / 'evalset.jsonl'}:{DEMO_CORPUS}:{demo_data_dir}")
    lines = [json.loads(x) for x in (DEMO_CORPUS / "evalset.jsonl").read_text().splitlines() if x.strip()]
    assert ts.name == "demo" and ts.index == demo_data_dir
    # Unanswerable cases are left out: nothing to rank for them.
    assert ts.cases and all(c.answerable for c in ts.cases) and len(ts.cases) < len(lines)
    docs = {d.doc_id for d in ts.services.store.list_documents()}
    assert set(ts.ranges) == docs
    assert all(0 <= a < b for spans in ts.ranges.values() for a, b in spans)
