"""The span type shared by PII detection, redaction and the chunk schema."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PiiSpan:
    """A detected personal-data span: entity type, [start, end) offsets into its text, score."""

    entity_type: str
    start: int
    end: int
    score: float
