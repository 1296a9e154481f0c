"""Span checks shared by the PII rule tests: does a detection cover or touch a planted value."""

from __future__ import annotations

from guardrails.pii import PiiDetector


def _bounds(text: str, value: str) -> tuple[int, int]:
    start = text.index(value)
    return start, start + len(value)


def contains(detector: PiiDetector, text: str, value: str, entity_type: str = "PERSON") -> bool:
    """Some span of ``entity_type`` covers the whole of ``value`` (words around it may be included)."""
    start, end = _bounds(text, value)
    return any(s.start <= start and end <= s.end and s.entity_type == entity_type for s in detector.detect(text))


def overlaps(detector: PiiDetector, text: str, value: str, entity_type: str | None = None) -> bool:
    """Some span (of ``entity_type`` when given) overlaps ``value``."""
    start, end = _bounds(text, value)
    return any(s.start < end and start < s.end and entity_type in (None, s.entity_type) for s in detector.detect(text))
