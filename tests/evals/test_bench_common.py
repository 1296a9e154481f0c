"""Benchmarks run an older checkout's module beside this one's in one process."""

from __future__ import annotations

import sys
from pathlib import Path

import retrievers.retriever as current
from evals.bench_common import load_module


def test_an_older_module_loads_under_its_own_name_beside_the_current_one(tmp_path: Path) -> None:
    old = tmp_path / "retriever.py"
    old.write_text(Path(current.__file__).read_text() + "\nOLDER_COPY = True\n")
    mod = load_module(old, "_retriever_older")
    assert mod.OLDER_COPY and sys.modules["_retriever_older"] is mod
    assert not hasattr(current, "OLDER_COPY") and sys.modules["retrievers.retriever"] is current
    assert mod.Retriever is not current.Retriever
