"""The PII bench's cost figure: median and minimum of several passes; the report keeps its history."""

from __future__ import annotations

from pathlib import Path

from evals.bench_pii import cost_summary, history


def test_cost_is_the_median_of_the_passes_per_1000_characters() -> None:
    # 2,000 characters: 0.1 s is 50 ms per 1,000
    c = cost_summary([0.1, 0.3, 0.08], 2000)
    assert c == {"passes": [50.0, 150.0, 40.0], "median": 50.0, "min": 40.0}


def test_one_slow_pass_does_not_move_the_median() -> None:
    assert cost_summary([0.1, 0.1, 5.0], 1000)["median"] == 100.0


def test_history_sections_are_kept_and_the_tables_are_not(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    assert history(report) == ""
    report.write_text("# Tables\n\n| a |\n\n## Changes on top of `abc`\n\nnotes\n\n## Earlier: older\n\nmore\n")
    assert history(report) == "\n## Changes on top of `abc`\n\nnotes\n\n## Earlier: older\n\nmore\n"
    report.write_text("# Tables only\n\n| a |\n")
    assert history(report) == ""
