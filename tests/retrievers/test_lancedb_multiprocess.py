"""Several API processes serving one LanceDB folder: a write by one is seen by the others' searches
when the read-consistency bound is set (``copilot serve --workers N`` sets it to 0)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrievers.stores.lancedb import LanceDBStore
from tests.contract.store_contract import DIM, NOW, chunk, flt, unit


def _ids(store: LanceDBStore) -> set[str]:
    return {h.chunk.doc_id for h in store.dense_search(unit(0), flt(now=NOW), 10)}


def _two(tmp_path: Path, consistency: float | None) -> tuple[LanceDBStore, LanceDBStore]:
    writer = LanceDBStore(tmp_path, dim=DIM)
    writer.upsert([chunk("a.md"), chunk("b.md")], np.stack([unit(0), unit(0)]))
    # A second connection to the same folder is what another worker process holds.
    reader = LanceDBStore(tmp_path, dim=DIM, read_consistency_s=consistency)
    assert _ids(reader) == {"a.md", "b.md"}
    return writer, reader


def test_delete_by_another_process_is_seen_at_once_with_consistency_zero(tmp_path: Path) -> None:
    writer, reader = _two(tmp_path, 0)
    writer.delete_document("acme", "b.md")
    assert _ids(reader) == {"a.md"}
    writer.upsert([chunk("c.md")], np.stack([unit(0)]))
    assert _ids(reader) == {"a.md", "c.md"}


def test_without_a_bound_another_process_keeps_serving_the_version_it_opened(tmp_path: Path) -> None:
    # Why the setting exists: the default keeps the opened version, so a deleted document would
    # still be found by a worker that did not delete it.
    writer, reader = _two(tmp_path, None)
    writer.delete_document("acme", "b.md")
    assert "b.md" in _ids(reader)
