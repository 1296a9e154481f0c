"""Faults injected into a real LanceDB table for the store's race tests."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from retrievers.access import AccessLevel


def rows_raised_on_take(monkeypatch: pytest.MonkeyPatch, part: Any) -> None:
    """Every read by row id returns its rows as if re-ingested at RESTRICTED since the search."""
    take = part.table.take_row_ids

    class Raised:
        def __init__(self, ids: Any):
            self.query = take(ids)

        def select(self, cols: list[str]) -> Raised:
            self.query = self.query.select(cols)
            return self

        def to_arrow(self) -> pa.Table:
            t = self.query.to_arrow()
            i = t.schema.get_field_index("access_level")
            return t.set_column(i, "access_level", pa.array([int(AccessLevel.RESTRICTED)] * len(t), pa.int32()))

    monkeypatch.setattr(part.table, "take_row_ids", Raised)
