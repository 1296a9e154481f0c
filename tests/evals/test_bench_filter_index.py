"""The access-column index benchmark compares an indexed table with a copy that lost only those indexes."""

from __future__ import annotations

from evals.bench_filter_index import report, run
from retrievers.stores.lancedb import LanceDBStore


def test_the_copy_differs_only_by_the_filter_indexes_and_answers_the_same(tmp_path) -> None:
    res = run(rows=1200, cache=tmp_path, rounds=2, n_vectors=3, ann_min_rows=1000)
    assert res["same_results"] is True
    cols = {
        name: {tuple(i.columns) for i in LanceDBStore(tmp_path / name, layout="single").tables()[None].list_indices()}
        for name in ("rows1200", "rows1200-plain")
    }
    assert ("access_level",) in cols["rows1200"] and ("access_level",) not in cols["rows1200-plain"]
    assert cols["rows1200"] - cols["rows1200-plain"] == {
        ("tenant_id",), ("access_level",), ("approved",), ("superseded",), ("valid_from",), ("valid_until",)}
    assert {("vector",), ("search_text",)} <= cols["rows1200-plain"]
    for system in ("with", "without"):
        assert res["systems"][system]["dense"]["n"] == 2 * 3 and res["systems"][system]["fulltext"]["n"] == 2 * 20
    report(res, tmp_path / "out", "b")
    assert "with ÷ without" in (tmp_path / "out" / "b.md").read_text() and (tmp_path / "out" / "b.png").stat().st_size
