"""PII detection on Presidio, fully offline, for partner/ERP business documents.

Modules: ``entities`` (types, priority), ``recognizers`` (contact, identifiers, address, person),
``negatives`` (structured values that are never personal data), ``postprocess`` (filters, address
blocks, mentions, merging), ``windowing`` (long texts), ``engine`` (the detector). Word lists live in
``data/`` as package data.
"""

from __future__ import annotations

from guardrails.pii.engine import (
    DEFAULT_SCORE_THRESHOLD,
    LANGUAGE,
    SPACY_MODEL,
    PiiDetector,
    PresidioDefaultDetector,
    default_presidio_detector,
    get_detector,
)
from guardrails.pii.entities import ENTITY_PRIORITY, REDACTED_ENTITY_TYPES
from guardrails.pii.postprocess import merge_spans
from guardrails.pii.recognizers.contact import PHONE_REGIONS

__all__ = [
    "DEFAULT_SCORE_THRESHOLD",
    "ENTITY_PRIORITY",
    "LANGUAGE",
    "PHONE_REGIONS",
    "REDACTED_ENTITY_TYPES",
    "SPACY_MODEL",
    "PiiDetector",
    "PresidioDefaultDetector",
    "default_presidio_detector",
    "get_detector",
    "merge_spans",
]
