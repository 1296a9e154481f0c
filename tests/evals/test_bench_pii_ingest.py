"""The PII ingest benchmark compares each setting with PII off of the same round."""

from __future__ import annotations

from pathlib import Path

from evals.bench_pii_ingest import build_corpus, summarise


def _run(k: int, setting: str, per_s: float, per_cpu_s: float, enc_ratio: float) -> dict:
    return {"round": k, "setting": setting, "chunks_per_s": per_s, "chunks_per_cpu_s": per_cpu_s,
            "ingest_over_encode": enc_ratio, "cpu_ingest_over_encode": enc_ratio}  # fmt: skip


def test_ratios_pair_runs_of_the_same_round() -> None:
    runs = [_run(0, "off", 10, 10, 0.9), _run(0, "on", 8, 9, 0.8), _run(0, "on-before", 7, 7, 0.7),
            _run(1, "on", 5, 6, 0.8), _run(1, "off", 5, 8, 0.9), _run(1, "on-before", 4, 4, 0.6)]  # fmt: skip
    sm = summarise(runs)
    assert sm["on"]["cpu_ratios"] == [0.9, 0.75] and sm["on"]["wall_ratios"] == [0.8, 1.0]
    assert sm["on-before"]["median_cpu_ratio"] == 0.6
    assert sm["ingest_over_encode"]["on-before"] == {"cpu": 0.65, "wall": 0.65}


def test_a_round_without_its_off_run_is_not_paired() -> None:
    sm = summarise([_run(0, "on", 8, 9, 0.8), _run(1, "off", 5, 8, 0.9), _run(1, "on", 4, 4, 0.8)])
    assert sm["on"]["cpu_ratios"] == [0.5]
    assert "on-before" not in sm


def test_named_corpora_and_folders(tmp_path: Path) -> None:
    assert build_corpus("demo", tmp_path).name == "demo"
    assert build_corpus(str(tmp_path / "mine"), tmp_path) == tmp_path / "mine"
