"""The pre- vs post-filter benchmark: each system filters as it claims, and they answer the same."""

from __future__ import annotations

from evals.bench_adaptive_filter import CALLERS, report, run_store
from evals.bench_perf import fill_store_fast
from retrievers.stores.lancedb import LanceDBStore


def test_each_system_filters_as_named_and_full_text_answers_the_same(tmp_path) -> None:
    store = LanceDBStore(tmp_path / "idx", dim=384, ann_min_rows=1000)
    fill_store_fast(store, 1200, 384)
    store.close()
    rows = run_store(tmp_path / "idx", vectors=2, rounds=1)
    assert len(rows) == len(CALLERS)
    for r in rows:
        counts = r["filter_counts"]
        assert counts["pre"]["post"] == counts["pre"]["fallback"] == 0  # pre-filter only
        assert counts["post"]["pre"] == 0  # post-filter at any share (short results re-run pre-filtered)
        # The served rule on a small table: post-filter only when the caller sees every row.
        assert (counts["adaptive"]["pre"] == 0) == (r["share"] == 1.0)
        assert r["same_as_pre"]["fulltext"].split("/")[0] == r["same_as_pre"]["fulltext"].split("/")[1]
    report({"rounds": 1, "vectors": 2, "machine": {}, "results": rows}, tmp_path / "out", "b")
    assert "post ÷ pre" in (tmp_path / "out" / "b.md").read_text() and (tmp_path / "out" / "b.png").stat().st_size
